"""Language: French by default, English on request; the choice is kept in the session and, for
members, on their account."""
from __future__ import annotations

from flask import Flask, current_app, session
from flask_login import current_user

from app.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    from app import ROOT
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "app" / "translations"))
    babel.init_app(app, locale_selector=select_locale)
