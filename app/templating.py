"""Jinja helpers available in every template."""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from flask import Flask, has_request_context, request
from flask_babel import format_date, format_datetime, format_timedelta, get_locale, ngettext
from flask_babel import gettext as _
from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from markupsafe import Markup

from app.text import render_markdown


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory and shared by every app made in this process, and in
    a directory (TEMPLATE_CACHE_DIR, default instance/template-cache) for the processes that
    start later.

    Each process compiled every template at its first use (4 ms each, 177 templates): a
    server's worker after each start or restart, each test process and each test server. A
    bucket is checked against its template's source checksum and Python's bytecode version,
    so an edited template is compiled again; files are written whole (Jinja writes a temporary
    file and renames it). The directory is trusted like the rest of instance/ (a cached file
    is code)."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._disk: FileSystemBytecodeCache | None = None

    def use_directory(self, path: str | None) -> None:
        """Where compiled templates are kept between processes (None or "": memory only)."""
        self._disk = None
        if path:
            try:
                os.makedirs(path, exist_ok=True)
                self._disk = FileSystemBytecodeCache(path)
            except OSError:  # read-only or missing: each process compiles, as before
                pass

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)
            return
        if self._disk is None:
            return
        try:
            self._disk.load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - an unreadable file is compiled again
            bucket.reset()
        if bucket.code is not None:
            self._compiled[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:
            try:
                self._disk.dump_bytecode(bucket)
            except OSError:  # a full or read-only disk: this process keeps it in memory
                pass


BYTECODE_CACHE = ProcessBytecodeCache()


def use_shared_bytecode_cache(app: Flask) -> None:
    """Before the app's Jinja environment is first made. The directory is the process's: the
    last app made sets it."""
    BYTECODE_CACHE.use_directory(app.config.get("TEMPLATE_CACHE_DIR"))
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


# Dates as people of the territory read them: the day before the month in English too
# ("6 Dec 2026, 13:33", not CLDR's American "12/6/26, 1:33 PM"); French keeps CLDR's own.
# A format name not listed here (or a pattern) goes to Babel unchanged.
DATETIME_PATTERNS = {
    "en": {"short": "d MMM y, HH:mm", "medium": "d MMM y, HH:mm", "long": "d MMMM y 'at' HH:mm"},
    "fr": {"long": "d MMMM y 'à' HH:mm"},
}
DATE_PATTERNS = {"en": {"short": "d MMM y", "medium": "d MMM y", "long": "d MMMM y"}}
RECENT = timedelta(days=7)  # younger than this: "2 hours ago"; older: the date


def _pattern(table: dict, format: str) -> str:
    return table.get(str(get_locale()), {}).get(format, format)


def datetimeformat(value, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, _pattern(DATETIME_PATTERNS, format))


def dateformat(value, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, _pattern(DATE_PATTERNS, format))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def relative_time(value: datetime, now: datetime | None = None) -> str:
    """"il y a 2 heures" / "2 hours ago" for the last week, the date before that."""
    age = (now or datetime.now(timezone.utc)) - _aware(value)
    if age < timedelta(minutes=1):
        return _("just now")
    if age < RECENT:
        return format_timedelta(-age, add_direction=True, threshold=1)
    return datetimeformat(value, "short")


def when(value: datetime | None) -> Markup:
    """Recent activity: the relative time, the exact date in the tooltip and the markup."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        _aware(value).isoformat(timespec="seconds"), datetimeformat(value, "long"),
        relative_time(value))


def duration(minutes: int) -> str:
    """A duration in words: 60 -> "1 heure", 1440 -> "24 heures", 10080 -> "7 jours"."""
    if minutes % 1440 == 0 and minutes > 1440:
        return ngettext("%(num)d day", "%(num)d days", minutes // 1440)
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


_MINUTES_DETAIL = re.compile(r"(\d+) min")


def audit_detail(detail: str) -> str:
    """An audit entry's detail as read: the stored "1440 min" of a mute in words."""
    found = _MINUTES_DETAIL.fullmatch(detail or "")
    return duration(int(found.group(1))) if found else detail


URLS_KEPT = 4096  # links remembered per app (cleared when full)


def _links_kept(app: Flask):
    """url_for for templates, remembered per script root, endpoint and arguments: a page's
    header and menus build the same twenty links on every request, and building them was a
    third of the time of a page served from the cache. Not kept: links with url_for's own
    options (`_external`, `_anchor`...), unhashable arguments, and anything in debug mode (a
    static file's fingerprint follows its edits there, app/compress.py)."""
    build = app.url_for
    kept: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if app.debug or not has_request_context() or any(name[0] == "_" for name in values):
            return build(endpoint, **values)
        key = (request.script_root, request.blueprint if endpoint[0] == "." else None,
               endpoint, *values.items())
        try:
            return kept[key]
        except TypeError:  # a list or a dict among the arguments
            return build(endpoint, **values)
        except KeyError:
            pass
        url = build(endpoint, **values)
        if len(kept) >= URLS_KEPT:
            kept.clear()
        kept[key] = url
        return url
    return url_for


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = _links_kept(app)
    # Replace Flask-Babel's filters of the same name (app/i18n.py installed them just before).
    app.jinja_env.filters["datetimeformat"] = datetimeformat
    app.jinja_env.filters["dateformat"] = dateformat
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["audit_detail"] = audit_detail
    app.jinja_env.globals["when"] = when
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
