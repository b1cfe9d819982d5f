"""Between two people: connections, blocks, and the notifications Maillage sends them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class ConnectionStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"  # shown to the requester as still pending, never re-notified


class Connection(db.Model):
    """One row per pair of people, whoever asked first (the pair is stored ordered)."""

    __tablename__ = "connection"
    __personal_to__ = ("low_id", "high_id")
    __table_args__ = (UniqueConstraint("low_id", "high_id"),
                      CheckConstraint("low_id < high_id", name="ordered_pair"),
                      Index("ix_connection_high_status", "high_id", "status"),
                      Index("ix_connection_low_status", "low_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    low_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[ConnectionStatus] = mapped_column(str_enum(ConnectionStatus, 10),
                                                     default=ConnectionStatus.PENDING)
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])

    def other_id(self, user_id: int) -> int:
        return self.high_id if user_id == self.low_id else self.low_id

    @property
    def addressee_id(self) -> int:
        return self.other_id(self.requester_id)


class Block(db.Model):
    __tablename__ = "block"
    __personal_to__ = ("blocker_id", "blocked_id")
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),
                      Index("ix_block_blocked", "blocked_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    blocked_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationKind(enum.StrEnum):
    REPLY = "reply"  # a comment on your post, or on a post you commented
    MENTION = "mention"
    NEW_POST = "new_post"  # in a network you animate
    JOIN_REQUEST = "join_request"  # to an animator
    JOIN_APPROVED = "join_approved"
    CONNECTION_REQUEST = "connection_request"
    CONNECTION_ACCEPTED = "connection_accepted"
    CONTENT_HIDDEN = "content_hidden"  # a moderator hid what you wrote (detail: why)
    CONTENT_DELETED = "content_deleted"
    CONTENT_RESTORED = "content_restored"  # your appeal was granted
    APPEAL_REJECTED = "appeal_rejected"
    WARNING = "warning"
    MUTED = "muted"
    BANNED = "banned"
    REPORT_HANDLED = "report_handled"  # to the reporter (detail: the outcome)
    # Staff opened an investigation access to a conversation you are in (detail: the reason).
    INVESTIGATION = "investigation"
    REPORT_FILED = "report_filed"  # to the moderators in scope (detail: the reason)
    # Events (detail: the event's title): a seat freed up for you on the waiting list; the
    # time or place of an event you registered for changed; it is cancelled.
    EVENT_PROMOTED = "event_promoted"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_REMINDER = "event_reminder"  # tomorrow: an event you registered for
    EVENT_INVITED = "event_invited"  # a discovery day at a place near where you would cowork
    # Someone new matches a search you saved (actor: them; detail: the search's words).
    SEARCH_MATCH = "search_match"


class Notification(db.Model):
    __tablename__ = "notification"
    # The header's unread count and the notifications page, newest first.
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Until when it lasts (a mute), shown with the notification and in its mail.
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    network = relationship("Network", foreign_keys=[network_id], viewonly=True)
