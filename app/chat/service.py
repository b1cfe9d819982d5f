"""Chat rooms and messages as plain functions over a session (the caller commits).

`can_read` is the one rule for who may read and write a room; the socket handlers, the pages and
the JSON API all ask it.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.social.connections import connection_between, is_blocked, pair
from app.text import render_markdown
from models import (
    GROUP_MAX_PEOPLE,
    Block,
    ConnectionStatus,
    DirectMessages,
    Membership,
    MemberStatus,
    Message,
    Network,
    Profile,
    Room,
    RoomKind,
    RoomMember,
    User,
)
from models.types import ID_MAX, utcnow

BODY_MAX = 4000
CLIENT_ID_MAX = 64
MISSED_MAX = 1000  # messages one `join` may return; older ones come from the history API
HISTORY_PAGE = 50


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls but tab and line feed


class ChatError(ValueError):
    """Cannot be done; `code` is part of the protocol (docs/realtime.md)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# -- rooms -----------------------------------------------------------------------------------

def network_room(session: Session, network: Network) -> Room:
    """The network's room, created the first time someone needs it."""
    room = session.scalar(select(Room).where(Room.network_id == network.id))
    if room is None:
        room = Room(kind=RoomKind.NETWORK.value, network_id=network.id)
        try:
            with session.begin_nested():
                session.add(room)
        except IntegrityError:  # created meanwhile by another request
            room = session.scalar(select(Room).where(Room.network_id == network.id))
    return room


def may_message(session: Session, sender: User, recipient: User) -> bool:
    """A direct conversation is allowed between connected people, or when the recipient accepts
    messages from any member; never across a block."""
    if sender.id == recipient.id or is_blocked(session, sender.id, recipient.id):
        return False
    connection = connection_between(session, sender.id, recipient.id)
    if connection is not None and connection.status == ConnectionStatus.ACCEPTED.value:
        return True
    policy = session.scalar(select(Profile.direct_messages).where(Profile.user_id == recipient.id))
    return policy == DirectMessages.MEMBERS.value


def has_direct_room(session: Session, a: int, b: int) -> bool:
    low, high = pair(a, b)
    return session.scalar(select(Room.id).where(Room.direct_key == f"{low}:{high}")) is not None


def direct_room(session: Session, sender: User, recipient: User) -> Room:
    """The conversation between two people, created on the first message. An existing one stays
    readable by both even if they disconnect later (their history is theirs)."""
    low, high = pair(sender.id, recipient.id)
    key = f"{low}:{high}"
    room = session.scalar(select(Room).where(Room.direct_key == key))
    if room is not None:
        return room
    if not may_message(session, sender, recipient):
        raise ChatError("not_allowed")
    try:
        with session.begin_nested():
            room = Room(kind=RoomKind.DIRECT.value, direct_key=key, created_by_id=sender.id)
            session.add(room)
            session.flush()
            session.add_all([RoomMember(room_id=room.id, user_id=low),
                             RoomMember(room_id=room.id, user_id=high)])
    except IntegrityError:
        room = session.scalar(select(Room).where(Room.direct_key == key))
    return room


def create_group(session: Session, creator: User, name: str, people: list[User]) -> Room:
    others = {p.id: p for p in people if p.id != creator.id}
    if not others:
        raise ChatError("group_empty")
    if len(others) + 1 > GROUP_MAX_PEOPLE:
        raise ChatError("group_too_big")
    if any(not may_message(session, creator, p) for p in others.values()):
        raise ChatError("not_allowed")
    room = Room(kind=RoomKind.GROUP.value, name=name.strip()[:80], created_by_id=creator.id)
    session.add(room)
    session.flush()
    session.add_all([RoomMember(room_id=room.id, user_id=uid) for uid in [creator.id, *others]])
    return room


def leave_group(session: Session, room: Room, user_id: int) -> None:
    """Through the ORM (not a bulk UPDATE), so the commit takes the person's sockets out."""
    member = session.get(RoomMember, (room.id, user_id))
    if member is not None and member.left_at is None:
        member.left_at = utcnow()


def can_read(session: Session, user_id: int, room: Room) -> bool:
    if room.kind == RoomKind.NETWORK.value:
        return session.scalar(select(Membership.id).where(
            Membership.network_id == room.network_id, Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE.value)) is not None
    return session.scalar(select(RoomMember.user_id).where(
        RoomMember.room_id == room.id, RoomMember.user_id == user_id,
        RoomMember.left_at.is_(None))) is not None


def readable_room(session: Session, user_id: int, room_id) -> Room | None:
    """The room if it exists and this user may read it; None otherwise (the caller says "not
    found" either way, so a room's existence is not disclosed)."""
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id <= ID_MAX:
        return None
    return session.scalar(_READABLE_ROOM, {"room_id": room_id, "user_id": user_id})


def _readable_room_statement():
    """One query (it runs on every socket event), built once: the room joined with the reader's
    active membership of its network, or with their place in the direct or group room."""
    membership, member = aliased(Membership), aliased(RoomMember)
    user_id = bindparam("user_id")
    return (select(Room).where(Room.id == bindparam("room_id"))
            .outerjoin(membership, (membership.network_id == Room.network_id)
                       & (membership.user_id == user_id)
                       & (membership.status == MemberStatus.ACTIVE.value))
            .outerjoin(member, (member.room_id == Room.id) & (member.user_id == user_id)
                       & member.left_at.is_(None))
            .where(((Room.kind == RoomKind.NETWORK.value) & membership.id.is_not(None))
                   | ((Room.kind != RoomKind.NETWORK.value) & member.user_id.is_not(None))))


_READABLE_ROOM = _readable_room_statement()


def people_ids(session: Session, room: Room) -> list[int]:
    """Who reads the room now."""
    if room.kind == RoomKind.NETWORK.value:
        return list(session.scalars(select(Membership.user_id).where(
            Membership.network_id == room.network_id,
            Membership.status == MemberStatus.ACTIVE.value)))
    return list(session.scalars(select(RoomMember.user_id).where(
        RoomMember.room_id == room.id, RoomMember.left_at.is_(None))))


def room_ids_for(session: Session, user_id: int) -> list[int]:
    """Every room this user reads (network rooms exist once someone opened them)."""
    networks = select(Membership.network_id).where(
        Membership.user_id == user_id, Membership.status == MemberStatus.ACTIVE.value)
    network_rooms = select(Room.id).where(Room.network_id.in_(networks))
    own = select(RoomMember.room_id).join(Room, Room.id == RoomMember.room_id).where(
        RoomMember.user_id == user_id, RoomMember.left_at.is_(None), Room.kind != RoomKind.NETWORK.value)
    return list(session.scalars(network_rooms.union(own)))


def ensure_network_rooms(session: Session, user_id: int) -> None:
    missing = session.scalars(
        select(Network).join(Membership, Membership.network_id == Network.id)
        .outerjoin(Room, Room.network_id == Network.id)
        .where(Membership.user_id == user_id, Membership.status == MemberStatus.ACTIVE.value,
               Room.id.is_(None)))
    for network in missing:
        network_room(session, network)


def room_title(session: Session, room: Room, viewer_id: int) -> str:
    if room.kind == RoomKind.NETWORK.value:
        return room.network.name
    if room.kind == RoomKind.GROUP.value and room.name:
        return room.name
    names = session.scalars(select(User.display_name).join(
        RoomMember, RoomMember.user_id == User.id).where(
        RoomMember.room_id == room.id, RoomMember.user_id != viewer_id,
        RoomMember.left_at.is_(None)).order_by(User.display_name).limit(4))
    return ", ".join(names)


def room_summaries(session: Session, user_id: int) -> list[dict]:
    """The conversation list: title, unread count, last message time; latest first."""
    ensure_network_rooms(session, user_id)
    ids = room_ids_for(session, user_id)
    if not ids:
        return []
    last = dict(session.execute(select(Message.room_id, func.max(Message.id))
                                .where(Message.room_id.in_(ids)).group_by(Message.room_id)).all())
    read = dict(session.execute(select(RoomMember.room_id, RoomMember.last_read_id).where(
        RoomMember.user_id == user_id, RoomMember.room_id.in_(ids))).all())
    rows = []
    for room in session.scalars(select(Room).where(Room.id.in_(ids))):
        last_id = last.get(room.id, 0)
        if room.id not in read and last_id:
            read[room.id] = last_read(session, room.id, user_id)
        marker = read.get(room.id, 0)
        rows.append({"id": room.id, "kind": room.kind, "title": room_title(session, room, user_id),
                     "network_id": room.network_id, "last_id": last_id, "last_read_id": marker,
                     "unread": unread_count(session, room.id, user_id, marker)
                     if last_id > marker else 0})
    rows.sort(key=lambda r: (-r["last_id"], r["title"]))
    return rows


# -- messages --------------------------------------------------------------------------------

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


def post_message(session: Session, room: Room, author_id: int, body, client_id) -> tuple[Message, bool]:
    """Store a message once per (author, client_id). Returns (message, created); a resend of a
    stored one returns it untouched. The caller commits, then emits."""
    body, client_id = clean_body(body), clean_client_id(client_id)
    existing = find_resend(session, author_id, client_id, room.id)
    if existing is not None:
        return existing, False
    refusal = write_refusal_for(session, room, author_id)
    if refusal:
        raise ChatError(refusal)
    return store_message(session, room.id, author_id, body, client_id)


def write_refusal_for(session: Session, room: Room, user_id: int) -> str | None:
    """`write_refusal` for a reader of this room, its network state loaded."""
    return write_refusal(session, user_id, room.id, room.kind,
                         *_charter_versions(session, room, user_id))


def _charter_versions(session: Session, room: Room, user_id: int):
    """(accepted version, required version, muted until) of a network room's member."""
    if room.kind != RoomKind.NETWORK.value:
        return None, None, None
    row = session.execute(select(Membership.accepted_charter_version,
                                 Network.charter_required_version, Membership.muted_until)
                          .join(Network, Network.id == Membership.network_id)
                          .where(Membership.network_id == room.network_id,
                                 Membership.user_id == user_id)).first()
    return tuple(row) if row else (None, None, None)


def store_message(session: Session, room_id: int, author_id: int, body: str,
                  client_id: str) -> tuple[Message, bool]:
    """Insert a checked message (no resend found a moment ago). The session holds nothing else:
    if the same client_id raced in from another socket, it is rolled back and the stored
    message returned."""
    message = Message(room_id=room_id, author_id=author_id, client_id=client_id, body=body,
                      body_html=render(body))
    session.add(message)
    try:
        session.flush()
        return message, True
    except IntegrityError:
        session.rollback()
    existing = find_resend(session, author_id, client_id, room_id)
    if existing is None:
        raise ChatError("invalid")
    return existing, False


def find_resend(session: Session, author_id: int, client_id: str, room_id: int) -> Message | None:
    """The stored message a resend refers to, if any (ChatError if that client_id was used in
    another room)."""
    existing = _by_client_id(session, author_id, client_id)
    if existing is not None and existing.room_id != room_id:
        raise ChatError("invalid")
    return existing


def _by_client_id(session: Session, author_id: int, client_id: str) -> Message | None:
    return session.scalar(select(Message).where(Message.author_id == author_id,
                                                Message.client_id == client_id))


def own_message(session: Session, user_id: int, message_id) -> Message:
    if not isinstance(message_id, int) or isinstance(message_id, bool) or not 0 < message_id <= ID_MAX:
        raise ChatError("not_found")
    message = session.get(Message, message_id)
    if message is None or message.deleted_at is not None:
        raise ChatError("not_found")
    if message.author_id != user_id:
        raise ChatError("forbidden")
    return message


def render(body: str) -> str:
    """A message's HTML, made once when it is written (a pathological 4,000 characters can cost
    tens of milliseconds; reading history must not pay that again)."""
    return str(render_markdown(body, lite=True))


def edit_message(session: Session, message: Message, body) -> None:
    if message.hidden_at is not None:
        raise ChatError("hidden")  # hidden by a moderator: appeal, do not rewrite
    message.body = clean_body(body)
    message.body_html = render(message.body)
    message.edited_at = utcnow()


def delete_message(session: Session, message: Message) -> None:
    message.body = message.body_html = ""
    message.deleted_at = utcnow()


def missed(session: Session, room_id: int, after_id: int) -> list[Message]:
    """Messages after `after_id`, oldest first (a reconnecting client's catch-up)."""
    return list(session.scalars(
        select(Message).where(Message.room_id == room_id, Message.id > after_id)
        .order_by(Message.id).limit(MISSED_MAX)))


def history(session: Session, room_id: int, before: int | None, limit: int = HISTORY_PAGE) -> list[Message]:
    """A page of messages older than `before` (keyset), oldest first."""
    query = select(Message).where(Message.room_id == room_id)
    if before:
        query = query.where(Message.id < before)
    rows = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))
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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def serialize(message: Message, author_name: str | None = None) -> dict:
    """A message as the protocol sends it (docs/realtime.md)."""
    if author_name is None:
        author_name = message.author.display_name if message.author else None
    hidden = message.hidden_at is not None and message.deleted_at is None
    return payload(message.id, message.room_id, message.author_id, author_name,
                   "" if hidden else message.body, "" if hidden else message.body_html,
                   message.client_id, message.created_at, message.edited_at,
                   message.deleted_at is not None, hidden)


def payload(message_id: int, room_id: int, author_id: int | None, author_name: str | None,
            body: str, body_html: str, client_id: str, created_at: datetime,
            edited_at: datetime | None = None, deleted: bool = False,
            hidden: bool = False) -> dict:
    """`hidden`: a moderator hid it; its text is not sent to anyone (the notice replaces it)."""
    return {"id": message_id, "room": room_id, "author": {"id": author_id, "name": author_name},
            "body": body, "body_html": "" if deleted else body_html,
            "created_at": _iso(created_at), "edited_at": _iso(edited_at), "deleted": deleted,
            "hidden": hidden, "client_id": client_id}


# -- the hot path of `send`: two statements and a commit -------------------------------------

@dataclass(frozen=True)
class Sender:
    user_id: int
    name: str
    room_id: int
    kind: str


def _sender_statement():
    membership, member = aliased(Membership), aliased(RoomMember)
    return (select(User.display_name, User.session_token, Room.id, Room.kind,
                   membership.id, member.user_id, membership.accepted_charter_version,
                   Network.charter_required_version, membership.muted_until)
            .select_from(User)
            .outerjoin(Room, Room.id == bindparam("room_id"))
            .outerjoin(Network, Network.id == Room.network_id)
            .outerjoin(membership, (membership.network_id == Room.network_id)
                       & (membership.user_id == User.id)
                       & (membership.status == MemberStatus.ACTIVE.value))
            .outerjoin(member, (member.room_id == Room.id) & (member.user_id == User.id)
                       & member.left_at.is_(None))
            .where(User.id == bindparam("user_id")))


_SENDER = _sender_statement()


def sender(session: Session, cookie_id: str, room_id) -> Sender | str:
    """Who sends into which room, from the socket's session ("id:token", as Flask-Login keeps
    it) in one query: the same checks as the user loader and `readable_room`, plus the
    network's current charter accepted, and no block in a direct conversation. Returns a
    Sender, or the error code ("unauthorized", "not_found", "charter", "not_allowed")."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token:
        return "unauthorized"
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id <= ID_MAX:
        room_id = 0
    row = session.execute(_SENDER, {"user_id": int(user_id), "room_id": room_id}).first()
    if row is None or not secrets.compare_digest(row[1], token):
        return "unauthorized"
    name, _token, found_id, kind, membership_id, member_id, accepted, charter, muted_until = row
    readable = found_id is not None and (
        membership_id is not None if kind == RoomKind.NETWORK.value else member_id is not None)
    if not readable:
        return "not_found"
    return write_refusal(session, int(user_id), found_id, kind, accepted, charter, muted_until) \
        or Sender(int(user_id), name, found_id, kind)


def write_refusal(session: Session, user_id: int, room_id: int, kind: str,
                  accepted: int | None = None, charter: int | None = None,
                  muted_until: datetime | None = None) -> str | None:
    """Why a reader of a room may not write in it now, or None: muted in the network by a
    moderator; a network's new material charter not accepted yet; a block between the two
    people of a direct conversation."""
    if kind == RoomKind.NETWORK.value and muted_until is not None and utcnow() < muted_until:
        return "muted"
    if kind == RoomKind.NETWORK.value and (accepted or 0) < (charter or 0):
        return "charter"
    if kind == RoomKind.DIRECT.value:
        others = select(RoomMember.user_id).where(RoomMember.room_id == room_id,
                                                  RoomMember.user_id != user_id)
        if session.scalar(select(Block.id).where(
                ((Block.blocker_id == user_id) & Block.blocked_id.in_(others))
                | ((Block.blocked_id == user_id) & Block.blocker_id.in_(others))).limit(1)):
            return "not_allowed"
    return None


def insert_message(session: Session, who: Sender, body: str, client_id: str) -> tuple[dict, bool]:
    """Insert (one statement, RETURNING) or, for a client_id already stored, find it: returns
    (payload, created). The session holds nothing else; the caller commits."""
    html = render(body)
    try:
        new_id, created_at = session.execute(
            insert(Message).values(room_id=who.room_id, author_id=who.user_id, client_id=client_id,
                                   body=body, body_html=html)
            .returning(Message.id, Message.created_at)).one()
    except IntegrityError:
        session.rollback()
        existing = find_resend(session, who.user_id, client_id, who.room_id)
        if existing is None:
            raise ChatError("invalid") from None
        return serialize(existing, who.name), False
    return payload(new_id, who.room_id, who.user_id, who.name, body, html, client_id,
                   created_at), True
