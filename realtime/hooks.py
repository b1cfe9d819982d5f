"""Model hooks: whoever leaves a room by any code path stops receiving it at commit, a message
hidden, restored or deleted (by its author or a moderator) changes on every open page, and a new
notification updates its recipient's header count live.

Collected after each flush, applied after the commit of the outermost transaction, dropped on
its rollback or a SAVEPOINT's (the bookkeeping is `models/commit_hooks.py`'s).
"""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from models import (
    LoginSession,
    Membership,
    MemberStatus,
    Message,
    Notification,
    Room,
    RoomMember,
    User,
    commit_hooks,
)
from models.commit_hooks import Collected, CommitHook


def current_chat():
    """The app's chat fan-out (realtime/fanout.py; None outside an app, e.g. a bare script)."""
    return current_app.extensions.get("maillage.chat") if has_app_context() else None


def _was_active(membership: Membership) -> bool:
    history = inspect(membership).attrs.status.history
    before = history.deleted[0] if history.deleted else membership.status
    return before == MemberStatus.ACTIVE


def _collect(session: Session, collected: Collected) -> None:
    found = collected.here
    for obj in session.new:
        if isinstance(obj, Notification):
            found["notify", obj.user_id, obj.user_id] = True
    for obj in session.deleted:
        if isinstance(obj, Membership) and _was_active(obj):
            found["network", obj.network_id, obj.user_id] = True
        elif isinstance(obj, RoomMember):
            found["room", obj.room_id, obj.user_id] = True
        elif isinstance(obj, User):
            found["user", obj.id, obj.id] = True
    for obj in session.dirty:
        if isinstance(obj, Membership) and obj.status != MemberStatus.ACTIVE \
                and _was_active(obj):
            found["network", obj.network_id, obj.user_id] = True
        elif isinstance(obj, RoomMember) and obj.left_at is not None \
                and inspect(obj).attrs.left_at.history.has_changes():
            found["room", obj.room_id, obj.user_id] = True
        elif isinstance(obj, Message):
            state = inspect(obj)
            if state.attrs.deleted_at.history.has_changes() and obj.deleted_at is not None:
                found["message_deleted", obj.room_id, obj.id] = True
            elif state.attrs.hidden_at.history.has_changes():
                found["message_hidden" if obj.hidden_at else "message_shown",
                      obj.room_id, obj.id] = True
        elif isinstance(obj, User) and inspect(obj).attrs.session_token.history.has_changes():
            found["user", obj.id, obj.id] = True  # signed out everywhere (password changed)
        elif isinstance(obj, LoginSession) and obj.revoked_at is not None \
                and inspect(obj).attrs.revoked_at.history.has_changes():
            found["login", obj.id, obj.user_id] = True  # one login ended (log out, a device)


def _apply(session: Session, found: dict) -> None:
    chat = current_chat()
    if chat is None:
        return
    with Session(bind=session.get_bind()) as reader:
        for kind, target, user_id in sorted(found):
            if kind == "user":
                chat.disconnect_user(user_id)
            elif kind == "login":
                chat.disconnect_user(user_id, str(target))
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


def init_app(_app=None) -> None:
    commit_hooks.register(CommitHook(
        "realtime", 40, "sockets follow the commit: evict who left a room, close the sockets "
        "of a deleted or signed-out user and of an ended login session, update or remove a "
        "changed chat message on open pages, push a new notification count",
        after_flush=_collect, after_commit=_apply))
