"""gunicorn entry point for bench/pages.py: the production app (wsgi:app) plus one bare route.

The bare route lives in the same app, process and server as the pages it is compared with, so
it measures the floor of this deployment: gunicorn + Flask routing + the app-wide hooks (CSRF
check, rate limiter) with no database, no template and no session. Importing wsgi rather than
calling create_app() here keeps whatever wsgi.py does for production in the measurement.
"""
from wsgi import app

app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")


# bench/report.py's baselines, measured on the same server in the same run as the council
# report's PDF (/organisers/report.pdf): WeasyPrint on a trivial page (its fixed cost), and the
# report's HTML for the same query string without the PDF layout (the figures, the map and the
# template). Bench only: no login asked (this app is never deployed).
def _trivial_pdf():
    from flask import Response

    from app.organisers.report import report_pdf
    return Response(report_pdf("<!doctype html><html lang=fr><body><h1>Rapport</h1>"
                               "<p>Une page.</p></body></html>", "http://127.0.0.1/"),
                    mimetype="application/pdf")


def _report_html():
    from app.organisers.params import filters_from_request
    from app.organisers.report import council, report_html
    from models import db
    from models.types import utcnow
    return report_html(db.session, council(db.session, filters_from_request(), utcnow()))


app.add_url_rule("/bench/trivial.pdf", "bench_trivial_pdf", _trivial_pdf)
app.add_url_rule("/bench/report.html", "bench_report_html", _report_html)
