"""Full-text search (Whoosh) over profiles, networks, places and posts.

`init_app` binds an index to the app (its directory: SEARCH_INDEX_DIR, in instance/ by
default); `search.sync` keeps it in step with the database; `search.query` answers queries
with ids that the app loads from the database.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from search.index import SearchIndex

log = logging.getLogger(__name__)
REBUILD_IN_BACKGROUND_ABOVE = 5000  # rows: a bigger database is indexed while the app serves


def current_index() -> SearchIndex | None:
    try:
        return current_app.extensions.get("maillage_search")
    except RuntimeError:  # no app: a script working on the database alone
        return None


def rebuild(app: Flask, progress=None) -> int:
    """Index every row again, into a fresh index (searches see the old one until the end)."""
    from models import db
    from search import documents
    index: SearchIndex = app.extensions["maillage_search"]
    index.rebuilding = True
    try:
        index.reset()
        batch, done = [], 0
        for doc in documents.all_docs(db.session):
            batch.append(doc)
            if len(batch) >= 2000:
                index.write(batch, [])
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
        index.write(batch, [])
        done += len(batch)
        index.optimize()
        if progress:
            progress(done)
        index.stale = False
        return done
    finally:
        index.rebuilding = False


def _check_at_start(app: Flask, index: SearchIndex) -> None:
    """A missing or unreadable index is rebuilt from the database; never a crash."""
    if index.healthy():
        return
    from sqlalchemy.exc import SQLAlchemyError

    from models import db
    from search import documents
    with app.app_context():
        try:
            rows = documents.count_rows(db.session)
        except SQLAlchemyError:  # not migrated yet (`flask db upgrade` is running): later
            db.session.rollback()
            return
    index.reset()
    if rows == 0:
        return
    if rows <= REBUILD_IN_BACKGROUND_ABOVE:
        with app.app_context():
            rebuild(app)
        return
    log.warning("search index missing or unreadable: rebuilding %d rows in the background", rows)
    index.rebuilding = True

    def work():
        with app.app_context():
            rebuild(app)
    threading.Thread(target=work, daemon=True).start()


def init_app(app: Flask) -> None:
    from search import sync
    sync.register()  # the index follows each commit (models/commit_hooks.py)
    index = SearchIndex(app.config["SEARCH_INDEX_DIR"])
    index.stale = False
    app.extensions["maillage_search"] = index
    if app.config.get("SEARCH_CHECK_AT_START", True):
        _check_at_start(app, index)
