"""CSRF on every state-changing request.

Flask-WTF's automatic check (WTF_CSRF_CHECK_DEFAULT) raises before the view runs, so a person
whose token expired would lose what they typed. Instead, every unsafe request is checked here
unless its view is marked `@csrf_in_form`: those views validate a FlaskForm, whose CSRF field
turns a bad token into a form error shown next to the re-filled form.
"""
from __future__ import annotations

from flask import Flask, current_app, request

from app.extensions import csrf

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


NEXT_MAX = 2000  # a longer `next` is no link of this site
# Unicode categories refused anywhere in a redirect target: controls (C0, DEL, C1), format
# characters (bidi overrides, zero-width), surrogates, private use, unassigned, line and
# paragraph separators. Werkzeug refuses CR/LF in a header (a 500) and browsers drop or
# reinterpret the others.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe_local_path(target) -> str | None:
    """THE check of a redirect target from outside (`next`, a hidden field): the same-site path
    to redirect to, percent-encoded (non-ASCII and spaces), or None.

    Refused: anything not a string or not starting with one "/" (so no scheme, no
    "//host", no relative path), backslashes (browsers read "/\\host" as "//host"), control and
    invisible characters (CR/LF would split the header), and anything `urlsplit` finds a scheme
    or a host in."""
    from unicodedata import category
    from urllib.parse import urlsplit

    from werkzeug.urls import iri_to_uri

    if not isinstance(target, str) or not 0 < len(target) <= NEXT_MAX:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(category(ch) in _REFUSED_CATEGORIES for ch in target):
        return None
    try:
        encoded = iri_to_uri(target)
        parts = urlsplit(encoded)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/") \
            or parts.path.startswith("//") or not encoded.isascii():
        return None
    return encoded


def is_safe_path(target) -> bool:
    """Whether `safe_local_path` accepts this target."""
    return safe_local_path(target) is not None


def csrf_in_form(view):
    """Mark a view whose FlaskForm checks the CSRF token itself (and re-renders on failure)."""
    view._csrf_in_form = True
    return view


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # nothing to protect: the request ends as a 404 or 405
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and getattr(view, "_csrf_in_form", False):
        return
    csrf.protect()


# Local-first, enforced by the browser too: nothing may load from another host, no inline script.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "img-src 'self' data:", "style-src 'self'", "script-src 'self'",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'self'",
    "form-action 'self'", "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
