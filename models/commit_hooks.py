"""What a commit triggers, in one place.

Subsystems register a `CommitHook` (from their own `init_app`, or at import for the model
invariants that must never be off). SQLAlchemy's session events are listened to once, here, and
every hook sees the same bookkeeping:

- at each flush, a hook records what it needs in its own dict for the current transaction level
  (`before_flush` may still change or refuse the flush; `after_flush` sees the flushed rows);
- a SAVEPOINT gets a level of its own: released, it is merged into the level around it; rolled
  back, what it collected is dropped;
- just before the outermost COMMIT (everything flushed), each hook's merged dict is handed to
  its `before_commit`, in the registry's order: what it writes there is written in the same
  transaction, so it commits or rolls back with the rows (no moment where one is committed
  without the other);
- after the outermost COMMIT, each hook's merged dict is handed to its `after_commit`, in the
  registry's order; after the outermost ROLLBACK everything collected is dropped.

`registered()` lists the hooks in order (docs/architecture.md has the same table, and a test
keeps them equal).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

STATE = "commit_hooks"  # session.info key: a list of levels, outermost first


@dataclass
class Collected:
    """What one hook collected so far, seen from the current transaction level."""
    here: dict          # this level's dict: write into it
    levels: list[dict]  # every open level's dict for this hook, outermost first

    def seen(self, key) -> bool:
        """Whether any open level (this one or one around it) holds `key`."""
        return any(key in level for level in self.levels)


@dataclass(frozen=True)
class CommitHook:
    """One subsystem's reaction to commits. `order` sorts the hooks (lower first) at every
    stage; the callbacks are optional."""
    name: str
    order: int
    purpose: str
    before_flush: Callable[[Session, Collected], None] | None = None
    after_flush: Callable[[Session, Collected], None] | None = None
    before_commit: Callable[[Session, dict], None] | None = None
    after_commit: Callable[[Session, dict], None] | None = None
    stages: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self):
        object.__setattr__(self, "stages", tuple(
            stage for stage in ("before_flush", "after_flush", "before_commit", "after_commit")
            if getattr(self, stage) is not None))


_hooks: dict[str, CommitHook] = {}
_ordered: list[CommitHook] = []


def register(hook: CommitHook) -> None:
    """Add or replace a hook (registering the same name again is harmless: every app made in
    a process registers its subsystems)."""
    _hooks[hook.name] = hook
    _ordered[:] = sorted(_hooks.values(), key=lambda h: (h.order, h.name))


def registered() -> list[CommitHook]:
    return list(_ordered)


def pending(session: Session) -> dict[str, dict]:
    """Everything collected and not yet applied, merged per hook (for tests and debugging)."""
    merged: dict[str, dict] = {}
    for level in session.info.get(STATE, ()):
        for name, collected in level.collected.items():
            merged.setdefault(name, {}).update(collected)
    return {name: found for name, found in merged.items() if found}


# -- the bookkeeping, written once -------------------------------------------------------------

@dataclass
class _Level:
    """One transaction level: the root transaction or a SAVEPOINT."""
    collected: dict[str, dict] = field(default_factory=dict)  # hook name -> what it collected
    released: bool = False


def _levels(session: Session) -> list[_Level]:
    levels = session.info.get(STATE)
    if not levels:
        levels = session.info[STATE] = [_Level()]
    return levels


def _collected(session: Session, name: str) -> Collected:
    levels = _levels(session)
    return Collected(levels[-1].collected.setdefault(name, {}),
                     [level.collected.get(name, {}) for level in levels])


@event.listens_for(Session, "after_transaction_create")
def _open_level(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        _levels(session).append(_Level())
    # the root's level is made on first use; a flush's own inner transaction shares its parent's


@event.listens_for(Session, "after_transaction_end")
def _close_level(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(STATE, None)  # committed (applied), rolled back or closed: gone
        return
    if not transaction.nested:
        return
    levels = session.info.get(STATE)
    if not levels or len(levels) < 2:
        return
    level = levels.pop()
    if level.released:
        for name, collected in level.collected.items():
            levels[-1].collected.setdefault(name, {}).update(collected)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    for hook in _ordered:
        if hook.before_flush is not None:
            hook.before_flush(session, _collected(session, hook.name))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    for hook in _ordered:
        if hook.after_flush is not None:
            hook.after_flush(session, _collected(session, hook.name))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: its level is merged when it ends, written at the COMMIT
    if not any(hook.before_commit is not None for hook in _ordered):
        return
    session.flush()  # what is still pending is collected before it is written
    merged = pending(session)
    for hook in _ordered:
        if hook.before_commit is not None and merged.get(hook.name):
            hook.before_commit(session, merged[hook.name])


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT released: merged into the level around it when it ends.
        _levels(session)[-1].released = True
        return
    merged = pending(session)
    session.info.pop(STATE, None)
    for hook in _ordered:
        if hook.after_commit is not None and merged.get(hook.name):
            hook.after_commit(session, merged[hook.name])


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(STATE, None)
    # a SAVEPOINT rolled back: its level is dropped when it ends
