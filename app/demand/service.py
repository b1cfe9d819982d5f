"""Declarations as plain functions over a session (the view commits)."""
from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import CensusAnswer, Declaration, DeclarationVersion, Formula, User
from models.types import utcnow

ORGANISATION_KINDS = ("company", "association")


def may_declare_for_company(user: User) -> bool:
    """Organisation accounts may keep a company declaration beside their own."""
    return user.profile is not None and user.profile.kind in ORGANISATION_KINDS


def version_fields(form) -> dict:
    """The stored answer, from a validated DeclarationForm (track-specific fields emptied on
    the other track, so that a switch of track leaves nothing stale)."""
    p = form.parsed
    company = form.is_company
    return {
        "track": form.track.data,
        "company_name": " ".join((form.company_name.data or "").split()) if company else "",
        "siret": p.get("siret", "") if company else "",
        "naf_code": p.get("naf_code", "") if company else "",
        "headcount": p.get("headcount") if company else None,
        "telework": form.telework.data if company else "",
        "activity": " ".join((form.activity.data or "").split()) if not company else "",
        "dynamics": (form.dynamics.data or "") if not company else "",
        "home_commune_insee": p["home_commune_insee"],
        "acceptable_communes": p["acceptable_communes"],
        "max_distance_km": p.get("max_distance_km"),
        "days_per_week": p["days_per_week"],
        "formula": form.formula.data,
        "days_per_quarter": p.get("days_per_quarter") if form.formula.data == Formula.DAYS_PER_QUARTER
        else None,
        "budget_eur_month": p["budget_eur_month"],
        "horizon": form.horizon.data,
        "equipment": list(form.equipment.data or []),
        "services": list(form.services.data or []),
        "free_first_month": bool(form.free_first_month.data),
        "governance": list(form.governance.data or []),
        "commute_km": p.get("commute_km"),
        "commute_minutes": p.get("commute_minutes"),
        "commute_days_per_week": p.get("commute_days_per_week"),
    }


def add_version(session: Session, declaration: Declaration, fields: dict,
                campaign_id: int | None = None) -> DeclarationVersion:
    """A new current version; the earlier ones stay, for the organisers' trends. Saving
    a withdrawn declaration makes it active again."""
    if declaration.id is not None:
        session.execute(update(DeclarationVersion)
                        .where(DeclarationVersion.declaration_id == declaration.id)
                        .values(is_current=False))
        session.expire(declaration, ["versions"])
    for earlier in declaration.versions:  # those not flushed yet too
        earlier.is_current = False
    number = len(declaration.versions) + 1
    version = DeclarationVersion(number=number, is_current=True, campaign_id=campaign_id, **fields)
    declaration.versions.append(version)
    declaration.withdrawn_at = None
    session.add(declaration)
    return version


def withdraw(declaration: Declaration) -> None:
    declaration.withdrawn_at = declaration.withdrawn_at or utcnow()


def own_declaration(session: Session, user: User, for_company: bool) -> Declaration | None:
    return session.scalar(select(Declaration).where(Declaration.user_id == user.id,
                                                    Declaration.for_company == for_company))


def new_claim_token() -> str:
    return secrets.token_urlsafe(32)


def claim(session: Session, declaration: Declaration, user: User) -> Declaration:
    """Attach an anonymous campaign answer to the person who gave it, now a member. If they
    already have a declaration, the answer becomes its newest version."""
    mine = own_declaration(session, user, for_company=False)
    if mine is None:
        declaration.user_id = user.id
        declaration.claim_token = None
        # The account now says who they are; the contact left for the census is not kept.
        declaration.contact_name = declaration.contact_email = ""
        declaration.contact_consent = False
        return declaration
    current = declaration.current
    fields = {c.key: getattr(current, c.key) for c in DeclarationVersion.__table__.columns
              if c.key not in ("id", "declaration_id", "number", "is_current", "campaign_id",
                               "created_at")}
    version = add_version(session, mine, fields, campaign_id=current.campaign_id)
    version.created_at = current.created_at  # answered then, not when claimed
    session.flush()
    # A census answer (through a target's link, or entered in the field) follows it.
    session.execute(update(CensusAnswer).where(CensusAnswer.declaration_id == declaration.id)
                    .values(declaration_id=mine.id))
    session.delete(declaration)
    return mine
