"""Where the tests' databases live: SQLite files (the default), or PostgreSQL databases when
MAILLAGE_TEST_POSTGRES is set (an admin URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; `make test-postgres` sets it).

Tests name a database by a path, as they always did: on PostgreSQL the path maps to a database
of its own ("mt_" + a hash of the path), copied from the migrated template with
CREATE DATABASE ... TEMPLATE (as fast as copying the SQLite file).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get("MAILLAGE_TEST_POSTGRES", "")
ON_POSTGRES = bool(POSTGRES_ADMIN_URL)


def _name(path: Path) -> str:
    return "mt_" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:20]


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


def create_empty(path: Path) -> None:
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)',
               f'CREATE DATABASE "{_name(path)}"')


def copy(template: Path, path: Path) -> None:
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)',
               f'CREATE DATABASE "{_name(path)}" TEMPLATE "{_name(template)}"')
    else:
        shutil.copy(template, path)


def drop(path: Path) -> None:
    if ON_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{_name(path)}" WITH (FORCE)')


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
