"""Jinja helpers available in every template."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import get_locale
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from app.text import render_markdown


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory and shared by every app made in this process.

    A server makes one app per process and gains nothing; the test suite makes one app per test
    and compiled every template it rendered again (a tenth of its time). A bucket is checked
    against its template's source checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


BYTECODE_CACHE = ProcessBytecodeCache()


def use_shared_bytecode_cache(app: Flask) -> None:
    """Before the app's Jinja environment is first made."""
    app.jinja_options = {**app.jinja_options, "bytecode_cache": BYTECODE_CACHE}


def _url_with(**changes) -> str:
    """The current path with some query arguments replaced (None removes one): pagination and
    filter links. Built from the path, never from url_for: query arguments named like url_for's
    own (endpoint, _external) must stay plain arguments."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return request.script_root + request.path + (f"?{urlencode(args)}" if args else "")


def _labels(codes, labels: dict) -> str:
    """Stored codes shown with their labels: ["kitchen", "printer"] -> "Kitchen, Printer"."""
    return ", ".join(str(labels.get(code, code)) for code in codes or ())


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_lite"] = lambda source: render_markdown(source, lite=True)
    app.jinja_env.filters["labels"] = _labels
    app.jinja_env.globals["url_with"] = _url_with
    # When this copy of a page was made: an offline page served from the browser's saved copy
    # says so (static/js/offline.js).
    app.jinja_env.globals["rendered_at"] = lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
