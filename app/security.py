"""CSRF on every state-changing request; the headers of every response (`SecurityHeaders`,
a WSGI middleware, so that Socket.IO's responses get them too); `Cache-Control: no-store` on
what a logged-in person is shown; safe redirect targets.

Flask-WTF's automatic check (WTF_CSRF_CHECK_DEFAULT) raises before the view runs, so a person
whose token expired would lose what they typed. Instead, every unsafe request is checked here
unless its view is marked `@csrf_in_form`: those views validate a FlaskForm, whose CSRF field
turns a bad token into a form error shown next to the re-filled form.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request, session

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


def signed_link(view):
    """Mark a view authenticated by a signed token in its URL rather than by a session and a
    CSRF token (RFC 8058 one-click unsubscribe: mail programs post to it without cookies)."""
    view._csrf_in_form = True
    return view


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # nothing to protect: the request ends as a 404 or 405
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and getattr(view, "_csrf_in_form", False):
        return
    if request.path.startswith("/api/") and "Authorization" in request.headers:
        return  # a token request: no cookie authenticates it (app/api/tokens.py), no CSRF
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


PRIVATE_MIMETYPES = ("text/html", "application/json")


def _no_store_when_logged_in(response):
    """A logged-in person's pages and JSON are theirs: no shared or back-button cache keeps
    them (a shared computer, a proxy). Static files and anonymous pages stay cacheable. No
    database work here (a 503 "busy" answer passes here too): the member the view loaded, or
    the login id in the session."""
    if response.mimetype in PRIVATE_MIMETYPES and _logged_in():
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def _logged_in() -> bool:
    loaded = g.get("_login_user")
    if loaded is not None:
        return bool(loaded.is_authenticated)
    return "_user_id" in session


class SecurityHeaders:
    """WSGI middleware, the outermost: every HTTP response (pages, static files, errors, and
    Socket.IO's long-polling answers, which never reach Flask's after_request) gets the
    security headers a view did not set; over HTTPS (as the client sees it: the trusted
    proxies' X-Forwarded-Proto is already applied by ProxyFix, inside) every cookie is `Secure`
    and, when HSTS_SECONDS is set, `Strict-Transport-Security` is sent. A WebSocket upgrade
    is left alone (its handshake is the WebSocket layer's)."""

    def __init__(self, wsgi_app, hsts_seconds: int = 0, hsts_subdomains: bool = False) -> None:
        self.wsgi_app = wsgi_app
        self.hsts = None
        if hsts_seconds:
            self.hsts = f"max-age={int(hsts_seconds)}" + (
                "; includeSubDomains" if hsts_subdomains else "")

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return self.wsgi_app(environ, start_response)

        def start(status, headers, exc_info=None):
            return start_response(status, self.headers(environ, headers), exc_info)
        return self.wsgi_app(environ, start)

    def headers(self, environ, headers: list) -> list:
        secure = environ.get("wsgi.url_scheme") == "https"
        present = {name.lower() for name, _value in headers}
        out = []
        for name, value in headers:
            if secure and name.lower() == "set-cookie" and "secure" not in {
                    part.strip().lower() for part in value.split(";")}:
                value += "; Secure"
            out.append((name, value))
        # A page made to be framed (the events' agenda) says so in its own policy.
        framable = any(name.lower() == "content-security-policy" and
                       "frame-ancestors 'none'" not in value for name, value in headers)
        out.extend((name, value) for name, value in SECURITY_HEADERS.items()
                   if name.lower() not in present
                   and not (framable and name == "X-Frame-Options"))
        if secure and self.hsts and "strict-transport-security" not in present:
            out.append(("Strict-Transport-Security", self.hsts))
        return out


def init_app(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_no_store_when_logged_in)
