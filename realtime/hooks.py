"""Model hooks: whoever leaves a room by any code path stops receiving it at commit, a message
hidden, restored or deleted (by its author or a moderator) changes on every open page, and a new
notification updates its recipient's header count live.

Collected after each flush, applied after the commit of the outermost transaction, dropped on
its rollback (SQLAlchemy also fires the commit and rollback events for SAVEPOINTs: those are
skipped).
"""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from models import Membership, MemberStatus, Message, Notification, Room, RoomMember, User

PENDING = "realtime_pending"


def current_chat():
    """The app's ChatNamespace (None outside an app, e.g. a bare script)."""
    return current_app.extensions.get("maillage.chat") if has_app_context() else None


def _was_active(membership: Membership) -> bool:
    history = inspect(membership).attrs.status.history
    before = history.deleted[0] if history.deleted else membership.status
    return before == MemberStatus.ACTIVE.value


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    found = session.info.setdefault(PENDING, set())
    for obj in session.new:
        if isinstance(obj, Notification):
            found.add(("notify", obj.user_id, obj.user_id))
    for obj in session.deleted:
        if isinstance(obj, Membership) and _was_active(obj):
            found.add(("network", obj.network_id, obj.user_id))
        elif isinstance(obj, RoomMember):
            found.add(("room", obj.room_id, obj.user_id))
        elif isinstance(obj, User):
            found.add(("user", obj.id, obj.id))
    for obj in session.dirty:
        if isinstance(obj, Membership) and obj.status != MemberStatus.ACTIVE.value \
                and _was_active(obj):
            found.add(("network", obj.network_id, obj.user_id))
        elif isinstance(obj, RoomMember) and obj.left_at is not None \
                and inspect(obj).attrs.left_at.history.has_changes():
            found.add(("room", obj.room_id, obj.user_id))
        elif isinstance(obj, Message):
            state = inspect(obj)
            if state.attrs.deleted_at.history.has_changes() and obj.deleted_at is not None:
                found.add(("message_deleted", obj.room_id, obj.id))
            elif state.attrs.hidden_at.history.has_changes():
                found.add(("message_hidden" if obj.hidden_at else "message_shown",
                           obj.room_id, obj.id))
        elif isinstance(obj, User) and inspect(obj).attrs.session_token.history.has_changes():
            found.add(("user", obj.id, obj.id))  # signed out everywhere (password changed)
    if not found:
        session.info.pop(PENDING, None)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)


@event.listens_for(Session, "after_commit")
def _apply(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the outer transaction is not committed yet
    found = session.info.pop(PENDING, None)
    chat = current_chat() if found else None
    if chat is None:
        return
    with Session(bind=session.get_bind()) as reader:
        for kind, target, user_id in sorted(found):
            if kind == "user":
                chat.disconnect_user(user_id)
            elif kind.startswith("message_"):
                chat.message_changed(reader, kind, target, user_id)
            elif kind == "notify":
                count = reader.scalar(select(func.count()).select_from(Notification).where(
                    Notification.user_id == user_id, Notification.read_at.is_(None)))
                chat.to_user(user_id, "notifications", {"count": count})
            else:
                if kind == "network":
                    target = reader.scalar(select(Room.id).where(Room.network_id == target))
                if target is not None:
                    chat.evict(user_id, target)
