"""Coworking demand: declarations of interest (every version kept) and census campaigns."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.territory import Commune
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class Track(enum.StrEnum):
    COMPANY = "company"
    INDEPENDENT = "independent"  # non-salaried, collaborative, cultural and artistic


class Formula(enum.StrEnum):
    PERMANENT = "permanent"  # a desk of one's own, by the month
    DAYS_PER_QUARTER = "days_per_quarter"  # N days per quarter
    DAY_PASS = "day_pass"
    ACCESS_24H = "access_24h"
    MEETING_ROOM = "meeting_room"  # a meeting room only


EQUIPMENT = ("fibre_wifi", "video_room", "meeting_room", "printer", "lockers", "kitchen",
             "step_free")
SERVICES = ("events", "training", "adviser", "domiciliation")
GOVERNANCE = ("name_theme", "run_events")
HORIZONS = ("now", "3_months", "6_months", "1_year", "later")
TELEWORK = ("none", "occasional", "regular", "full")
# kg of CO2 per km driven, average French car (ADEME Base Carbone, 2023: ~0.218 kg CO2e/km).
CAR_KG_CO2_PER_KM = 0.218
WORKING_WEEKS_PER_YEAR = 47


class Declaration(db.Model):
    """"Je suis intéressé·e par un tiers-lieu": one per person, plus one for their company
    (organisation accounts). Its content lives in versions; editing adds a version."""

    __tablename__ = "declaration"
    __personal_to__ = ("user_id",)  # a new member's first steps (app/feed/onboarding.py)
    __table_args__ = (UniqueConstraint("user_id", "for_company"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an answer given through a campaign link without an account, until claimed.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    for_company: Mapped[bool] = mapped_column(Boolean, default=False)
    # Secret of an anonymous answer, to claim it after signing up.
    claim_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    versions: Mapped[list[DeclarationVersion]] = relationship(
        back_populates="declaration", cascade="all, delete-orphan",
        order_by="DeclarationVersion.number")

    @property
    def current(self) -> DeclarationVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class DeclarationVersion(db.Model):
    __tablename__ = "declaration_version"
    __table_args__ = (UniqueConstraint("declaration_id", "number"),
                      Index("ix_declaration_version_current_commune", "is_current",
                            "home_commune_insee"),
                      Index("ix_declaration_version_campaign", "campaign_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    track: Mapped[Track] = mapped_column(str_enum(Track, 12))
    # Company track
    company_name: Mapped[str] = mapped_column(String(120), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    naf_code: Mapped[str] = mapped_column(String(6), default="")
    headcount: Mapped[int | None] = mapped_column(Integer)  # people who would use the space
    telework: Mapped[str] = mapped_column(String(12), default="")
    # Non-salaried / cultural / artistic track
    activity: Mapped[str] = mapped_column(String(200), default="")
    dynamics: Mapped[str] = mapped_column(Text, default="")  # Markdown: the collaboration sought
    # Both tracks
    home_commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"))
    acceptable_communes: Mapped[list] = mapped_column(JSON, default=list)  # INSEE codes
    max_distance_km: Mapped[int | None] = mapped_column(Integer)
    days_per_week: Mapped[float] = mapped_column(Float)
    formula: Mapped[Formula] = mapped_column(str_enum(Formula, 20))
    days_per_quarter: Mapped[int | None] = mapped_column(Integer)
    budget_eur_month: Mapped[int] = mapped_column(Integer)
    horizon: Mapped[str] = mapped_column(String(10))
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    services: Mapped[list] = mapped_column(JSON, default=list)
    free_first_month: Mapped[bool] = mapped_column(Boolean, default=False)
    governance: Mapped[list] = mapped_column(JSON, default=list)
    commute_km: Mapped[float | None] = mapped_column(Float)  # one way, today
    commute_minutes: Mapped[int | None] = mapped_column(Integer)
    commute_days_per_week: Mapped[float | None] = mapped_column(Float)

    declaration: Mapped[Declaration] = relationship(back_populates="versions")
    home_commune: Mapped[Commune] = relationship()

    @property
    def co2_kg_per_year(self) -> float | None:
        """CO2 of today's commute by car, both ways, over a working year: what working
        near home could save."""
        if not self.commute_km or not self.commute_days_per_week:
            return None
        return round(2 * self.commute_km * self.commute_days_per_week * WORKING_WEEKS_PER_YEAR
                     * CAR_KG_CO2_PER_KM)


class Campaign(db.Model):
    """A census campaign: a shareable link anyone can answer, with or without an account."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # The territory surveyed: "" for the whole territory, else EPCI codes.
    epci_codes: Mapped[list] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    tracks: Mapped[list] = mapped_column(JSON, default=list)  # of Track values
    token: Mapped[str] = mapped_column(String(43), unique=True,
                                       default=lambda: secrets.token_urlsafe(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_open(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on
