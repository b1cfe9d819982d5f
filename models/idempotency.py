"""Idempotency keys: a form sent twice (a double click, the browser's outbox replaying what was
written offline after a lost answer) is acted on once. See app/idempotency.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.types import UTCDateTime, utcnow


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    # The form's fields (CSRF token aside): the same key with other fields is another request.
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # Where the first request sent the person (its redirect); "" while it is being handled.
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
