"""Chat rooms as plain functions over a session (the caller commits): a network's room, direct
and group conversations, who reads a room, and the conversation list.

`readable_room` is the one rule for who may read a room; the socket handlers, the pages and the
JSON API all ask it (sending, which checks it in the same query as the rest, follows it too).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.chat.messages import last_read, unread_count
from app.social.connections import connection_between, is_blocked, pair
from models import (
    GROUP_MAX_PEOPLE,
    ConnectionStatus,
    DirectMessages,
    InvestigationAccess,
    Membership,
    MemberStatus,
    Message,
    Network,
    Profile,
    Role,
    Room,
    RoomKind,
    RoomMember,
    User,
)
from models.types import ID_MAX, utcnow
from realtime.protocol import ChatError


def network_room(session: Session, network: Network) -> Room:
    """The network's room, created the first time someone needs it."""
    room = session.scalar(select(Room).where(Room.network_id == network.id))
    if room is None:
        room = Room(kind=RoomKind.NETWORK, network_id=network.id)
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
    if connection is not None and connection.status == ConnectionStatus.ACCEPTED:
        return True
    policy = session.scalar(select(Profile.direct_messages).where(Profile.user_id == recipient.id))
    return policy == DirectMessages.MEMBERS


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
            room = Room(kind=RoomKind.DIRECT, direct_key=key, created_by_id=sender.id)
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
    room = Room(kind=RoomKind.GROUP, name=name.strip()[:80], created_by_id=creator.id)
    session.add(room)
    session.flush()
    session.add_all([RoomMember(room_id=room.id, user_id=uid) for uid in [creator.id, *others]])
    return room


def leave_group(session: Session, room: Room, user_id: int) -> None:
    """Through the ORM (not a bulk UPDATE), so the commit takes the person's sockets out."""
    member = session.get(RoomMember, (room.id, user_id))
    if member is not None and member.left_at is None:
        member.left_at = utcnow()


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
                       & (membership.status == MemberStatus.ACTIVE))
            .outerjoin(member, (member.room_id == Room.id) & (member.user_id == user_id)
                       & member.left_at.is_(None))
            .where(((Room.kind == RoomKind.NETWORK) & membership.id.is_not(None))
                   | ((Room.kind != RoomKind.NETWORK) & member.user_id.is_not(None))))


_READABLE_ROOM = _readable_room_statement()


def investigated_room(session: Session, user_id: int, room_id) -> Room | None:
    """The room if this user is staff (organiser or admin, not suspended) holding an unexpired
    investigation access to it (app/moderation/investigation.py); None otherwise. Read only:
    it never makes them a participant (no sending, read marker, presence or live messages)."""
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id <= ID_MAX:
        return None
    query = (select(Room).join(InvestigationAccess, InvestigationAccess.room_id == Room.id)
             .join(User, User.id == InvestigationAccess.staff_id)
             .where(Room.id == room_id, InvestigationAccess.staff_id == user_id,
                    InvestigationAccess.expires_at > utcnow(),
                    User.role.in_((Role.ORGANISER, Role.ADMIN)), User.suspended_at.is_(None)))
    if current_app.config.get("STAFF_2FA_REQUIRED"):
        # As on every staff page (app/auth/two_factor.py: staff_blocked): no second factor set
        # up, no staff reading, here too (the API and the socket are not staff pages).
        query = query.where(User.totp_enabled_at.is_not(None))
    return session.scalar(query.limit(1))


def room_for_history(session: Session, user_id: int, room_id) -> tuple[Room, bool] | None:
    """Where a room's history is read (the JSON API, the socket's `join` and `missed`):
    (room, True) for its participants, (room, False) for staff under an investigation access,
    None for anyone else (answered "not found", as for a room that does not exist)."""
    room = readable_room(session, user_id, room_id)
    if room is not None:
        return room, True
    room = investigated_room(session, user_id, room_id)
    return (room, False) if room is not None else None


def people_ids(session: Session, room: Room) -> list[int]:
    """Who reads the room now."""
    if room.kind == RoomKind.NETWORK:
        return list(session.scalars(select(Membership.user_id).where(
            Membership.network_id == room.network_id,
            Membership.status == MemberStatus.ACTIVE)))
    return list(session.scalars(select(RoomMember.user_id).where(
        RoomMember.room_id == room.id, RoomMember.left_at.is_(None))))


def room_ids_for(session: Session, user_id: int) -> list[int]:
    """Every room this user reads (network rooms exist once someone opened them)."""
    networks = select(Membership.network_id).where(
        Membership.user_id == user_id, Membership.status == MemberStatus.ACTIVE)
    network_rooms = select(Room.id).where(Room.network_id.in_(networks))
    own = select(RoomMember.room_id).join(Room, Room.id == RoomMember.room_id).where(
        RoomMember.user_id == user_id, RoomMember.left_at.is_(None), Room.kind != RoomKind.NETWORK)
    return list(session.scalars(network_rooms.union(own)))


def ensure_network_rooms(session: Session, user_id: int) -> None:
    missing = session.scalars(
        select(Network).join(Membership, Membership.network_id == Network.id)
        .outerjoin(Room, Room.network_id == Network.id)
        .where(Membership.user_id == user_id, Membership.status == MemberStatus.ACTIVE,
               Room.id.is_(None)))
    for network in missing:
        network_room(session, network)


def room_title(session: Session, room: Room, viewer_id: int) -> str:
    if room.kind == RoomKind.NETWORK:
        return room.network.name
    if room.kind == RoomKind.GROUP and room.name:
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
    last_at = dict(session.execute(select(Message.id, Message.created_at)
                                   .where(Message.id.in_(list(last.values())))).all())
    read = dict(session.execute(select(RoomMember.room_id, RoomMember.last_read_id).where(
        RoomMember.user_id == user_id, RoomMember.room_id.in_(ids))).all())
    rows = []
    for room in session.scalars(select(Room).where(Room.id.in_(ids))):
        last_id = last.get(room.id, 0)
        if room.id not in read and last_id:
            read[room.id] = last_read(session, room.id, user_id)
        marker = read.get(room.id, 0)
        rows.append({"id": room.id, "kind": room.kind, "title": room_title(session, room, user_id),
                     "network_id": room.network_id, "last_id": last_id, "last_seq": room.last_seq,
                     "last_at": last_at.get(last_id),
                     "last_read_id": marker,
                     "unread": unread_count(session, room.id, user_id, marker)
                     if last_id > marker else 0})
    rows.sort(key=lambda r: (-r["last_id"], r["title"]))
    return rows
