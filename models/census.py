"""The census in the field (issue 24): a campaign's frame (territory, referents and target
answers per EPCI), the sample of targets drawn from SIRENE prospects and members who have not
declared, the outreach to each target, the do-not-contact list, and the answers given through a
target's link (or, later, entered in the field for a person who consented).

What is kept on a target is what SIRENE publishes (its SIRET: the name, activity and address
are read from `sirene_establishment`, so a later import that makes it non-diffusible hides
them) or, for a member, their account; the outreach status, who set it and when, and a short
note. The link's reference (`CensusTarget.ref`) is random, never derived from the SIRET.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.demand import Campaign, Track
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class CensusUnit(enum.StrEnum):
    """What a target is: an establishment of the SIRENE register, or a member of Maillage."""
    ESTABLISHMENT = "establishment"
    MEMBER = "member"


class OutreachStatus(enum.StrEnum):
    TO_CONTACT = "to_contact"
    LETTER = "contacted_letter"
    PHONE = "contacted_phone"
    VISIT = "contacted_visit"
    EMAIL = "contacted_email"
    ANSWERED = "answered"
    DECLINED = "declined"  # said no: on the do-not-contact list
    UNREACHABLE = "unreachable"
    DO_NOT_CONTACT = "do_not_contact"  # asked not to be contacted: on the list too


# The statuses that put a target on the do-not-contact list.
SUPPRESSING = (OutreachStatus.DECLINED, OutreachStatus.DO_NOT_CONTACT)


class SuppressionReason(enum.StrEnum):
    DECLINED = "declined"
    DO_NOT_CONTACT = "do_not_contact"


class AnswerChannel(enum.StrEnum):
    """How an answer reached the campaign: through a target's link (letter, QR code), or
    entered in the field by an animator or referent for a person who consented."""
    LINK = "link"
    FIELD = "field"


class CensusFrame(db.Model):
    """A campaign's frame. Its territory is the campaign's EPCIs (`Campaign.epci_codes`) plus
    `commune_codes`; both empty: the whole territory. Its deadline is the campaign's closing
    date (`Campaign.ends_on`)."""

    __tablename__ = "census_frame"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             primary_key=True)
    commune_codes: Mapped[list] = mapped_column(JSON, default=list)  # INSEE codes
    # The campaign's short link: /c/<short_code> (flyers); a target's: /c/<short_code>/<ref>.
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    letter_text: Mapped[str] = mapped_column(Text, default="")  # Markdown; "" the default text
    flyer_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign] = relationship()


class CensusEpci(db.Model):
    """An EPCI of a campaign's territory: its referent, a member who acts as the campaign's
    organiser for that EPCI only (sees and contacts its targets, nothing else)."""

    __tablename__ = "census_epci"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             primary_key=True)
    epci_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                    index=True)

    referent: Mapped[User | None] = relationship()


class CensusQuota(db.Model):
    """The number of answers a campaign aims at, per EPCI and questionnaire (track)."""

    __tablename__ = "census_quota"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             primary_key=True)
    epci_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    track: Mapped[Track] = mapped_column(str_enum(Track, 12), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class CensusDraw(db.Model):
    """One draw of a campaign's sample: everything needed to make it again (the seed, the
    size, the filters) and what it found (the frame's size, each stratum's quota and draw)."""

    __tablename__ = "census_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             index=True)
    seed: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    naf_include: Mapped[list] = mapped_column(JSON, default=list)  # NAF divisions ("62")
    naf_exclude: Mapped[list] = mapped_column(JSON, default=list)
    include_members: Mapped[bool] = mapped_column(Boolean, default=True)
    frame_size: Mapped[int] = mapped_column(Integer, default=0)  # units that could be drawn
    # [{"epci": code, "size_class": "rural", "available": n, "quota": x.xx, "drawn": n}, ...]
    strata: Mapped[list] = mapped_column(JSON, default=list)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CensusTarget(db.Model):
    """A unit of a campaign's sample and its outreach. A swapped-out target stays (its letter
    may be out there) with `swapped_out_at`, the reason, and its replacement."""

    __tablename__ = "census_target"
    __table_args__ = (Index("ix_census_target_campaign_epci", "campaign_id", "epci_code"),
                      Index("ix_census_target_siret", "siret"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("census_draw.id", ondelete="SET NULL"))
    unit: Mapped[CensusUnit] = mapped_column(str_enum(CensusUnit, 16))
    siret: Mapped[str | None] = mapped_column(String(14))  # an establishment
    # A member: their target rows go with their account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                                index=True)
    commune_insee: Mapped[str] = mapped_column(String(5))
    epci_code: Mapped[str] = mapped_column(String(9), default="")
    size_class: Mapped[str] = mapped_column(String(12))  # sample.SIZE_CLASSES
    # The draw's order: the unit's key (a hash of the seed and the unit) shown for checking.
    draw_key: Mapped[str] = mapped_column(String(16), default="")
    # The anonymous reference of the target's link: random, never derived from the SIRET.
    ref: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[OutreachStatus] = mapped_column(str_enum(OutreachStatus, 20),
                                                   default=OutreachStatus.TO_CONTACT)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(280), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    swapped_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    swap_reason: Mapped[str] = mapped_column(String(280), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("census_target.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    status_by: Mapped[User | None] = relationship(foreign_keys=[status_by_id])

    @property
    def in_sample(self) -> bool:
        return self.swapped_out_at is None


class CensusSuppression(db.Model):
    """The do-not-contact list: an establishment (by SIRET, whatever SIRENE imports do to its
    row) or a member (by account) that declined or asked not to be contacted. No draw and no
    swap ever offers them again, in any campaign."""

    __tablename__ = "census_suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                                unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(str_enum(SuppressionReason, 16))
    note: Mapped[str] = mapped_column(String(280), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class CensusAnswer(db.Model):
    """An answer (a declaration's version given for the campaign) that came through the census:
    a target's link, or field entry (`entered_by_id`, with the consent the person gave). The
    aggregate views never read this table: they count answers, not who answered what."""

    __tablename__ = "census_answer"
    __table_args__ = (UniqueConstraint("target_id", "declaration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             index=True)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("census_target.id", ondelete="SET NULL"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("declaration.id", ondelete="SET NULL"), index=True)
    channel: Mapped[AnswerChannel] = mapped_column(str_enum(AnswerChannel, 10))
    # Field mode: who entered the answer for the person, and the consent they gave then.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
