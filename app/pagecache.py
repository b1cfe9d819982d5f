"""Rendered page parts, kept in memory per audience and keyed on the content version.

Everyone of one audience (visitors; members) asking for the same URL in the same language sees
the same main part of a page, so it is rendered once and served from memory until anything
shown on pages changes. models/content.py
bumps a version number in the changing transaction. A commit in this process is seen by the
next request; a commit in another process (another worker, a CLI command) within
PAGE_CACHE_VERSION_SECONDS, the longest this process trusts the number it read last.
A page whose main part depends on who exactly is looking (the owner of a profile, later a
moderator) must not go through here for that person.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, TypeVar

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user

import models.content
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


def init_app(app) -> None:
    size = app.config.get("PAGE_CACHE_ENTRIES", 512)
    if size:
        app.extensions["maillage_page_cache"] = LRUCache(size)
        app.extensions["maillage_content_version"] = VersionWatch(
            app.config.get("PAGE_CACHE_VERSION_SECONDS", 1.0))
