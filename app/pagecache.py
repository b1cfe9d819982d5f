"""Rendered pages and page parts, kept in memory and keyed on what they show.

Shared parts (`cached_page`): kept per audience and keyed on the content version.

Everyone of one audience (visitors; members) asking for the same URL in the same language sees
the same main part of a page, so it is rendered once and served from memory until anything
shown on pages changes. models/content.py
bumps a version number in the changing transaction. A commit in this process is seen by the
next request; a commit in another process (another worker, a CLI command) within
PAGE_CACHE_VERSION_SECONDS, the longest this process trusts the number it read last.
A page whose main part depends on who exactly is looking (the owner of a profile, later a
moderator) must not go through here for that person.

Whole member pages (`member_page`): a member's home feed, a profile, the directory, kept per
login session. Their key holds everything such a page shows besides the shared part: the
content version, the account's personal version (models/personal.py: their connections,
blocks, memberships...), the header's state (app/header.py: one query), role and language; the
login session and its CSRF secret (the forms on the page carry a token made from it). An entry
is used for MEMBER_PAGE_SECONDS at most (relative times, "rendered at"), never for a response
that shows a flashed message. A hit costs the account's load, the header's query and a lookup.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import wraps
from typing import Callable, TypeVar

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

import models.content
from app.header import member_header
from models import current_content_version, db

T = TypeVar("T")


class LRUCache:
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class VersionWatch:
    """The content version, read again at most every `seconds` unless this process committed a
    change since: reading it costs a database round trip, as much as the rest of a cached page."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._known: tuple[int, int, float] | None = None  # version, local bumps, read at

    def current(self) -> int:
        known, now = self._known, time.monotonic()
        if known and known[1] == models.content.local_bumps and now - known[2] < self.seconds:
            return known[0]
        bumps = models.content.local_bumps
        version = current_content_version(db.session)
        self._known = (version, bumps, now)
        return version


def audience() -> str:
    """Who a shared page is rendered for: what visitors and members see differs (members-only
    profiles, calls to join), what one member or another sees does not."""
    return "member" if current_user.is_authenticated else "visitor"


def cached_page(name: str, build: Callable[[], T]) -> T:
    """build(), or what it returned for an earlier GET of this URL, in this language, for this
    audience, at the current content version."""
    cache: LRUCache | None = current_app.extensions.get("maillage_page_cache")
    if cache is None or request.method != "GET":
        return build()
    version = current_app.extensions["maillage_content_version"].current()
    key = (name, request.full_path, str(get_locale()), audience(), version)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.put(key, value)
    return value


def _member_key() -> tuple | None:
    """What a member's page shows besides the shared part; None when it must not be cached."""
    if request.method != "GET" or not current_user.is_authenticated or "_flashes" in session:
        return None
    user = current_user._get_current_object()
    return (request.endpoint, request.full_path, str(get_locale()), user.id,
            user.login_session_id, session.get("csrf_token"), user.role,
            user.personal_version, member_header(),
            current_app.extensions["maillage_content_version"].current())


def member_page(view):
    """A view whose members' pages are kept per login session (module docstring); visitors'
    requests and non-GET ones pass through."""
    @wraps(view)
    def cached(*args, **kwargs):
        cache: LRUCache | None = current_app.extensions.get("maillage_member_pages")
        key = _member_key() if cache is not None else None
        if key is None:
            return view(*args, **kwargs)
        now = time.monotonic()
        entry = cache.get(key)
        if entry is not None and now - entry[0] < current_app.config["MEMBER_PAGE_SECONDS"]:
            return current_app.response_class(entry[1], mimetype="text/html")
        response = make_response(view(*args, **kwargs))
        key = _member_key()  # the page may have made this session's CSRF secret
        if key is not None and response.status_code == 200 and \
                response.mimetype == "text/html" and not response.direct_passthrough:
            cache.put(key, (now, response.get_data()))
        return response
    cached.reads_header_first = True  # the key holds the header: read with the account
    return cached


def init_app(app) -> None:
    size = app.config.get("PAGE_CACHE_ENTRIES", 512)
    if size:
        app.extensions["maillage_page_cache"] = LRUCache(size)
        app.extensions["maillage_content_version"] = VersionWatch(
            app.config.get("PAGE_CACHE_VERSION_SECONDS", 1.0))
        members = app.config.get("MEMBER_PAGE_ENTRIES", 256)
        if members:
            app.extensions["maillage_member_pages"] = LRUCache(members)
