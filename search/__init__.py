"""Full-text search over profiles, networks, places, posts and events.

Two engines, chosen by SEARCH_BACKEND (MAILLAGE_SEARCH_BACKEND): "whoosh" (the default), an
index in files (SEARCH_INDEX_DIR, in instance/ by default) written after each commit, or
"postgres", tables of the PostgreSQL database written in the same transaction as the rows
(search/postgres.py). `init_app` binds the chosen one to the app; `search.sync` keeps it in
step with the database; `find` answers queries (search/query.py or search/postgres.py: the same
arguments, the same `Result`) with ids that the app loads from the database.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from search.index import SearchIndex

log = logging.getLogger(__name__)
REBUILD_IN_BACKGROUND_ABOVE = 5000  # rows: a bigger database is indexed while the app serves
BACKENDS = ("whoosh", "postgres")


def backend(app: Flask) -> str:
    """SEARCH_BACKEND, checked: an unknown name, or "postgres" on another database, stops the
    app at start with this message."""
    value = str(app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if value not in BACKENDS:
        raise RuntimeError(f"MAILLAGE_SEARCH_BACKEND={value!r}: choose one of "
                           f"{', '.join(BACKENDS)}.")
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if value == "postgres" and not url.startswith("postgresql"):
        raise RuntimeError("MAILLAGE_SEARCH_BACKEND='postgres' needs a PostgreSQL database "
                           "(MAILLAGE_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://...); "
                           "this one is not: use 'whoosh'.")
    return value


def find(index, text: str, **kwargs):
    """A search on the app's engine (search/query.py: search, for the arguments)."""
    if getattr(index, "backend", None) == "postgres":
        from search import postgres
        return postgres.search(index, text, **kwargs)
    from search import query
    return query.search(index, text, **kwargs)


def current_index() -> SearchIndex | None:
    try:
        return current_app.extensions.get("maillage_search")
    except RuntimeError:  # no app: a script working on the database alone
        return None


def rebuild(app: Flask, progress=None) -> int:
    """Index every row again into a new directory, then swap it in (search/index.py: Build):
    searches read the old index until the new one is complete. `progress(done, total)` is
    called every PROGRESS_EVERY documents."""
    if getattr(app.extensions["maillage_search"], "backend", None) == "postgres":
        return _rebuild_postgres(progress)
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
WRITE_BATCH = 1000  # documents per statement when the PostgreSQL documents are rebuilt


def _rebuild_postgres(progress=None) -> int:
    """Every document written again in one transaction: searches read the previous ones until
    it commits; a change committed meanwhile waits for it (its documents' rows are held), then
    writes over the rebuilt ones."""
    from sqlalchemy import text

    from models import db
    from search import documents, postgres_documents
    total = documents.count_rows(db.session)
    connection = db.session.connection()
    postgres_documents.clear(connection)
    done, batch = 0, []
    for doc in documents.all_docs(db.session):
        batch.append(doc)
        done += 1
        if len(batch) >= WRITE_BATCH:
            postgres_documents.write(connection, batch, [])
            batch = []
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
    postgres_documents.write(connection, batch, [])
    db.session.commit()
    db.session.execute(text("ANALYZE search_document, search_posting, search_word"))
    db.session.commit()
    if progress:
        progress(done, total)
    return done


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
    if backend(app) == "postgres":
        from search.postgres import PostgresIndex
        app.extensions["maillage_search"] = PostgresIndex()
        return
    index = SearchIndex(app.config["SEARCH_INDEX_DIR"])
    index.stale = False
    app.extensions["maillage_search"] = index
    if app.config.get("SEARCH_CHECK_AT_START", True):
        _check_at_start(app, index)
