"""The index's lifecycle: open (or create and rebuild), write one batch at a time, rebuild.

Whoosh allows one writer per index: writes are serialised by a lock per process and, between
processes, by Whoosh's own file lock waited on with a timeout (WRITER_TIMEOUT). A missing or
unreadable index is detected when the app starts: it is rebuilt from the database (in the
background when the database is large), and searches say so meanwhile; never a crash.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.index import LockError

from search.schema import make_schema

log = logging.getLogger(__name__)
WRITER_TIMEOUT = 30.0  # seconds another process may hold the writer
# TF-IDF rather than BM25F: it needs no field length per match (a third of the time of a
# query on a common word), and titles and skills are weighted by being indexed twice.
WEIGHTING = scoring.TF_IDF()
_write_lock = threading.Lock()


def native_local():
    """A per-OS-thread store. Under gevent's monkey-patching `threading.local` is per greenlet
    (one per request): a searcher cached there would be reopened (~10 ms) on every query."""
    try:
        from gevent import monkey
    except ImportError:
        return threading.local()
    original = monkey.get_original("threading", "local") if monkey.is_module_patched(
        "threading") else threading.local
    return original()


class SearchIndex:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.rebuilding = False
        self._ix = None
        self._local = native_local()

    def open(self):
        """The index, created empty if missing (the caller decides about a rebuild)."""
        if self._ix is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            if whoosh_index.exists_in(self.directory):
                self._ix = whoosh_index.open_dir(self.directory)
            else:
                self._ix = whoosh_index.create_in(self.directory, make_schema())
        return self._ix

    def healthy(self) -> bool:
        """Whether the index exists and can be read."""
        try:
            if not whoosh_index.exists_in(self.directory):
                return False
            ix = whoosh_index.open_dir(self.directory)
            with ix.searcher() as searcher:
                searcher.doc_count()
            # An index made with an older schema is rebuilt, like a missing one.
            return set(ix.schema.stored_names()) == set(make_schema().stored_names())
        except Exception:  # a corrupt index raises all sorts of errors
            log.exception("search index in %s is unreadable", self.directory)
            return False

    def reset(self) -> None:
        """Throw an unreadable index away and start an empty one."""
        self._ix = None
        self._local = native_local()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.open()

    def optimize(self) -> None:
        """Merge the segments into one (after a rebuild: fewer files to read per query)."""
        with _write_lock:
            self.open().optimize()

    @contextmanager
    def searcher(self):
        """A searcher of the latest committed index, kept per thread between queries (opening
        one costs ~10 ms); replaced when another commit made a new generation."""
        ix = self.open()
        generation = ix.latest_generation()
        cached = getattr(self._local, "searcher", None)
        if cached is None or self._local.generation != generation:
            if cached is not None:
                cached.close()
            cached = self._local.searcher = ix.refresh().searcher(weighting=WEIGHTING)
            self._local.generation = generation
        yield cached

    def write(self, add: list[dict], delete: list[str]) -> None:
        """Apply one batch (deletes, then adds) as a single commit."""
        if not add and not delete:
            return
        ix = self.open()
        with _write_lock:
            deadline = time.monotonic() + WRITER_TIMEOUT
            while True:
                try:
                    writer = ix.writer(timeout=1.0)
                    break
                except LockError:  # another process is writing
                    if time.monotonic() > deadline:
                        raise
            try:
                for key in delete:
                    writer.delete_by_term("key", key)
                for doc in add:
                    writer.update_document(**doc)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
