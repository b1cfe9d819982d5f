"""gunicorn entry point for bench/pages.py: the real Maillage app plus one bare route.

The bare route lives in the same app, process and server as the pages it is compared with, so
it measures the floor of this deployment: gunicorn + Flask routing + the app-wide hooks (CSRF
check, rate limiter) with no database, no template and no session.
"""
from app import create_app

app = create_app()
app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
