"""A content version: one number that changes whenever something shown on public pages changes.

Page caches key their entries on it, so a change made by any process (another worker, a CLI
command) invalidates every cached page at once. The number is bumped in the same transaction as
the change: a rolled-back change leaves it alone, a committed one is seen by every reader.
"""
from __future__ import annotations

from sqlalchemy import Integer, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import db

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


@event.listens_for(Session, "before_flush")
def _bump_content_version(session: Session, _context, _instances) -> None:
    if session.info.get("content_version_bumped"):
        return
    if any(_changes_pages(session, obj, False) for obj in (*session.new, *session.deleted)) \
            or any(_changes_pages(session, obj, True) for obj in session.dirty):
        table = ContentVersion.__table__
        session.connection().execute(update(table).where(table.c.id == SINGLETON_ID)
                                     .values(version=table.c.version + 1))
        session.info["content_version_bumped"] = True


@event.listens_for(Session, "after_commit")
def _count_local_bump(session: Session) -> None:
    global local_bumps
    if session.info.pop("content_version_bumped", None):
        local_bumps += 1


@event.listens_for(Session, "after_rollback")
def _forget_bump(session: Session) -> None:
    session.info.pop("content_version_bumped", None)
