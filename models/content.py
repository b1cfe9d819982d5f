"""A content version: one number that changes whenever something shown on public pages changes.

Page caches key their entries on it, so a change made by any process (another worker, a CLI
command) invalidates every cached page at once. The number is bumped in the same transaction as
the change: a rolled-back change leaves it alone, a committed one is seen by every reader.
"""
from __future__ import annotations

from sqlalchemy import Integer, event, select, update
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


def _shows_on_pages(obj) -> bool:
    return getattr(type(obj), "__shown_on_pages__", False)


@event.listens_for(Session, "before_flush")
def _bump_content_version(session: Session, _context, _instances) -> None:
    if session.info.get("content_version_bumped"):
        return
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(_shows_on_pages(obj) for obj in changed if obj not in session.dirty
           or session.is_modified(obj, include_collections=True)):
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
