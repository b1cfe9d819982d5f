"""Chat: rooms (one per network, direct conversations, small groups), their people and messages.

Who may read a room is decided in one place (`app/chat/rooms.py:readable_room`): a network room
follows the network's active memberships; a direct or group room follows its `RoomMember` rows.
A network room's `RoomMember` rows only hold read markers.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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

    network = relationship("Network")


class RoomMember(db.Model):
    """A person in a direct or group room, or a network member's read marker."""

    __tablename__ = "room_member"
    __table_args__ = (Index("ix_room_member_user", "user_id"),)

    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left a group

    user: Mapped[User] = relationship()


class Message(db.Model):
    """One chat message. `client_id` is chosen by the sender's client: a resend with the same one
    is the same message (unique per author), so a retry never stores a duplicate."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("author_id", "client_id"),
                      Index("ix_message_room_id", "room_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
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
