"""Chat: rooms (one per network, direct conversations, small groups), their people and messages.

Who may read a room is decided in one place (`app/chat/rooms.py:readable_room`): a network room
follows the network's active memberships; a direct or group room follows its `RoomMember` rows.
A network room's `RoomMember` rows only hold read markers.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class RoomKind(enum.StrEnum):
    NETWORK = "network"
    DIRECT = "direct"
    GROUP = "group"


GROUP_MAX_PEOPLE = 20


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RoomKind] = mapped_column(str_enum(RoomKind, 10))
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id", ondelete="CASCADE"), unique=True)
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)  # "low:high" user ids
    name: Mapped[str] = mapped_column(String(80), default="")  # groups only
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last `Message.seq` given in this room (see `next_seq`).
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    network = relationship("Network")


class RoomMember(db.Model):
    """A person in a direct or group room, or a network member's read marker."""

    __tablename__ = "room_member"
    # A new direct conversation lets its two people write to each other (profile pages); read
    # markers move all the time and no cached page shows them.
    __personal_to__ = ("user_id",)
    __personal_columns__ = ("left_at",)
    __table_args__ = (Index("ix_room_member_user", "user_id"),)

    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left a group
    # The newest message the last "unread messages" mail spoke of (app/mailprefs/chat_unread.py):
    # no other such mail for this room until `last_read_id` reaches it (the person came back).
    mailed_through_id: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User] = relationship()


class Message(db.Model):
    """One chat message. `client_id` is chosen by the sender's client: a resend with the same one
    is the same message (unique per author), so a retry never stores a duplicate.

    `seq` is the message's place in its room, in commit order: taken from the room's row, which
    stays locked until the sending transaction ends, so a message with a higher `seq` never
    commits before one with a lower `seq`. Ids come from a sequence taken at INSERT and do not
    follow commit order on PostgreSQL: a reader resuming "after id N" could skip a message that
    committed late; resuming "after seq N" cannot."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("author_id", "client_id"),
                      UniqueConstraint("room_id", "seq", name="uq_message_room_seq"),
                      Index("ix_message_room_id", "room_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # Markdown-lite source; "" once deleted
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator: a notice replaces it for everyone; the text stays for the audit.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    author: Mapped[User | None] = relationship()


def _next_seq_statement():
    table = Room.__table__
    return (update(table).where(table.c.id == bindparam("room_id"))
            .values(last_seq=table.c.last_seq + 1).returning(table.c.last_seq))


# Built once: the chat's hot path runs it for every message (building it each time was a third
# of its cost).
_NEXT_SEQ = _next_seq_statement()


def next_seq(connection, room_id: int) -> int:
    """Take the room's next `seq`, locking its row until the transaction ends (on SQLite the
    write lock does the same): the caller inserts the message and commits at once."""
    return connection.execute(_NEXT_SEQ, {"room_id": room_id}).scalar_one()


@event.listens_for(Message, "before_insert")
def _give_seq(_mapper, connection, message: Message) -> None:
    """Messages added through the ORM (fixtures, demo data) get their `seq` too; the chat's hot
    path inserts with Core and calls `next_seq` itself."""
    if message.seq is None:
        message.seq = next_seq(connection, message.room_id)
