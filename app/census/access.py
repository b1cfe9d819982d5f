"""Who may see and do what in a campaign's census.

Organisers and admins manage everything. A campaign's referent (a member named for an EPCI in
`census_epci`) acts as that campaign's organiser for that EPCI only: they see its targets, set
their outreach status, print their letters and the flyer, and export their list; they do not
draw, swap, change the frame or see the do-not-contact list. Anyone else, members and
visitors, sees nothing: 403 on the campaign's pages, 404 on a target outside one's EPCIs.

Field mode (`field_access`, app/census/field.py) is open to more people: organisers, the
campaign's referents, and the animators of a place (a tiers-lieu of the directory) whose commune
is in the campaign's territory, since they meet people at their place and at the markets of
their area. Organisers and referents may link a field answer to a target (a referent: one of
their EPCIs'); an animator enters answers without a target and sees no target and no
progress. Each sees the field answers they entered, nobody else's (organisers: every one).
Members and visitors: 403."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from app.census.frame import territory
from models import Campaign, CensusEpci, CensusFrame, CensusTarget, Place, place_animator


@dataclass(frozen=True)
class CensusAccess:
    campaign: Campaign
    organiser: bool
    epcis: frozenset[str]  # a referent's EPCIs (organisers: every EPCI)

    def sees_epci(self, code: str | None) -> bool:
        return self.organiser or (code or "") in self.epcis

    def targets(self) -> ColumnElement[bool]:
        """A WHERE clause: the targets this person may see."""
        if self.organiser:
            return true()
        return CensusTarget.epci_code.in_(sorted(self.epcis))


def referent_epcis(session: Session, user, campaign_id: int) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(session.scalars(select(CensusEpci.epci_code).where(
        CensusEpci.campaign_id == campaign_id, CensusEpci.referent_id == user.id)))


def access_for(session: Session, user, campaign_id: int) -> CensusAccess:
    """The campaign and what this person may do there; 404 for no such campaign, 403 for
    someone who is neither organiser nor one of its referents."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if user.is_organiser:
        return CensusAccess(campaign, True, frozenset())
    epcis = referent_epcis(session, user, campaign_id)
    if not epcis:
        abort(403)
    return CensusAccess(campaign, False, epcis)


def organiser_access(session: Session, user, campaign_id: int) -> CensusAccess:
    """`access_for`, for the pages only organisers open (the frame, the draw, a swap): 403 for
    a referent."""
    access = access_for(session, user, campaign_id)
    if not access.organiser:
        abort(403)
    return access


def target_or_404(session: Session, access: CensusAccess, target_id: int) -> CensusTarget:
    """A target of this campaign this person may see; anything else is "not found"."""
    target = session.get(CensusTarget, target_id)
    if target is None or target.campaign_id != access.campaign.id \
            or not access.sees_epci(target.epci_code):
        abort(404)
    return target


def my_campaigns(session: Session, user) -> list[tuple[Campaign, list[str]]]:
    """The campaigns this person works on: every one for organisers (with no EPCI named), a
    referent's with their EPCIs. Empty for anyone else."""
    if user.is_organiser:
        return [(c, []) for c in session.scalars(select(Campaign).order_by(
            Campaign.starts_on.desc(), Campaign.id.desc()))]
    found: dict[int, tuple[Campaign, list[str]]] = {}
    for campaign, code in session.execute(
            select(Campaign, CensusEpci.epci_code)
            .join(CensusEpci, CensusEpci.campaign_id == Campaign.id)
            .where(CensusEpci.referent_id == user.id)
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc(), CensusEpci.epci_code)):
        found.setdefault(campaign.id, (campaign, []))[1].append(code)
    return list(found.values())


@dataclass(frozen=True)
class FieldAccess:
    """Who may enter field answers in a campaign, and with which targets."""
    campaign: Campaign
    organiser: bool
    epcis: frozenset[str]  # a referent's EPCIs: the targets they may link an answer to
    animator: bool  # an animator of a place in the territory (no targets)

    def census(self) -> CensusAccess:
        return CensusAccess(self.campaign, self.organiser, self.epcis)

    @property
    def links_targets(self) -> bool:
        return self.organiser or bool(self.epcis)


def animates_in(session: Session, user, campaign: Campaign) -> bool:
    """`user` animates a place whose commune is in the campaign's territory."""
    found = set(session.scalars(select(Place.commune_insee).join(
        place_animator, place_animator.c.place_id == Place.id)
        .where(place_animator.c.user_id == user.id)))
    if not found:
        return False
    return bool(found & set(territory(session, campaign,
                                      session.get(CensusFrame, campaign.id))))


def field_access(session: Session, user, campaign_id: int) -> FieldAccess:
    """404 for no such campaign, 403 for someone not allowed to enter field answers there."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if user.is_organiser:
        return FieldAccess(campaign, True, frozenset(), False)
    epcis = referent_epcis(session, user, campaign_id)
    if epcis:
        return FieldAccess(campaign, False, epcis, False)
    if animates_in(session, user, campaign):
        return FieldAccess(campaign, False, frozenset(), True)
    abort(403)



def field_campaigns(session: Session, user, today) -> list[Campaign]:
    """Open campaigns where an animator (neither organiser nor referent there) may enter field
    answers: those whose territory holds a place they animate."""
    if not user.is_authenticated:
        return []
    if not session.scalar(select(place_animator.c.place_id).where(
            place_animator.c.user_id == user.id).limit(1)):
        return []
    return [c for c in session.scalars(select(Campaign).where(
        Campaign.starts_on <= today, Campaign.ends_on >= today).order_by(Campaign.ends_on))
        if animates_in(session, user, c)]
