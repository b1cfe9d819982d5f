"""The outbox: every e-mail is a row, written in the transaction of the event that causes it
(app/mail/queue.py), then sent by the sender (app/mail/sender.py), which claims rows with a
lease so that a row is never sent twice by two senders, and keeps a row until it is sent or
given up. `MailSenderLease` keeps the background sender to one process at a time."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
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
