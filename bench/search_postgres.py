"""The PostgreSQL search backend (search/postgres.py) in bench/search.py's run: the same
documents written into a scratch database (`bench_search_<pid>`, dropped at the end) the way
`flask search rebuild` writes them, and the same queries through `search.postgres.search`."""
from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, text

from search import postgres, postgres_documents

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = ROOT / "migrations" / "versions" / "0026_postgres_search.py"
BATCH = 1000  # documents per write, as search/__init__.py: WRITE_BATCH


class PostgresBench:
    def __init__(self, admin_url: str):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"bench_search_{os.getpid()}"
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.engine = create_engine(self.admin.url.set(database=self.name))
        self.index = postgres.PostgresIndex(self.engine)
        with self.engine.begin() as connection:  # the tables, as migration 0026 makes them
            spec = importlib.util.spec_from_file_location("migration_0026", MIGRATION)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            with Operations.context(MigrationContext.configure(connection)):
                module.upgrade()

    def build(self, docs: list[dict]) -> float:
        """Seconds to write every document (batches in one transaction) and analyse."""
        start = time.perf_counter()
        with self.engine.begin() as connection:
            for i in range(0, len(docs), BATCH):
                postgres_documents.write(connection, docs[i:i + BATCH], [])
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE search_document, search_posting, search_word"))
        return time.perf_counter() - start

    def size(self) -> int:
        with self.engine.connect() as c:
            return sum(c.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar()
                       for t in postgres_documents.TABLES)

    def update_searchable_ms(self, doc: dict) -> tuple[float, bool]:
        """One document rewritten and committed, then found by its new word."""
        start = time.perf_counter()
        with self.engine.begin() as connection:
            postgres_documents.write(connection, [doc], [])
        found = postgres.search(self.index, "tonnelier", member=True).total
        return (time.perf_counter() - start) * 1000, found == 1

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
