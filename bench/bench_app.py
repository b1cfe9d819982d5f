"""gunicorn entry point for bench/pages.py: the production app (wsgi:app) plus one bare route.

The bare route lives in the same app, process and server as the pages it is compared with, so
it measures the floor of this deployment: gunicorn + Flask routing + the app-wide hooks (CSRF
check, rate limiter) with no database, no template and no session. Importing wsgi rather than
calling create_app() here keeps whatever wsgi.py does for production in the measurement.
"""
from wsgi import app

app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
