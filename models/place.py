"""Tiers-lieux: existing and projected places, their pricing plans, followers, future users,
and the polls through which those users shape a projected place (name, theme)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import db
from models.territory import Commune
from models.textkey import fold
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class PlaceStatus(enum.StrEnum):
    OPEN = "open"
    PROJECT = "project"
    CLOSED = "closed"


class PlaceKind(enum.StrEnum):
    """What a place mostly is (the national list's `TYPO`: "Tiers lieux à dominante ...")."""
    COWORKING = "coworking"
    FABLAB = "fablab"
    OTHER = "other"


class PlanPeriod(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


place_animator = Table(
    "place_animator",
    db.metadata,
    Column("place_id", ForeignKey("place.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Place(db.Model):
    __tablename__ = "place"
    __shown_on_pages__ = True  # in members' home feeds
    # One place per row of an imported list: a second import finds it again by (source, ID).
    __table_args__ = (Index("ix_place_source", "source", "source_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    status: Mapped[PlaceStatus] = mapped_column(str_enum(PlaceStatus, 10), default=PlaceStatus.PROJECT,
                                                index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    capacity_desks: Mapped[int | None] = mapped_column(Integer)
    surface_m2: Mapped[int | None] = mapped_column(Integer)
    rent_eur_month: Mapped[int | None] = mapped_column(Integer)  # what the place costs
    equipment: Mapped[list] = mapped_column(JSON, default=list)  # models.demand.EQUIPMENT
    opening_hours: Mapped[str] = mapped_column(String(500), default="")
    charter: Mapped[str] = mapped_column(Text, default="")  # Markdown
    governance_model: Mapped[str] = mapped_column(Text, default="")  # Markdown
    free_first_month: Mapped[bool] = mapped_column(Boolean, default=False)
    # The key of its photo in the image store (app/images/storage.py), or None; what it shows.
    photo: Mapped[str | None] = mapped_column(String(40), active_history=True)
    photo_alt: Mapped[str] = mapped_column(String(200), default="", server_default="")
    kind: Mapped[PlaceKind | None] = mapped_column(str_enum(PlaceKind, 10))  # None: not said
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")  # http(s)
    # An imported place: the list it came from (a key of app/places/sources.py, "CGET 2019"),
    # its ID in that list and when the import last wrote it; None for places made here. It is
    # "to be confirmed" until an organiser or its animator confirms or edits it; a confirmed
    # place is never overwritten by an import again.
    source: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(40))
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()
    animators: Mapped[list[User]] = relationship(secondary=place_animator,
                                                 order_by=User.display_name)
    plans: Mapped[list[PricingPlan]] = relationship(
        back_populates="place", cascade="all, delete-orphan", order_by="PricingPlan.position")

    @validates("name")
    def _keep_name_key(self, _key, name: str) -> str:
        self.name_key = fold(name)[:120]  # folding may lengthen ("ﬃ" -> "ffi")
        return name

    @property
    def to_confirm(self) -> bool:
        """Imported and not confirmed yet by an organiser or the place's animator."""
        return self.source is not None and self.confirmed_at is None

    def confirm(self, user_id: int | None) -> None:
        """An organiser or the place's animator says it is right (or has corrected it)."""
        if self.source is not None and self.confirmed_at is None:
            self.confirmed_at, self.confirmed_by_id = utcnow(), user_id


class PricingPlan(db.Model):
    """"Permanent 250 € TTC / mois", "20 jours / trimestre 100 €"."""

    __tablename__ = "pricing_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int] = mapped_column(Integer)
    period: Mapped[PlanPeriod] = mapped_column(str_enum(PlanPeriod, 10))
    included_days: Mapped[int | None] = mapped_column(Integer)  # None: unlimited in the period
    tax_included: Mapped[bool] = mapped_column(Boolean, default=True)  # TTC

    place: Mapped[Place] = relationship(back_populates="plans")


class PlaceFollow(db.Model):
    __tablename__ = "place_follow"

    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                          primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaceInterest(db.Model):
    """"I would use this place", tied to the member's declaration when they have one."""

    __tablename__ = "place_interest"

    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                          primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("declaration.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Poll(db.Model):
    __tablename__ = "poll"
    __shown_on_pages__ = True  # in members' home feeds

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "name" or "theme"
    question: Mapped[str] = mapped_column(String(200))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    place: Mapped[Place] = relationship()
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="Proposal.id")

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) < self.closes_at


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"  # waits for the place's animator
    APPROVED = "approved"
    REJECTED = "rejected"


class Proposal(db.Model):
    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("poll_id", "text_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(120))
    text_key: Mapped[str] = mapped_column(String(120))  # fold(text): no twice the same idea
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus, 10),
                                                   default=ProposalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    poll: Mapped[Poll] = relationship(back_populates="proposals")
    author: Mapped[User | None] = relationship()


class Vote(db.Model):
    """One vote per member per poll: the primary key says so, whatever the race."""

    __tablename__ = "vote"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"),
                                             index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
