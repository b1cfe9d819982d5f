"""A content version: one number that changes whenever something shown on public pages changes.

Page caches key their entries on it, so a change made by any process (another worker, a CLI
command) invalidates every cached page at once. The number is bumped in the same transaction as
the change: a rolled-back change leaves it alone, a committed one is seen by every reader.
"""
from __future__ import annotations

from sqlalchemy import Integer, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import commit_hooks
from models.base import db
from models.commit_hooks import Collected

SINGLETON_ID = 1
# Commits of this process that bumped the version: a cache may trust the version it read last
# while this is unchanged (and for a short while, for the other processes' commits).
local_bumps = 0


class ContentVersion(db.Model):
    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def current_content_version(session: Session) -> int:
    return session.scalar(select(ContentVersion.version).where(
        ContentVersion.id == SINGLETON_ID)) or 0


def _changes_pages(session: Session, obj, existing: bool) -> bool:
    """Whether this new, changed or deleted object changes what pages show. A model says so
    with `__shown_on_pages__`: True for all its columns, or the names of those that are shown
    (a user's password or language change no page)."""
    shown = getattr(type(obj), "__shown_on_pages__", False)
    if not shown or not existing:
        return bool(shown)
    if shown is True:
        return session.is_modified(obj, include_collections=True)
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in shown)


def _bump_content_version(session: Session, collected: Collected) -> None:
    if collected.seen("bumped"):
        return
    if any(_changes_pages(session, obj, False) for obj in (*session.new, *session.deleted)) \
            or any(_changes_pages(session, obj, True) for obj in session.dirty):
        table = ContentVersion.__table__
        session.connection().execute(update(table).where(table.c.id == SINGLETON_ID)
                                     .values(version=table.c.version + 1))
        collected.here["bumped"] = True


def _count_local_bump(_session: Session, _collected: dict) -> None:
    global local_bumps
    local_bumps += 1


commit_hooks.register(commit_hooks.CommitHook(
    "content_version", 20, "bump the content version when a change shows on pages "
    "(page caches of every process key on it); count this process's bumps",
    before_flush=_bump_content_version, after_commit=_count_local_bump))
