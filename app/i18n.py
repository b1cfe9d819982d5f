"""Language: French by default, English on request; the choice is kept in the session and, for
members, on their account."""
from __future__ import annotations

from flask import Flask, current_app, g, session
from flask_babel import get_translations
from flask_login import current_user

from app.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _request_translations():
    """The catalog of this request, looked up once: a page calls gettext dozens of times and
    Flask-Babel resolves locale and domain on every call."""
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def init_app(app: Flask) -> None:
    from app import ROOT
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "app" / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
