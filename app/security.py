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


def is_safe_path(target: str) -> bool:
    """A same-site relative path, safe to redirect to (no open redirect: "//host",
    "/\\t/host" and backslashes are refused; urlsplit drops tabs and newlines as browsers do)."""
    from urllib.parse import urlsplit
    parts = urlsplit(target)
    return target.startswith("/") and not target.startswith("//") and not parts.netloc \
        and not parts.path.startswith("//") and "\\" not in target


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
