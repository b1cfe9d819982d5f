"""The PostgreSQL run's database pool (tests/helpers/databases.py: Pool) gives each test the
template's rows, whatever the test before wrote: the pool only empties and refills the tables
its triggers saw written, so these tests write every way a test can and compare every row of
every table, and every sequence, with the template's."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from models import db
from tests.helpers import databases, sharing
from tests.helpers.apps import base_config

postgres_only = pytest.mark.skipif(not databases.ON_POSTGRES,
                                   reason="the pool is PostgreSQL's (make test-postgres)")

# Every row of every table in public (alembic's included), and every sequence, summed up.
_EVERYTHING = """
SELECT string_agg(format('%s:%s', c.relname,
                         (xpath('/row/h/text()', query_to_xml(format(
                             'SELECT count(*) || %L || coalesce(sum(hashtext(t::text)), 0) AS h '
                             'FROM public.%I t', ':', c.relname), false, true, '')))[1]::text),
                  ',' ORDER BY c.relname)
       || (SELECT string_agg(format('%s=%s', sequencename, last_value), ','
                             ORDER BY sequencename)
           FROM pg_sequences WHERE schemaname = 'public')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""


_USER = text('INSERT INTO "user" (email, password_hash, display_name, role, session_token, '
             "created_at) VALUES (:email, 'x', 'Pool', 'member', :token, now())")


def _everything(path) -> str:
    return databases.rows(path, _EVERYTHING)[0][0]


def _taken_again_as_the_template(database_pool, tmp_path, name: str, template: str) -> None:
    """The next test's database is the same one, put back with the template's every row."""
    again = tmp_path / "again.sqlite3"
    database_pool.acquire(again)
    try:
        assert databases._name(again) == name and _everything(again) == template
    finally:
        database_pool.release(again)


def _write_every_way(path) -> None:
    engine = create_engine(databases.database_url(path))
    try:
        with engine.begin() as connection:  # committed
            connection.execute(text("INSERT INTO skill (name, key, canonical) "
                                    "VALUES ('Pool check', 'pool-check', false)"))
            connection.execute(text("UPDATE commune SET name = name || ' (changed)' "
                                    "WHERE insee = (SELECT min(insee) FROM commune)"))
            connection.execute(text("DELETE FROM skill WHERE id = "  # its aliases go with it
                                    "(SELECT min(id) FROM skill WHERE key <> 'pool-check')"))
            connection.execute(_USER, {"email": "pool@example.org", "token": "p" * 32})
        with engine.connect() as connection:  # rolled back: leaves no row, only a sequence step
            transaction = connection.begin()
            connection.execute(_USER, {"email": "gone@example.org", "token": "g" * 32})
            transaction.rollback()
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE epci CASCADE"))  # and the communes
    finally:
        engine.dispose()


@postgres_only
def test_a_database_put_back_has_every_row_and_sequence_of_the_template(
        template_db, database_pool, tmp_path):
    template = _everything(template_db)
    first = tmp_path / "first.sqlite3"
    database_pool.acquire(first)
    assert _everything(first) == template
    _write_every_way(first)
    assert _everything(first) != template
    name = databases._name(first)
    database_pool.release(first)
    _taken_again_as_the_template(database_pool, tmp_path, name, template)


@postgres_only
def test_a_changed_schema_gets_a_fresh_copy(template_db, database_pool, tmp_path):
    path = tmp_path / "schema.sqlite3"
    database_pool.acquire(path)
    name = databases._name(path)
    databases.execute(path, "ALTER TABLE skill ADD COLUMN pool_check integer")
    database_pool.release(path)
    assert name not in database_pool.free and name not in database_pool.made
    assert databases.count(template_db, "SELECT count(*) FROM pg_database WHERE datname = :n",
                           {"n": name}) == 0


@postgres_only
def test_a_test_that_ends_every_session_of_its_database_still_gets_it_put_back(
        template_db, database_pool, tmp_path):
    """The pool keeps a connection to each database between tests; a test that ends the
    sessions of its database (a server restart, as the clients see it) ends that one too."""
    template = _everything(template_db)
    warm = tmp_path / "warm.sqlite3"
    database_pool.acquire(warm)
    database_pool.release(warm)  # the pool has a connection to it now
    path = tmp_path / "cut.sqlite3"
    database_pool.acquire(path)
    name = databases._name(path)
    _write_every_way(path)
    assert databases.count(path, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) "
                                 "FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()) AS ended") >= 1
    database_pool.release(path)
    assert name in database_pool.free  # put back, not dropped and copied again
    _taken_again_as_the_template(database_pool, tmp_path, name, template)


def _session_of_an_app(path) -> int:
    """The server session (its process id) a new test app's query ran in, the app then ended
    as the `app` fixture ends it."""
    app = create_app(base_config(path))
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
        db.engine.dispose()
    return pid


def _kept_sessions(path) -> set[int]:
    return {pid for (pid,) in databases.rows(
        path, "SELECT pid FROM pg_stat_activity WHERE application_name = ? "
              "AND datname = current_database()", databases.KEPT_CONNECTIONS)}


@postgres_only
def test_the_apps_keep_their_sessions_across_tests_and_replace_an_ended_one(
        template_db, database_pool, tmp_path):
    """tests/helpers/sharing.py: `keep_postgres_connections`. A new session spends its first
    statements loading the catalogue: the tests' apps keep theirs, the pool's reset spares
    them while idle, and one ended under them is replaced before use, not handed to a test."""
    # A database no app of this process used yet (the free ones may keep sessions of earlier
    # tests, some ended by the reset that followed them).
    taken = [tmp_path / f"taken-{n}.sqlite3" for n in range(len(database_pool.free))]
    for other in taken:
        database_pool.acquire(other)
    path = tmp_path / "kept.sqlite3"
    database_pool.acquire(path)
    name = databases._name(path)
    assert _kept_sessions(path) == set()
    first = _session_of_an_app(path)
    kept = _kept_sessions(path)
    assert first in kept
    assert _session_of_an_app(path) in kept and _kept_sessions(path) == kept
    database_pool.release(path)  # the next test's database: the same one, put back

    again = tmp_path / "again.sqlite3"
    database_pool.acquire(again)
    try:
        assert databases._name(again) == name
        assert _kept_sessions(again) == kept
        assert _session_of_an_app(again) in kept
        assert databases.count(again, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) "
                                      "FROM pg_stat_activity WHERE application_name = :name "
                                      "AND datname = current_database()) AS ended",
                               {"name": databases.KEPT_CONNECTIONS}) == len(kept)
        replaced = _session_of_an_app(again)  # no error: pinged, found ended, replaced
        assert replaced not in kept and replaced in _kept_sessions(again)
    finally:
        database_pool.release(again)
        for other in taken:
            database_pool.release(other)


@postgres_only
def test_a_kept_session_left_in_a_transaction_is_ended_by_the_reset(
        template_db, database_pool, tmp_path):
    """An app that never gave its connection back (a write neither committed nor rolled back)
    holds locks the reset would wait for: the reset ends that session, and puts the database
    back as the template made it."""
    template = _everything(template_db)
    path = tmp_path / "leak.sqlite3"
    database_pool.acquire(path)
    name = databases._name(path)
    app = create_app(base_config(path))
    with app.app_context():
        leaked = db.engine.connect()
        leaked.execute(_USER, {"email": "leak@example.org", "token": "l" * 32})
        pid = leaked.scalar(text("SELECT pg_backend_pid()"))
        database_pool.release(path)
        assert name in database_pool.free  # put back, not dropped after a lock timeout
        assert databases.count(template_db, "SELECT count(*) FROM pg_stat_activity "
                                            "WHERE pid = :pid", {"pid": pid}) == 0
        leaked.invalidate()
    _taken_again_as_the_template(database_pool, tmp_path, name, template)


_SKILL = "INSERT INTO skill (name, key, canonical) VALUES ('Layer check', 'layer-check', false)"
_SKILLS = "SELECT count(*) FROM skill WHERE key = 'layer-check'"


def _database(template_db, database_pool, path):
    if database_pool:
        database_pool.acquire(path)
    else:
        databases.copy(template_db, path)


def test_a_layer_gives_later_tests_the_rows_and_index_the_first_kept(
        template_db, database_pool, tmp_path):
    """tests/helpers/databases.py: Layer (both engines). What a test wrote is laid over the next
    test's copy, its search index too; on PostgreSQL the pool's next reset takes it away."""
    layer = databases.Layer(tmp_path / "layer")
    layer.folder.mkdir()
    first = tmp_path / "first" / "maillage.sqlite3"
    shutil.copytree(template_db.parent / "search-index", first.parent / "search-index")
    _database(template_db, database_pool, first)
    databases.execute(first, _SKILL)
    (first.parent / "search-index" / "kept-mark").write_text("index")
    layer.keep(first, database_pool)
    if database_pool:
        database_pool.release(first)
    assert layer.kept

    later = tmp_path / "later" / "maillage.sqlite3"
    shutil.copytree(template_db.parent / "search-index", later.parent / "search-index")
    _database(template_db, database_pool, later)
    assert databases.count(later, _SKILLS) == 0
    layer.lay(later, database_pool)
    assert databases.count(later, _SKILLS) == 1
    assert (later.parent / "search-index" / "kept-mark").read_text() == "index"
    if not database_pool:
        return
    assert databases.count(later, "SELECT count(*) FROM skill WHERE id > "  # the ids go on
                                  "(SELECT last_value FROM skill_id_seq)") == 0
    name = databases._name(later)
    database_pool.release(later)  # the layer goes with the reset
    _taken_again_as_the_template(database_pool, tmp_path, name, _everything(template_db))


def test_an_app_that_never_connects_leaves_the_next_apps_a_whole_dialect(tmp_path, monkeypatch):
    """tests/helpers/sharing.py: the apps of a process share one SQLAlchemy dialect (both engines), but
    only one an engine has connected with: SQLAlchemy learns the server's version and features
    at an engine's first connection, into that engine's own dialect. When the first app of a
    process never reached its database, the dialect shared from it stayed blank, and a later
    migration read None as SQLite's version (a test_migrations failure, one run in three)."""
    monkeypatch.setattr(sharing, "SHARED_DIALECTS", {})  # as at the start of a process
    engines, paths = [], []
    try:
        for name in ("never", "first", "next"):
            path = tmp_path / name / "maillage.sqlite3"
            path.parent.mkdir()
            databases.create_empty(path)  # on PostgreSQL: out of the pool, as a new process's
            paths.append(path)
            app = create_app({**base_config(path), "SEARCH_CHECK_AT_START": False})
            with app.app_context():
                engines.append(db.engine)
                if name != "never":
                    with db.engine.connect() as connection:
                        connection.execute(text("SELECT 1"))
        never, first, later = engines
        assert first.dialect.server_version_info is not None
        assert later.dialect is first.dialect  # shared from then on, its compiled SQL too
        assert later._compiled_cache is first._compiled_cache
        assert never.dialect is not first.dialect
    finally:
        for engine in engines:
            engine.dispose()
        for path in paths:
            databases.drop(path)
