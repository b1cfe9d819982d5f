"""Friendly error pages in the visitor's language; JSON errors under /api/ and /healthz."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

TITLES = {
    400: _l("This request could not be understood"),
    401: _l("Please log in"),
    403: _l("You are not allowed to do this"),
    404: _l("Page not found"),
    405: _l("This action is not possible here"),
    409: _l("Already being sent"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Maillage is very busy"),
}
EXPLANATIONS = {
    400: _l("Something in the request was malformed. Go back, check what you entered and try again."),
    401: _l("You need to be logged in to see this page."),
    403: _l("Your account does not give access to this page or action."),
    404: _l("This page does not exist, or it is no longer here."),
    405: _l("This address does not accept this kind of request."),
    409: _l("This form is already being sent (a double click?). Wait a moment, then look at "
            "the page: it will be there once."),
    413: _l("The text or file is larger than Maillage accepts. Shorten it and try again."),
    429: _l("You tried too many times in a short while. Wait a minute, then try again."),
    500: _l("The error has been logged. Please try again in a moment."),
    503: _l("Too many people are using Maillage at this very moment. Try again in a few "
            "seconds: nothing you sent was saved."),
}
CSRF_EXPLANATION = _l("Your session has expired or the form was sent from another site. "
                      "Reload the page and send it again.")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(code: int, explanation=None):
    code = code if code in TITLES else (500 if code >= 500 else 400)
    message = explanation or EXPLANATIONS[code]
    if wants_json():
        return {"error": str(TITLES[code]), "detail": str(message), "status": code}, code
    return render_template("errors/error.html", code=code, title=TITLES[code],
                           explanation=message), code


def _busy():
    """Every database connection of this process stayed taken for DATABASE_POOL_TIMEOUT: "try
    again", at once. Nothing here may touch the database (not even the member, for the
    language): the session's language or the default."""
    from flask import current_app, session
    from flask_babel import force_locale
    lang = session.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        title, explanation = str(TITLES[503]), str(EXPLANATIONS[503])
    headers = {"Retry-After": "2"}
    if wants_json():
        return {"error": title, "detail": explanation, "status": 503}, 503, headers
    # Straight from the Jinja environment: Flask's context processors would load the member.
    page = current_app.jinja_env.get_template("errors/busy.html").render(
        lang=lang, title=title, explanation=explanation)
    return page, 503, headers


def handle_http_exception(error: HTTPException):
    from app.jsonbody import MalformedJSON
    if isinstance(error, MalformedJSON):
        return error.reply()
    if isinstance(error, CSRFError):
        return _render(400, CSRF_EXPLANATION)
    if error.code == 429 and request.endpoint == "auth.login":
        from app.auth.views import login_rate_limited
        return login_rate_limited()
    if error.code == 413:
        from app.images import too_large_explanation
        return _render(413, too_large_explanation())
    response = _render(error.code or 500)
    if error.code == 405 and error.valid_methods:
        body, code = response
        return body, code, {"Allow": ", ".join(error.valid_methods)}
    return response


def handle_unexpected(error: Exception):
    from flask import current_app
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from models import db
    if isinstance(error, PoolTimeout):
        db.session.rollback()
        return _busy()
    current_app.logger.exception("Unhandled error on %s", request.path)
    # The failed transaction must go before the error page loads the user or the locale.
    db.session.rollback()
    return _render(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
