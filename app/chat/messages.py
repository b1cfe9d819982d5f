"""Chat messages as plain functions over a session (the caller commits): checking what is
written, reading history and what a client missed, read markers and unread counts, changing a
message, and a message as the protocol sends it (docs/realtime.md)."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import BindParameter, Exists, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.images.storage import media_path
from app.text import render_markdown
from models import Membership, Message, Room, RoomKind, RoomMember
from models.types import ID_MAX, utcnow
from realtime.protocol import ChatError

BODY_MAX = 4000
CLIENT_ID_MAX = 64
REPLAY_PAGE = 100  # messages one `join` or `missed` replays; the client asks for the next page
HISTORY_PAGE = 50


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls but tab and line feed


# -- what is written -------------------------------------------------------------------------

def clean_body(body) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid")
    body = _CONTROL.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not body:
        raise ChatError("empty")
    if len(body) > BODY_MAX:
        raise ChatError("too_long")
    return body


def clean_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX \
            or not client_id.isprintable():
        raise ChatError("invalid")
    return client_id


def render(body: str) -> str:
    """A message's HTML, made once when it is written (a pathological 4,000 characters can cost
    tens of milliseconds; reading history must not pay that again)."""
    return str(render_markdown(body, lite=True))


def find_resend(session: Session, author_id: int, client_id: str, room_id: int) -> Message | None:
    """The stored message a resend refers to, if any (ChatError if that client_id was used in
    another room)."""
    existing = session.scalar(select(Message).where(Message.author_id == author_id,
                                                    Message.client_id == client_id))
    if existing is not None and existing.room_id != room_id:
        raise ChatError("invalid")
    return existing


# -- changing a message ----------------------------------------------------------------------

def own_message(session: Session, user_id: int, message_id) -> Message:
    if not isinstance(message_id, int) or isinstance(message_id, bool) or not 0 < message_id <= ID_MAX:
        raise ChatError("not_found")
    message = session.get(Message, message_id)
    if message is None or message.deleted_at is not None:
        raise ChatError("not_found")
    if message.author_id != user_id:
        raise ChatError("forbidden")
    return message


def edit_message(session: Session, message: Message, body) -> None:
    if message.hidden_at is not None:
        raise ChatError("hidden")  # hidden by a moderator: appeal, do not rewrite
    message.body = clean_body(body)
    message.body_html = render(message.body)
    message.edited_at = utcnow()


def delete_message(session: Session, message: Message) -> None:
    message.body = message.body_html = ""
    message.deleted_at = utcnow()


# -- reading ---------------------------------------------------------------------------------

def missed(session: Session, room_id: int, after_seq: int, limit: int = REPLAY_PAGE) -> list[Message]:
    """Messages after `after_seq` in the room's commit order, oldest first: a page of a
    reconnecting client's catch-up."""
    return list(session.scalars(
        select(Message).where(Message.room_id == room_id, Message.seq > after_seq)
        .order_by(Message.seq).limit(limit)))


def seq_of(session: Session, room_id: int, message_id: int) -> int:
    """The `seq` a client that has message `message_id` of this room has seen up to (clients
    that still resume by id): that message's, or the last before it by id."""
    return session.scalar(select(func.max(Message.seq)).where(
        Message.room_id == room_id, Message.id <= message_id)) or 0


def history(session: Session, room_id: int, before_seq: int | None,
            limit: int = HISTORY_PAGE) -> list[Message]:
    """A page of messages before `before_seq` (keyset on the room's order), oldest first."""
    query = select(Message).where(Message.room_id == room_id)
    if before_seq:
        query = query.where(Message.seq < before_seq)
    rows = list(session.scalars(query.order_by(Message.seq.desc()).limit(limit)))
    rows.reverse()
    return rows


def mark_read(session: Session, room: Room, user_id: int, message_id: int) -> int:
    """Move the read marker forward (never back). Returns the marker."""
    newest = session.scalar(select(func.max(Message.id)).where(Message.room_id == room.id)) or 0
    target = max(0, min(int(message_id), newest))
    marker = session.get(RoomMember, (room.id, user_id))
    if marker is None:
        try:
            with session.begin_nested():
                session.add(RoomMember(room_id=room.id, user_id=user_id,
                                       last_read_id=last_read(session, room.id, user_id)))
        except IntegrityError:  # another socket of the same person made it meanwhile
            pass
        marker = session.get(RoomMember, (room.id, user_id))
    if target > marker.last_read_id:
        marker.last_read_id = target
    return marker.last_read_id


def last_read(session: Session, room_id: int, user_id: int) -> int:
    """The read marker. A network member who never opened the room has none: what was written
    before they joined the network is not news to them."""
    marker = session.scalar(select(RoomMember.last_read_id).where(
        RoomMember.room_id == room_id, RoomMember.user_id == user_id))
    if marker is not None:
        return marker
    return session.scalar(
        select(func.max(Message.id)).join(Room, Room.id == Message.room_id)
        .join(Membership, (Membership.network_id == Room.network_id)
              & (Membership.user_id == user_id))
        .where(Message.room_id == room_id, Message.created_at <= Membership.joined_at)) or 0


def unread_count(session: Session, room_id: int, user_id: int, after: int | None = None) -> int:
    if after is None:
        after = last_read(session, room_id, user_id)
    return session.scalar(select(func.count()).select_from(Message).where(
        Message.room_id == room_id, Message.id > after, Message.deleted_at.is_(None),
        Message.author_id.is_distinct_from(user_id))) or 0


def unread_conversation(user_id: int | BindParameter[int]) -> Exists:
    """Whether a direct or group conversation holds a message this member has not read: the
    header's "Messages" dot on page load (static/js/live.js shows it live afterwards)."""
    return exists().where(
        RoomMember.room_id == Message.room_id, RoomMember.user_id == user_id,
        Room.id == Message.room_id, Room.kind.in_((RoomKind.DIRECT, RoomKind.GROUP)),
        RoomMember.left_at.is_(None), Message.id > RoomMember.last_read_id,
        Message.deleted_at.is_(None), Message.author_id.is_distinct_from(user_id))


# -- as the protocol sends it ----------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def serialize(message: Message, author_name: str | None = None,
              author_avatar: str | None = None) -> dict:
    """A message as the protocol sends it (docs/realtime.md)."""
    if author_name is None:
        author_name = message.author.display_name if message.author else None
    if author_avatar is None and message.author is not None and message.author.profile:
        author_avatar = message.author.profile.avatar
    hidden = message.hidden_at is not None and message.deleted_at is None
    return payload(message.id, message.seq, message.room_id, message.author_id, author_name,
                   "" if hidden else message.body, "" if hidden else message.body_html,
                   message.client_id, message.created_at, message.edited_at,
                   message.deleted_at is not None, hidden, author_avatar)


def payload(message_id: int, seq: int, room_id: int, author_id: int | None, author_name: str | None,
            body: str, body_html: str, client_id: str, created_at: datetime,
            edited_at: datetime | None = None, deleted: bool = False,
            hidden: bool = False, author_avatar: str | None = None) -> dict:
    """`hidden`: a moderator hid it; its text is not sent to anyone (the notice replaces it).
    `author_avatar`: the author's picture key; the payload carries its 48 px URL (null: the
    page draws their initials)."""
    return {"id": message_id, "seq": seq, "room": room_id,
            "author": {"id": author_id, "name": author_name,
                       "avatar": media_path(author_avatar, 48)},
            "body": body, "body_html": "" if deleted else body_html,
            "created_at": _iso(created_at), "edited_at": _iso(edited_at), "deleted": deleted,
            "hidden": hidden, "client_id": client_id}
