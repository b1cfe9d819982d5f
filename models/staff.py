"""What staff (organisers, admins) may do beyond members, and what proves who they are.

- `InvestigationAccess`: an organiser's or admin's time-limited right to read one private room
  (a direct conversation, a group, a private network's room), given with a reason written to
  the audit log and told to the room's people (app/moderation/investigation.py).
- `RecoveryCode`: a single-use code that replaces the authenticator app at login; only its
  SHA-256 is kept (app/auth/two_factor.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.types import UTCDateTime, utcnow
from models.user import User


class InvestigationAccess(db.Model):
    __tablename__ = "investigation_access"
    __table_args__ = (Index("ix_investigation_access_room_staff", "room_id", "staff_id",
                            "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    staff: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    __tablename__ = "recovery_code"
    __table_args__ = (Index("ix_recovery_code_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
