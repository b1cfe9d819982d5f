"""Where the tests' databases live: SQLite files (the default), or PostgreSQL databases when
MAILLAGE_TEST_POSTGRES is set (an admin URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; `make test-postgres` sets it).

Tests name a database by a path, as they always did: on PostgreSQL the path maps to a database
of its own ("mt_" + a hash of the path), copied from the migrated template with
CREATE DATABASE ... TEMPLATE (as fast as copying the SQLite file).

Dropping a database is not cheap on PostgreSQL 15: DROP DATABASE forces an immediate checkpoint,
which writes every dirty page of every database the other workers are using (0.3 to 2 s each
under the suite's load; it was half of the PostgreSQL run). So the `db_path` of each test comes
from a `Pool`: a few databases per worker, emptied and refilled between tests, with the same
tables, rows and sequence values as the template (a test that changed the schema gets a fresh
copy instead).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get("MAILLAGE_TEST_POSTGRES", "")
ON_POSTGRES = bool(POSTGRES_ADMIN_URL)


# Paths whose database is one of a pool's, in this process (`Pool.acquire`).
_pooled: dict[str, str] = {}
# The application_name of the connections the tests' apps keep to a pooled database from one
# test to the next (tests/helpers/sharing.py: `keep_postgres_connections`).
KEPT_CONNECTIONS = "maillage-test-kept"
# Databases this process created and has not dropped yet (`drop_leftovers`).
_created: set[str] = set()


def _name(path: Path) -> str:
    key = str(Path(path).resolve())
    return _pooled.get(key) or "mt_" + hashlib.sha1(key.encode()).hexdigest()[:20]


def is_pooled(url) -> bool:
    """Whether a database URL names one of this process's pooled databases."""
    return make_url(url).database in _pooled.values()


def database_url(path: Path) -> str:
    """The URL of a test's database. On PostgreSQL its sessions do not wait for the WAL to reach
    the disk at each commit (`synchronous_commit=off`: a crash of the server could lose the
    last commits, never corrupt anything; a test database outlives no test)."""
    if not ON_POSTGRES:
        return f"sqlite:///{path}"
    return make_url(POSTGRES_ADMIN_URL).set(
        database=_name(path), query={"options": "-c synchronous_commit=off"}).render_as_string(
        hide_password=False)


def _admin(*statements: str) -> None:
    # Copies and drops of throwaway databases need not wait for the disk at their commit.
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT",
                           connect_args={"options": "-c synchronous_commit=off"})
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


# Whatever tells a changed schema: tables, columns and their types, indexes, constraints.
_SCHEMA = """
(SELECT md5(string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname, '')
                       || ':' || coalesce(a.atttypid::text, ''), ',' ORDER BY c.relname, a.attnum))
        || (SELECT count(*) FROM pg_constraint k JOIN pg_namespace kn ON kn.oid = k.connamespace
            WHERE kn.nspname = 'public')::text
        || (SELECT coalesce(string_agg(version_num, ','), '') FROM public.alembic_version)
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'public')
"""
_PRISTINE = "maillage_test_pristine"  # a schema the application never looks at
_SCHEMA_CHANGED = "<schema changed>"  # in its log: a test changed the schema (no table's name)
# Every sequence and where it stands (setval's arguments).
_SEQUENCES = ("SELECT format('public.%I', sequencename), coalesce(last_value, 1), "
              "last_value IS NOT NULL FROM pg_sequences WHERE schemaname = 'public'")


def _conninfo(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql", database=name).render_as_string(
        hide_password=False)


class Pool:
    """The databases of one worker's tests on PostgreSQL: a copy of the template is taken by a
    test, then put back as the template made it for the next one instead of dropped (see the
    module's docstring).

    What a test wrote to is known without reading the tables: every table of a copy has a
    statement trigger that notes its name in a log (`_PRISTINE.written`) when a statement
    inserts, updates, deletes or truncates there; the note is part of the test's transaction,
    so a rolled-back write leaves none. (Before, putting back summed up every row of the filled
    tables and looked into every empty one: 20 to 35 ms of each test on PostgreSQL.) The log
    has no key, so writers never wait for each other on it.

    Putting back is one transaction: the tables the log names are emptied, and refilled from a
    copy kept in the same schema when the template has rows in them (communes, skills...); the
    log is emptied; every sequence is set back. Triggers are off while it runs
    (`session_replication_role`), foreign keys included: what is left is exactly the template's
    rows, which hold together. A test that changed the schema (an event trigger notes that in
    the log too) gets a fresh copy instead."""

    def __init__(self, template: Path):
        self.template = template
        self.free: list[str] = []
        self.made: list[str] = []
        self._numbers = itertools.count(1)
        self._tables: list[str] = []     # the template's tables (alembic's apart)
        self._filled: set[str] = set()   # those with rows
        self._sequences: list[tuple[str, int, bool]] = []
        self._schema = ""                # the template's schema, summed up
        self._ddl_noted = True           # schema changes noted in the log (`_copy`)
        self._resetting: dict = {}       # a connection to each database, for `_reset`

    def acquire(self, path: Path) -> None:
        name = self.free.pop() if self.free else self._copy()
        _pooled[str(Path(path).resolve())] = name

    def release(self, path: Path) -> None:
        name = _pooled.pop(str(Path(path).resolve()))
        if self._reset(name):
            self.free.append(name)
        else:
            self._disconnect(name)
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.made.remove(name)

    def _disconnect(self, name: str) -> None:
        connection = self._resetting.pop(name, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for name in list(self._resetting):
            self._disconnect(name)
        if self.made:
            _admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.made))
        self.made, self.free = [], []

    def _copy(self) -> str:
        import psycopg

        name = f"{_name(self.template)}_p{os.getpid()}_{next(self._numbers)}"
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
               f'CREATE DATABASE "{name}" TEMPLATE "{_name(self.template)}"')
        self.made.append(name)
        with psycopg.connect(_conninfo(name)) as connection:
            if not self._schema:
                self._learn(connection)
            connection.execute(f"CREATE SCHEMA {_PRISTINE}")
            for table in self._filled:
                connection.execute(
                    f'CREATE TABLE {_PRISTINE}."{table}" AS TABLE public."{table}"')
            connection.execute(f"CREATE TABLE {_PRISTINE}.written (name text NOT NULL)")
            connection.execute(
                f"CREATE FUNCTION {_PRISTINE}.note_written() RETURNS trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN INSERT INTO {_PRISTINE}.written VALUES (TG_TABLE_NAME); "
                f"RETURN NULL; END $$")
            for table in self._tables:
                connection.execute(
                    f'CREATE TRIGGER maillage_test_written AFTER INSERT OR UPDATE OR DELETE '
                    f'OR TRUNCATE ON public."{table}" FOR EACH STATEMENT '
                    f"EXECUTE FUNCTION {_PRISTINE}.note_written()")
            # A schema change is noted in the log too (event triggers: a superuser's, as in
            # `make test-postgres`); otherwise each reset sums up the catalogue (2.6 ms).
            try:
                with connection.transaction():
                    connection.execute(
                        f"CREATE FUNCTION {_PRISTINE}.note_ddl() RETURNS event_trigger "
                        f"LANGUAGE plpgsql AS $$ BEGIN INSERT INTO {_PRISTINE}.written "
                        f"VALUES ('{_SCHEMA_CHANGED}'); END $$")
                    connection.execute(f"CREATE EVENT TRIGGER maillage_test_ddl ON ddl_command_end "
                                       f"EXECUTE FUNCTION {_PRISTINE}.note_ddl()")
            except psycopg.errors.InsufficientPrivilege:
                self._ddl_noted = False
        return name

    def _learn(self, connection) -> None:
        self._tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename")]
        self._filled = {t for t in self._tables if connection.execute(
            f'SELECT EXISTS (SELECT 1 FROM public."{t}")').fetchone()[0]}
        self._sequences = [tuple(row) for row in connection.execute(_SEQUENCES)]
        self._schema = connection.execute(f"SELECT {_SCHEMA}").fetchone()[0]

    def _reset(self, name: str) -> bool:
        """Back to the template's rows; False when the test changed the schema."""
        import psycopg

        kept = self._resetting.get(name)
        try:
            return self._put_back(self._connection(name))
        except psycopg.OperationalError:
            self._disconnect(name)
            if kept is None:
                return False
        except psycopg.Error:  # whatever went wrong, a fresh copy is the answer
            self._disconnect(name)
            return False
        try:  # the kept connection was gone (a test ended its database's sessions): again
            return self._put_back(self._connection(name))
        except psycopg.Error:
            self._disconnect(name)
            return False

    def _connection(self, name: str):
        """A connection to the database, kept from one test to the next (opening one was 3 to
        5 ms of both sides' CPU per test)."""
        import psycopg

        if name not in self._resetting:
            self._resetting[name] = psycopg.connect(_conninfo(name),
                                                    options="-c lock_timeout=10s")
        return self._resetting[name]

    def _put_back(self, connection) -> bool:
        with connection.transaction():
            connection.execute("SET LOCAL synchronous_commit = off")
            connection.execute("SET LOCAL session_replication_role = replica")
            # Every other session ends (servers, other engines), but the idle ones the tests'
            # apps keep: those hold no lock and no transaction.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND (application_name <> %s OR state <> 'idle')", (KEPT_CONNECTIONS,))
            written = [table for (table,) in connection.execute(
                f"SELECT DISTINCT name FROM {_PRISTINE}.written").fetchall()]
            if _SCHEMA_CHANGED in written or not self._ddl_noted and connection.execute(
                    f"SELECT {_SCHEMA}").fetchone()[0] != self._schema:
                return False
            for table in written:
                connection.execute(f'DELETE FROM public."{table}"')
                if table in self._filled:
                    connection.execute(f'INSERT INTO public."{table}" '
                                       f'SELECT * FROM {_PRISTINE}."{table}"')
            connection.execute(f"DELETE FROM {_PRISTINE}.written")
            connection.execute("SELECT " + ", ".join(
                f"setval('{sequence}', {last}, {called})"
                for sequence, last, called in self._sequences))
        return True


class Layer:
    """What the tests of a module start from above the template, when each makes the same world
    (people, networks, posts...): kept once from the database and search index of the first
    test that made it, then laid over each later test's copy before its app starts, instead of
    made again (tests/test_moderation.py: 156 tests; making it was 60% of each).

    SQLite: a copy of the whole file, through the online backup API (the WAL's pages too).
    PostgreSQL: the rows of every table the test wrote, in COPY's text form, and every sequence;
    laid over a database the pool put back, and noted in its log as written, so the next reset
    puts those tables back too."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.kept = False
        self._objects: dict[str, tuple[type, int]] = {}  # the world's names: model and id
        self._tables: dict[str, bytes] = {}
        self._sequences: list[tuple[str, int, bool]] = []

    def objects(self) -> dict:
        """The world's rows, by the names they were kept with, from the test's session."""
        from models import db
        return {name: db.session.get(model, id_) for name, (model, id_) in self._objects.items()}

    def given_to(self, world) -> bool:
        """Once kept: its rows set on `world` as attributes (True); before: False."""
        if self.kept:
            vars(world).update(self.objects())
        return self.kept

    def keep(self, path: Path, pool: Pool | None, **objects) -> None:
        """Once the world's test committed it: its database, its index, and its named rows."""
        index = Path(path).parent / "search-index"
        shutil.copytree(index, self.folder / "search-index", dirs_exist_ok=True)
        if pool is None:
            import sqlite3
            source, target = sqlite3.connect(path), sqlite3.connect(self.folder / "layer.sqlite3")
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            connection = pool._connection(_name(path))
            with connection.transaction():
                for (table,) in connection.execute(
                        f"SELECT DISTINCT name FROM {_PRISTINE}.written").fetchall():
                    with connection.cursor().copy(f'COPY public."{table}" TO STDOUT') as copy:
                        self._tables[table] = b"".join(bytes(block) for block in copy)
                self._sequences = [tuple(row) for row in connection.execute(_SEQUENCES)]
        self._objects = {name: (type(row), row.id) for name, row in objects.items()}
        self.kept = True

    def lay(self, path: Path, pool: Pool | None) -> None:
        """Over a test's copy of the template, before its app starts (tests/conftest.py: db_path)."""
        index = Path(path).parent / "search-index"
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(self.folder / "search-index", index)
        if pool is None:
            shutil.copy(self.folder / "layer.sqlite3", path)
            return
        connection = pool._connection(_name(path))
        with connection.transaction():
            connection.execute("SET LOCAL synchronous_commit = off")
            connection.execute("SET LOCAL session_replication_role = replica")  # no trigger
            for table, rows in self._tables.items():
                connection.execute(f'DELETE FROM public."{table}"')
                with connection.cursor().copy(f'COPY public."{table}" FROM STDIN') as copy:
                    copy.write(rows)
                connection.execute(f"INSERT INTO {_PRISTINE}.written VALUES (%s)", (table,))
            connection.execute("SELECT " + ", ".join(
                f"setval('{sequence}', {last}, {called})"
                for sequence, last, called in self._sequences))


def create_empty(path: Path, *, shared: bool = False) -> None:
    """`shared`: a database other processes use too (the run's template, tests/conftest.py):
    not dropped with this process's leftovers."""
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)',
               f'CREATE DATABASE "{_name(path)}"')
        if not shared:
            _created.add(_name(path))


def copy(template: Path, path: Path) -> None:
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)',
               f'CREATE DATABASE "{_name(path)}" TEMPLATE "{_name(template)}"')
        _created.add(_name(path))
    else:
        shutil.copy(template, path)


def drop(path: Path) -> None:
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)')
        _created.discard(_name(path))


def drop_leftovers() -> None:
    """At the end of a worker: the databases its tests made and left (a test's own tmp_path
    database is not dropped by the test)."""
    if _created:
        _admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in sorted(_created)))
        _created.clear()


def count(path: Path, sql: str, params: dict | None = None) -> int:
    """One number from a test's database, whatever the engine (for checks from outside the
    server process)."""
    engine = create_engine(database_url(path))
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params or {}).scalar()
    finally:
        engine.dispose()


def rows(path: Path, sql: str, *args) -> list[tuple]:
    """Rows of a query with "?" placeholders, from a test's database, whatever the engine."""
    for number in range(len(args)):
        sql = sql.replace("?", f":p{number}", 1)
    engine = create_engine(database_url(path))
    try:
        with engine.connect() as connection:
            result = connection.execute(text(sql), {f"p{n}": a for n, a in enumerate(args)})
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def execute(path: Path, sql: str, *args) -> None:
    for number in range(len(args)):
        sql = sql.replace("?", f":p{number}", 1)
    engine = create_engine(database_url(path))
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), {f"p{n}": a for n, a in enumerate(args)})
    finally:
        engine.dispose()
