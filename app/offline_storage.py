"""What the browser keeps for offline reading: which responses the service worker may save,
and the header that makes the browser forget them all (see app/offline.py for the worker)."""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

# Sent with the responses that end a person's use of this browser (logout, account deleted):
# the browser drops the pages saved for offline reading, the outbox and the service worker.
CLEAR_SITE_DATA = '"cache", "storage"'


def _mark_saveable(response):
    """Only a logged-in member's pages are saved for offline reading (a visitor has no logout
    to clear them, and a shared computer must not keep them)."""
    if request.method == "GET" and response.status_code == 200 \
            and response.mimetype == "text/html" and current_user.is_authenticated:
        response.headers["X-Maillage-Save"] = "1"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_mark_saveable)
