"""The index's lifecycle: open (or create), write one batch at a time, rebuild beside the live
index and swap.

Layout: SEARCH_INDEX_DIR holds index directories (`ix-<time>`) and a file CURRENT naming the
live one. A rebuild writes a new directory while searches keep reading the old one, then
replaces CURRENT (an atomic rename): every process's next search opens the new index (a
`stat` per search tells). Changes committed during a rebuild are written to the live index as
usual and their keys journaled (`<new>.journal`); the rebuild replays the journal into the new
index before and after the swap, from the database rows, so nothing committed meanwhile is lost.

Whoosh allows one writer per index: writes are serialised by a lock per process and, between
processes, by Whoosh's own file lock waited on with a timeout (WRITER_TIMEOUT). A missing,
unreadable or outdated index (another schema VERSION) is detected when the app starts: it is
rebuilt from the database (in the background when the database is large), and searches say so
meanwhile; never a crash.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from itertools import accumulate, chain
from operator import sub
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.codec import whoosh3
from whoosh.index import LockError

from search.bulk import SegmentBuilder
from search.schema import VERSION, make_schema

log = logging.getLogger(__name__)
WRITER_TIMEOUT = 30.0  # seconds another process may hold the writer
# TF-IDF rather than BM25F: it needs no field length per match (a third of the time of a
# query on a common word), and search/understanding/ranking.py wants no length normalisation.
WEIGHTING = scoring.TF_IDF()
CURRENT = "CURRENT"
REBUILDING = "REBUILDING"
VERSION_FILE = "maillage-version"
_write_lock = threading.Lock()


def _remember_columns() -> None:
    """Whoosh asks a segment whether it has a field-length column once per posting written (a
    `stat` of the file each time: a third of a rebuild once the lengths are gone). A segment's
    files never change once written: the answer is kept per reader."""
    original = whoosh3.W3PerDocReader.has_column
    if getattr(original, "maillage", False):
        return

    def has_column(self, fieldname):
        known = self.__dict__.setdefault("_maillage_columns", {})
        if fieldname not in known:
            known[fieldname] = original(self, fieldname)
        return known[fieldname]
    has_column.maillage = True
    whoosh3.W3PerDocReader.has_column = has_column


_remember_columns()


def _delta_codes_in_c() -> None:
    """A posting block's document numbers are stored as differences; Whoosh turns them back
    and forth with a Python generator, a step per posting (a fifth of reading a common
    word's postings). The same sums and differences, by itertools and operator in C."""
    if getattr(whoosh3.delta_decode, "maillage", False):
        return

    def delta_decode(nums):
        return accumulate(nums)

    def delta_encode(nums):
        return map(sub, nums, chain((0,), nums))
    delta_decode.maillage = delta_encode.maillage = True
    whoosh3.delta_decode, whoosh3.delta_encode = delta_decode, delta_encode


_delta_codes_in_c()


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


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def create_index(path: Path):
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(path, make_schema())
    (path / VERSION_FILE).write_text(str(VERSION))
    return ix


class SearchIndex:
    def __init__(self, directory: str | Path):
        self.root = Path(directory)
        self.rebuilding = False
        self.stale = False
        self._ix = None
        self._ix_name: str | None = None
        self._seen: tuple[int, int] | None = None  # CURRENT's (inode, mtime) last read
        self._name: str | None = None
        self._local = native_local()
        self.cache: dict = {}  # per index generation things a backend keeps (the speller)

    # -- where the live index is ----------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            st = (self.root / CURRENT).stat()
        except FileNotFoundError:
            self._seen = self._name = None
            return None
        seen = (st.st_ino, st.st_mtime_ns)
        if seen != self._seen:
            self._name = (self.root / CURRENT).read_text("utf-8").strip() or None
            self._seen = seen
        return self._name

    @property
    def directory(self) -> Path:
        name = self.current_name()
        return self.root / name if name else self.root / "ix-none"

    def open(self):
        """The live index, created empty if missing (the caller decides about a rebuild)."""
        name = self.current_name()
        if name is None:
            with _write_lock:
                name = self.current_name()
                if name is None:
                    name = f"ix-{time.time_ns()}"
                    create_index(self.root / name)
                    _write_atomically(self.root / CURRENT, name)
                    name = self.current_name()
        if self._ix is None or self._ix_name != name:
            path = self.root / name
            self._ix = whoosh_index.open_dir(path) if whoosh_index.exists_in(path) \
                else create_index(path)
            self._ix_name = name
            self._local = native_local()
        return self._ix

    def healthy(self) -> bool:
        """Whether the live index exists, can be read and has this code's schema version."""
        try:
            name = self.current_name()
            if name is None or not whoosh_index.exists_in(self.root / name):
                return False
            if (self.root / name / VERSION_FILE).read_text().strip() != str(VERSION):
                return False
            ix = whoosh_index.open_dir(self.root / name)
            with ix.searcher() as searcher:
                searcher.doc_count()
            return True
        except Exception:  # a corrupt index raises all sorts of errors
            log.exception("search index in %s is unreadable", self.root)
            return False

    def reset(self) -> None:
        """Throw the index away and start an empty one."""
        self._ix = None
        self._local = native_local()
        shutil.rmtree(self.root, ignore_errors=True)
        self._seen = self._name = None
        self.open()

    def optimize(self) -> None:
        """Merge the segments into one (fewer files to read per query)."""
        with _write_lock:
            self.open().optimize()

    @contextmanager
    def searcher(self):
        """A searcher of the latest committed index, kept per thread between queries (opening
        one costs ~10 ms); replaced when another commit made a new generation, or a rebuild
        swapped the index."""
        ix = self.open()
        generation = (self._ix_name, ix.latest_generation())
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
        self._journal(add, delete)
        ix = self.open()
        with _write_lock:
            _write_batch(ix, add, delete)

    def _journal(self, add: list[dict], delete: list[str]) -> None:
        """While a rebuild runs (any process), note the keys it must read again."""
        try:
            target = (self.root / REBUILDING).read_text("utf-8").strip()
        except FileNotFoundError:
            return
        if target:
            with open(self.root / f"{target}.journal", "a", encoding="utf-8") as f:
                f.write("".join(f"{d['key']}\n" for d in add) + "".join(f"{k}\n" for k in delete))


def _write_batch(ix, add: list[dict], delete: list[str]) -> None:
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


class Build:
    """A new index written beside the live one (search/__init__.py: rebuild).

    The documents go into one new segment through search/bulk.py (postings gathered per term
    in memory and written a block at a time, instead of Whoosh's writer handling each of them
    through its pool), written at `finish`; the fresh index needs no `update_document`
    lookups either."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.name = f"ix-{time.time_ns()}"
        self.path = index.root / self.name
        index.root.mkdir(parents=True, exist_ok=True)
        self.ix = create_index(self.path)
        _write_atomically(index.root / REBUILDING, self.name)
        self.journal = index.root / f"{self.name}.journal"
        self.journal.touch()
        self.read_up_to = 0
        self.builder = SegmentBuilder(self.ix)

    def add(self, doc: dict) -> None:
        self.builder.add(doc)

    def finish(self) -> None:
        self.builder.commit()

    def journaled(self) -> set[str]:
        """Keys journaled since the last call."""
        with open(self.journal, encoding="utf-8") as f:
            f.seek(self.read_up_to)
            text = f.read()
            self.read_up_to = f.tell()
        return {line for line in text.splitlines() if line}

    def apply(self, add: list[dict], delete: list[str]) -> None:
        _write_batch(self.ix, add, delete)

    def swap(self) -> None:
        """Make the new index the live one; the old directories go."""
        root = self.index.root
        _write_atomically(root / CURRENT, self.name)
        (root / REBUILDING).unlink(missing_ok=True)

    def clean(self) -> None:
        root = self.index.root
        for entry in root.iterdir():
            if entry.name.startswith("ix-") and entry.name != self.name:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)

    def abandon(self) -> None:
        if not self.builder.writer.is_closed:
            self.builder.cancel()
        (self.index.root / REBUILDING).unlink(missing_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)
        self.journal.unlink(missing_ok=True)
