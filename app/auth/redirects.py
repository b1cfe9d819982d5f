"""Where to send a person after a form: the `next` they came with (in the query string or a
hidden field), when it stays on this site. Every redirect to a target read from the request goes
through `safe_next` (the check itself is `app.security.safe_local_path`)."""
from __future__ import annotations

from flask import request

from app.security import safe_local_path


def safe_next(default: str) -> str:
    """Only same-site relative paths: an open redirect would make phishing easy, and a CR/LF
    would split the Location header."""
    return safe_local_path(request.values.get("next", "")) or default
