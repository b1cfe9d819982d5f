"""Saved searches: "tell me when someone matching this joins" (app/savedsearch/)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.types import UTCDateTime, str_enum, utcnow
from models.user import ProfileKind


class SavedSearch(db.Model):
    """A people search kept by a member: the words and place as typed (read again by
    search/understanding/ at each check, like the search page reads them), the commune field,
    the distance and the kind of profile."""
    __tablename__ = "saved_search"
    __table_args__ = (Index("ix_saved_search_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(String(200), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    within_km: Mapped[int | None] = mapped_column(Integer)
    profile_kind: Mapped[ProfileKind | None] = mapped_column(str_enum(ProfileKind, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SavedSearchMatch(db.Model):
    """A profile a saved search told its member about: once per search and profile, however
    often the profile is edited."""
    __tablename__ = "saved_search_match"
    __table_args__ = (UniqueConstraint("saved_search_id", "profile_id"),
                      Index("ix_saved_search_match_profile", "profile_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_search.id",
                                                            ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedSearchScan(db.Model):
    """How far the alerts have looked at changed profiles (one row, name "alerts")."""
    __tablename__ = "saved_search_scan"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
