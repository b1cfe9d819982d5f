"""Private messages stay private: what staff see of a direct conversation, a group or a
private network's room, and the investigation access (README, Security).

Organisers and admins moderate everywhere, but a private room is read by its participants only.
Staff see one of its messages only
- when someone reported it (or its author appealed its hiding): that message and its immediate
  context, `CONTEXT` messages before and after, on the moderation queue's target page; or
- through an investigation access to the room: asked with a mandatory reason, written to the
  audit log, notified to the room's people, valid `ACCESS_HOURS` (24 h). It lets
  them read the room's history (the moderation page, `/api/v1/rooms/<id>/messages`, the socket's
  `join` and `missed`), never write in it.
Anything else is answered as a message or room that does not exist. A network's animators are
members of its room: they read it as members, as before. Plain functions; the caller commits.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.chat.rooms import investigated_room, people_ids, readable_room
from app.moderation.audit import audit
from app.social.notify import notify
from models import (
    Appeal,
    InvestigationAccess,
    Message,
    Network,
    NetworkVisibility,
    NotificationKind,
    Report,
    Room,
    RoomKind,
    TargetKind,
)
from models.types import utcnow

CONTEXT = 2  # messages shown before and after a reported one
ACCESS_HOURS = 24  # how long an investigation access lasts
REASON_MAX = 1000
FULL, CONTEXT_ONLY = "full", "context"


def is_private(session: Session, room: Room) -> bool:
    """A direct conversation, a group, or the room of a private network."""
    if room.kind != RoomKind.NETWORK:
        return True
    visibility = session.scalar(select(Network.visibility).where(Network.id == room.network_id))
    return visibility == NetworkVisibility.PRIVATE


def reported(session: Session, message_id: int) -> bool:
    """Someone reported the message, or its author appealed its hiding."""
    return bool(session.scalar(select(exists().where(
        Report.target_kind == TargetKind.MESSAGE, Report.target_id == message_id)))) \
        or bool(session.scalar(select(exists().where(
            Appeal.target_kind == TargetKind.MESSAGE, Appeal.target_id == message_id))))


def message_sight(session: Session, viewer, message: Message) -> str | None:
    """What a moderator may see of a chat message: FULL (its room is theirs to read, is not
    private, or they hold an investigation access to it), CONTEXT_ONLY (reported: the message
    and its immediate context), or None (answered as not found)."""
    if readable_room(session, viewer.id, message.room_id) is not None:
        return FULL
    room = session.get(Room, message.room_id)
    if room is None:
        return None
    if not is_private(session, room) or investigated_room(session, viewer.id, room.id):
        return FULL
    return CONTEXT_ONLY if reported(session, message.id) else None


def context(session: Session, message: Message, size: int = CONTEXT) -> list[Message]:
    """The message with up to `size` messages before and after it in its room, in order."""
    before = list(session.scalars(select(Message).where(
        Message.room_id == message.room_id, Message.seq < message.seq)
        .order_by(Message.seq.desc()).limit(size)))
    after = list(session.scalars(select(Message).where(
        Message.room_id == message.room_id, Message.seq > message.seq)
        .order_by(Message.seq).limit(size)))
    return [*reversed(before), message, *after]


def active_access(session: Session, staff_id: int, room_id: int) -> InvestigationAccess | None:
    return session.scalar(select(InvestigationAccess).where(
        InvestigationAccess.room_id == room_id, InvestigationAccess.staff_id == staff_id,
        InvestigationAccess.expires_at > utcnow())
        .order_by(InvestigationAccess.expires_at.desc()).limit(1))


def open_access(session: Session, staff, room: Room, reason: str,
                hours: int = ACCESS_HOURS) -> InvestigationAccess:
    """Give `staff` (an organiser or admin: the caller checked) read access to the room for
    `hours`: an audit entry with the reason, a notification to each of its people."""
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise ValueError("a reason is required")
    expires = utcnow() + timedelta(hours=hours)
    access = InvestigationAccess(room_id=room.id, staff_id=staff.id, reason=reason,
                                 expires_at=expires)
    session.add(access)
    audit(session, staff, "investigate", "room", room.id, label=_room_label(room),
          network_id=room.network_id, reason=reason,
          detail=f"until {expires.strftime('%Y-%m-%d %H:%M')} UTC")
    notify(session, people_ids(session, room), NotificationKind.INVESTIGATION, staff.id,
           network_id=room.network_id, detail=reason, across_blocks=True)
    session.flush()
    return access


def _room_label(room: Room) -> str:
    return {RoomKind.DIRECT: "direct", RoomKind.GROUP: "group"}.get(
        room.kind, "network") + f" #{room.id}"
