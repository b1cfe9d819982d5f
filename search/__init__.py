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
    """Index every row again into a new directory, then swap it in (search/index.py: Build):
    searches read the old index until the new one is complete. `progress(done, total)` is
    called every PROGRESS_EVERY documents."""
    from models import db
    from search import documents, sync
    from search.index import Build
    index: SearchIndex = app.extensions["maillage_search"]
    total = documents.count_rows(db.session)
    build = Build(index)
    try:
        done = 0
        for doc in documents.all_docs(db.session):
            build.add(doc)
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
        build.finish()
        db.session.rollback()  # a fresh read for what changed meanwhile
        _replay(build, sync, db)
        build.swap()
        _replay(build, sync, db)
        build.clean()
        if progress:
            progress(done, total)
        index.stale = False
        return done
    except BaseException:
        build.abandon()
        raise
    finally:
        index.rebuilding = False


PROGRESS_EVERY = 1000


def _replay(build, sync, db) -> None:
    """Write into the new index what was committed while it was being built."""
    keys = build.journaled()
    if keys:
        pending = {(k.split(":")[0], int(k.split(":")[1])): "upsert" for k in keys
                   if ":" in k and k.split(":")[1].isdigit()}
        add, delete = sync.changes(db.session, pending)
        build.apply(add, delete)
        db.session.rollback()


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
    if rows == 0:
        index.reset()
        return
    if rows <= REBUILD_IN_BACKGROUND_ABOVE:
        with app.app_context():
            rebuild(app)
        return
    log.warning("search index missing or unreadable: rebuilding %d rows in the background", rows)
    index.reset()
    index.rebuilding = True  # nothing to serve meanwhile: searches say so

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
