"""Read-only links to the organisers' figures for people without an account (elected officials):
the overview, the map and a viability sheet for a filter, aggregates only
(app/organisers/share.py). Only the SHA-256 of a link's token is kept; a link expires, can be
revoked, and every use of it is logged (when, what, the outcome: no address, no browser)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class ShareOutcome(enum.StrEnum):
    SHOWN = "shown"
    EXPIRED = "expired"  # refused: past its date
    REVOKED = "revoked"  # refused: revoked, or its author is no longer an organiser


class SharedLink(db.Model):
    __tablename__ = "shared_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(140))
    # What it shows: {"filters": {...}, "k": 3, "epcis": false, "site": "", "plan": {...}}
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                      index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])


class SharedLinkUse(db.Model):
    __tablename__ = "shared_link_use"
    __table_args__ = (Index("ix_shared_link_use_link_used_at", "link_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("shared_link.id", ondelete="CASCADE"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(String(20))  # "page", "map.svg", "report.pdf"
    outcome: Mapped[ShareOutcome] = mapped_column(str_enum(ShareOutcome, 10))
