"""Writing in a chat room: `send_message`, the one send function (the `/chat` socket's `send`
and the page's form both call it), an author's edits and deletions, and the rule of who may
write in a room now. Plain functions over a session: the caller commits.

Sending is the socket's hot path (bench/chat.py): one query for every check and the resend,
then, in a transaction of its own, the room's next `seq` (its row locked until the commit) and
one INSERT ... RETURNING, both statements built once.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.chat.messages import (
    clean_body,
    clean_client_id,
    delete_message,
    edit_message,
    find_resend,
    own_message,
    payload,
    render,
    serialize,
)
from app.chat.rooms import readable_room
from models import (
    Block,
    LoginSession,
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
from models.chat import next_seq
from models.types import ID_MAX, utcnow
from models.user import login_secret_hash, parse_cookie_id
from realtime.protocol import ChatError


@dataclass(frozen=True)
class SendResult:
    """`error`: a protocol code (docs/realtime.md), nothing stored; `retry_after` (seconds) with
    "rate_limited". Otherwise `message` is the stored message as the protocol sends it, and
    `created` is False for a resend of a stored one (acked again, not announced again)."""
    message: dict | None = None
    created: bool = False
    room_kind: str | None = None
    error: str | None = None
    retry_after: int = 0


def send_message(session: Session, login: str | None, room_id, body, client_id,
                 rate_limit: Callable[[int], int],
                 token_user_id: int | None = None) -> SendResult:
    """Send a message as the person of `login` (their Flask-Login id, "<id>:<session token>"):
    who they are, whether they may read and write in the room, the body and client id, then a
    resend of a stored message (returned, not counted), the rate limit, the INSERT.

    `rate_limit(user_id)` counts the message and returns 0, or the seconds to wait. It is asked
    before the INSERT: under gevent it may yield to other greenlets, and none may yield while
    it holds SQLite's write lock (another would wait for it in sqlite3's busy handler, which
    blocks the whole worker). For the same reason the caller commits right after this returns,
    or rolls back on an error.

    `token_user_id` (the JSON API, app/api/writes.py): the member a personal access token
    already authenticated, in place of a login (`login` is then None); every other check is the
    same."""
    try:
        lookup = clean_client_id(client_id)
    except ChatError:
        lookup = ""  # refused below, after who and where
    who = sender(session, login, room_id, lookup, token_user_id)
    if isinstance(who, str):
        return SendResult(error=who)
    try:
        body, client_id = clean_body(body), clean_client_id(client_id)
        if who.resend:
            stored = find_resend(session, who.user_id, client_id, who.room_id)
            if stored is not None:
                return SendResult(serialize(stored, who.name, who.avatar), False, who.kind)
        # The checks only read: their transaction ends here and its pooled connection goes back
        # before the rate limit, which may yield (Redis, gevent) and must not keep a connection
        # from the other greenlets. The INSERT below opens a new, short transaction.
        session.rollback()
        retry_after = rate_limit(who.user_id)
        if retry_after:
            return SendResult(error="rate_limited", retry_after=retry_after)
        message, created = insert_message(session, who, body, client_id)
    except ChatError as exc:
        return SendResult(error=exc.code)
    return SendResult(message, created, who.kind)


@dataclass(frozen=True)
class Sender:
    user_id: int
    name: str
    room_id: int
    kind: str
    resend: bool = False  # this person already stored a message with this client_id
    avatar: str | None = None  # their picture's key (the payload carries its URL)


def _sender_statement():
    membership, member = aliased(Membership), aliased(RoomMember)
    stored = (select(Message.id).where(Message.author_id == User.id,
                                       Message.client_id == bindparam("client_id"))
              .limit(1).scalar_subquery())
    avatar = select(Profile.avatar).where(Profile.user_id == User.id).scalar_subquery()
    return (select(User.display_name, User.session_token, Room.id, Room.kind,
                   membership.id, member.user_id, membership.accepted_charter_version,
                   Network.charter_required_version, membership.muted_until, stored, avatar,
                   LoginSession.id)
            .select_from(User)
            .outerjoin(LoginSession, (LoginSession.user_id == User.id)
                       & (LoginSession.token_hash == bindparam("login_hash"))
                       & LoginSession.revoked_at.is_(None))
            .outerjoin(Room, Room.id == bindparam("room_id"))
            .outerjoin(Network, Network.id == Room.network_id)
            .outerjoin(membership, (membership.network_id == Room.network_id)
                       & (membership.user_id == User.id)
                       & (membership.status == MemberStatus.ACTIVE))
            .outerjoin(member, (member.room_id == Room.id) & (member.user_id == User.id)
                       & member.left_at.is_(None))
            .where(User.id == bindparam("user_id")))


_SENDER = _sender_statement()


def sender(session: Session, cookie_id: str | None, room_id, client_id: str = "",
           token_user_id: int | None = None) -> Sender | str:
    """Who sends into which room, from the Flask-Login id ("id:account token:login secret") in
    one query: the same checks as the user loader (the login session not ended) and
    `readable_room`, plus the network's current charter accepted, no mute, no block in a direct
    conversation, and whether `client_id` names a message this person already stored (a
    resend). Returns a Sender, or the error code ("unauthorized", "not_found", "charter",
    "muted", "not_allowed")."""
    parsed = parse_cookie_id(cookie_id or "") if token_user_id is None \
        else (token_user_id, "", "")
    if parsed is None:
        return "unauthorized"
    user_id, token, secret = parsed
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id <= ID_MAX:
        room_id = 0
    # On the session's connection, not through the ORM: plain columns, no entity to load.
    row = session.connection().execute(_SENDER, {
        "user_id": user_id, "room_id": room_id, "client_id": client_id,
        "login_hash": login_secret_hash(secret)}).first()
    if row is None or token_user_id is None and (
            row[-1] is None or not secrets.compare_digest(row[1], token)):
        return "unauthorized"  # no such account, its login session ended, or a new password
    (name, _token, found_id, kind, membership_id, member_id, accepted, charter, muted_until,
     stored_id, avatar, _login) = row
    readable = found_id is not None and (
        membership_id is not None if kind == RoomKind.NETWORK else member_id is not None)
    if not readable:
        return "not_found"
    return write_refusal(session, int(user_id), found_id, kind, accepted, charter, muted_until) \
        or Sender(int(user_id), name, found_id, kind, stored_id is not None, avatar)


def write_refusal(session: Session, user_id: int, room_id: int, kind: str,
                  accepted: int | None = None, charter: int | None = None,
                  muted_until: datetime | None = None) -> str | None:
    """Why a reader of a room may not write in it now, or None: muted in the network by a
    moderator; a network's new material charter not accepted yet; a block between the two
    people of a direct conversation."""
    if kind == RoomKind.NETWORK and muted_until is not None and utcnow() < muted_until:
        return "muted"
    if kind == RoomKind.NETWORK and (accepted or 0) < (charter or 0):
        return "charter"
    if kind == RoomKind.DIRECT:
        others = select(RoomMember.user_id).where(RoomMember.room_id == room_id,
                                                  RoomMember.user_id != user_id)
        if session.scalar(select(Block.id).where(
                ((Block.blocker_id == user_id) & Block.blocked_id.in_(others))
                | ((Block.blocked_id == user_id) & Block.blocker_id.in_(others))).limit(1)):
            return "not_allowed"
    return None


def write_refusal_for(session: Session, room: Room, user_id: int) -> str | None:
    """`write_refusal` for a reader of this room, its network state loaded."""
    accepted = charter = muted_until = None
    if room.kind == RoomKind.NETWORK:
        row = session.execute(select(Membership.accepted_charter_version,
                                     Network.charter_required_version, Membership.muted_until)
                              .join(Network, Network.id == Membership.network_id)
                              .where(Membership.network_id == room.network_id,
                                     Membership.user_id == user_id)).first()
        if row:
            accepted, charter, muted_until = row
    return write_refusal(session, user_id, room.id, room.kind, accepted, charter, muted_until)


# Built once, a Core INSERT on the table (the ORM's bulk INSERT path and building the statement
# for every message cost more than running it).
_INSERT = insert(Message.__table__).returning(Message.__table__.c.id,
                                              Message.__table__.c.created_at)


def insert_message(session: Session, who: Sender, body: str, client_id: str) -> tuple[dict, bool]:
    """Insert (one statement, RETURNING) or, for a client_id already stored, find it: returns
    (payload, created). The session holds nothing else; the caller commits."""
    html = render(body)
    try:
        connection = session.connection()
        seq = next_seq(connection, who.room_id)
        new_id, created_at = connection.execute(_INSERT, {
            "room_id": who.room_id, "seq": seq, "author_id": who.user_id,
            "client_id": client_id, "body": body, "body_html": html}).one()
    except IntegrityError:
        session.rollback()
        existing = find_resend(session, who.user_id, client_id, who.room_id)
        if existing is None:
            raise ChatError("invalid") from None
        return serialize(existing, who.name, who.avatar), False
    return payload(new_id, seq, who.room_id, who.user_id, who.name, body, html, client_id,
                   created_at, author_avatar=who.avatar), True


def store_message(session: Session, room_id: int, author_id: int, body: str,
                  client_id: str) -> tuple[Message, bool]:
    """Insert a message already checked, through the ORM (for code that wants the Message, such
    as test fixtures; people send with `send_message`). If the same client_id is stored, the
    session is rolled back and the stored message returned."""
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


# -- an author's changes ---------------------------------------------------------------------

def _changeable(session: Session, user_id: int, message_id) -> tuple[Message, Room]:
    message = own_message(session, user_id, message_id)
    room = readable_room(session, user_id, message.room_id)
    if room is None:
        raise ChatError("not_found")
    if message.hidden_at is not None:
        raise ChatError("hidden")  # kept for the audit and the appeal
    return message, room


def edit_own(session: Session, user_id: int, message_id, body) -> Message:
    """The author rewrites their message: still a reader of its room, the message not hidden by
    a moderator, and allowed to write there now (not muted, the current charter accepted)."""
    message, room = _changeable(session, user_id, message_id)
    refusal = write_refusal_for(session, room, user_id)
    if refusal:
        raise ChatError(refusal)
    edit_message(session, message, body)
    return message


def delete_own(session: Session, user_id: int, message_id) -> Message:
    """The author deletes their message (muted or not: taking one's words back is allowed)."""
    message, _room = _changeable(session, user_id, message_id)
    delete_message(session, message)
    return message
