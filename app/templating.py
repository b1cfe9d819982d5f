"""Jinja helpers available in every template."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale

from app.text import render_markdown


def _url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes one): pagination links."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    from flask import url_for
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["url_with"] = _url_with
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
