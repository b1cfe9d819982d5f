"""Where to send a person after a form: the `next` they came with (in the query string or a
hidden field), when it stays on this site."""
from __future__ import annotations

from flask import request

from app.security import is_safe_path


def safe_next(default: str) -> str:
    """Only same-site relative paths: an open redirect would make phishing easy."""
    target = request.values.get("next", "")
    return target if is_safe_path(target) else default
