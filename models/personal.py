"""A personal version per account: one number that changes whenever something only this person's
pages show changes (their connections and requests, blocks, memberships, declaration, direct
conversations).

Member pages are cached per login session (app/pagecache.py: `member_page`), keyed on this
number next to the content version (models/content.py), which covers what everyone sees. The
number is bumped in the same transaction as the change, like the content version: a rolled-back
change leaves it alone, a committed one is seen by the next request of any process (the number
is read with the account, at no extra query).

A model names the accounts a row concerns with `__personal_to__`, the attributes holding their
user ids; `__personal_columns__` (optional) the columns whose change matters to them, when not
all do (a chat read marker moves all the time and shows on no cached page). A new or deleted row
always counts.
"""
from __future__ import annotations

from sqlalchemy import inspect, update
from sqlalchemy.orm import Session

from models import commit_hooks
from models.commit_hooks import Collected


def _concerned(obj, existing: bool) -> set[int]:
    names = getattr(type(obj), "__personal_to__", ())
    if not names:
        return set()
    if existing:
        columns = getattr(type(obj), "__personal_columns__", None)
        state = inspect(obj)
        watched = columns if columns is not None else [a.key for a in state.mapper.column_attrs]
        if not any(state.attrs[name].history.has_changes() for name in watched):
            return set()
    return {user_id for name in names
            if isinstance(user_id := _personal_id(obj, name), int)}


def _personal_id(obj, name: str):
    value = getattr(obj, name)
    return value() if callable(value) else value


def bump(session: Session, user_ids) -> None:
    """Bump these accounts' personal versions now, in the session's transaction: for changes
    made with UPDATE statements, which the flush hook below does not see."""
    ids = sorted({user_id for user_id in user_ids if isinstance(user_id, int)})
    if ids:
        from models.user import User
        table = User.__table__
        session.connection().execute(update(table).where(table.c.id.in_(ids))
                                     .values(personal_version=table.c.personal_version + 1))


def _bump_personal_versions(session: Session, collected: Collected) -> None:
    concerned: set[int] = set()
    for obj in (*session.new, *session.deleted):
        concerned |= _concerned(obj, False)
    for obj in session.dirty:
        concerned |= _concerned(obj, True)
    done = set().union(*(level.get("bumped", set()) for level in collected.levels))
    concerned -= done
    if not concerned:
        return
    bump(session, concerned)
    collected.here.setdefault("bumped", set()).update(concerned)


commit_hooks.register(commit_hooks.CommitHook(
    "personal_version", 21, "bump the personal version of the accounts a change concerns "
    "(`__personal_to__`: member pages cached per login session key on it)",
    before_flush=_bump_personal_versions))
