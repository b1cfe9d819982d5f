"""The outbox: every e-mail is a row, written in the transaction of the event that causes it
(app/mail/queue.py), then sent by the sender (app/mail/sender.py), which claims rows with a
lease so that a row is never sent twice by two senders, and keeps a row until it is sent or
given up. `MailSenderLease` keeps the background sender to one process at a time."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.types import UTCDateTime, str_enum, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a sender until lease_until; an expired lease is queued again
    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx) or given up after MAIL_GIVE_UP_SECONDS


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    # The sender's query: due rows by status and time, oldest first.
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header (with its angle brackets), the same at every attempt: a receiver
    # that sees a message twice after a crash can tell it is one message.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                                index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)  # the plain-text part, always there
    html: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))  # the template: password_reset, verify_address...
    headers: Mapped[dict] = mapped_column(JSON, default=dict)  # extra headers (List-Unsubscribe...)
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus, 10), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailSenderLease(db.Model):
    """One row per lease name ("sender"): the process holding it (until `until`) runs the
    background sender; the others wait for it to expire."""
    __tablename__ = "mail_sender_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class MailKind(enum.StrEnum):
    """What a member may choose to receive by mail, kind by kind (app/mailprefs/): a new member
    here, its default in `DEFAULT_MODES`."""
    REQUESTS = "requests"  # requests to connect, to join a network I animate, and their answers
    MESSAGES = "messages"  # direct and group messages
    REPLIES = "replies"  # mentions and replies
    NETWORK_POSTS = "network_posts"  # new posts in my networks
    MODERATION = "moderation"  # moderation decisions about me
    REPORTS = "reports"  # reports to handle (animators, organisers)
    EVENTS = "events"  # events I registered for: a seat for me, a change, a cancellation
    SAVED_SEARCHES = "saved_searches"  # someone new matches a search I saved (never "now")


class MailMode(enum.StrEnum):
    APP = "app"  # in the app only
    NOW = "now"  # an e-mail at once
    DAILY = "daily"  # in the daily digest
    WEEKLY = "weekly"  # in the weekly digest


DEFAULT_MODES: dict[MailKind, MailMode] = {
    MailKind.REQUESTS: MailMode.NOW, MailKind.MESSAGES: MailMode.NOW,
    MailKind.REPLIES: MailMode.NOW, MailKind.NETWORK_POSTS: MailMode.WEEKLY,
    MailKind.MODERATION: MailMode.NOW, MailKind.REPORTS: MailMode.NOW,
    MailKind.EVENTS: MailMode.NOW, MailKind.SAVED_SEARCHES: MailMode.DAILY}
# Kinds that are never mailed at once: a saved search's alerts come at most daily.
NOT_AT_ONCE = frozenset({MailKind.SAVED_SEARCHES})
DIGEST_MODES = (MailMode.DAILY, MailMode.WEEKLY)


class MailPreference(db.Model):
    """A member's choice for one kind, stored only when it differs from `DEFAULT_MODES` (no row:
    the default, so changing a default changes it for everyone who never chose)."""
    __tablename__ = "mail_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[MailKind] = mapped_column(str_enum(MailKind, 20), primary_key=True)
    mode: Mapped[MailMode] = mapped_column(str_enum(MailMode, 10))


class DigestRun(db.Model):
    """One digest built for a member and a period (`period_start`: the day, or the Monday, in
    UTC). Unique: building the same period twice sends once. `covered_until`: the next digest of
    that period starts there."""
    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("user_id", "period", "period_start"),
                      Index("ix_digest_run_user_period", "user_id", "period", "covered_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    period: Mapped[MailMode] = mapped_column(str_enum(MailMode, 10))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    covered_until: Mapped[datetime] = mapped_column(UTCDateTime)
    items: Mapped[int] = mapped_column(Integer, default=0)  # 0: nothing new, no mail queued
