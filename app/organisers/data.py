"""What the organisers' pages read: the current declarations, filtered, as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.organisers.clusters import Demand, Geography
from models import Commune, Declaration, DeclarationVersion, Place, PlaceStatus, Profile


@dataclass
class Filters:
    epci: str = ""
    campaign_id: int | None = None
    track: str = ""
    since: date | None = None
    until: date | None = None


@dataclass
class Row:
    """One current declaration with what the overview counts (no name, no contact)."""

    home: str
    epci: str | None
    track: str
    kind: str | None
    formula: str
    days_per_week: float
    budget: int
    horizon: str
    equipment: list
    services: list
    free_first_month: bool
    governance: list
    acceptable: list
    max_km: int | None
    commute_km: float | None
    commute_days: float | None
    created_at: datetime
    first_at: datetime

    def demand(self) -> Demand:
        return Demand(self.home, frozenset(self.acceptable), self.max_km, self.days_per_week,
                      self.formula, self.budget, self.commute_km, self.commute_days)


def current_rows(session: Session, filters: Filters | None = None) -> list[Row]:
    """Active declarations, their current version, filtered (a campaign: those who answered
    it; dates: declared first within the range)."""
    filters = filters or Filters()
    first = (select(DeclarationVersion.declaration_id,
                    DeclarationVersion.created_at.label("first_at"))
             .where(DeclarationVersion.number == 1).subquery())
    v = DeclarationVersion
    query = (select(v.home_commune_insee, Commune.epci_code, v.track, Profile.kind, v.formula,
                    v.days_per_week, v.budget_eur_month, v.horizon, v.equipment, v.services,
                    v.free_first_month, v.governance, v.acceptable_communes, v.max_distance_km,
                    v.commute_km, v.commute_days_per_week, v.created_at, first.c.first_at)
             .join(Declaration, Declaration.id == v.declaration_id)
             .join(Commune, Commune.insee == v.home_commune_insee)
             .join(first, first.c.declaration_id == v.declaration_id)
             .outerjoin(Profile, and_(Profile.user_id == Declaration.user_id))
             .where(v.is_current, Declaration.withdrawn_at.is_(None)))
    if filters.epci:
        query = query.where(Commune.epci_code == filters.epci)
    if filters.track:
        query = query.where(v.track == filters.track)
    if filters.campaign_id:
        query = query.where(v.declaration_id.in_(select(DeclarationVersion.declaration_id).where(
            DeclarationVersion.campaign_id == filters.campaign_id)))
    if filters.since:
        query = query.where(first.c.first_at >= datetime.combine(filters.since, time.min,
                                                                 tzinfo=timezone.utc))
    if filters.until:
        query = query.where(first.c.first_at <= datetime.combine(filters.until, time.max,
                                                                 tzinfo=timezone.utc))
    return [Row(*r) for r in session.execute(query)]


@lru_cache(maxsize=4)
def _geography(signature: tuple) -> Geography:
    return Geography(dict(signature))


def geography(session: Session) -> Geography:
    """Distances between the gazetteer's communes, computed once per process (per gazetteer)."""
    points = tuple(sorted((c, (lat, lon)) for c, lat, lon in session.execute(
        select(Commune.insee, Commune.lat, Commune.lon))))
    return _geography(points)


def open_place_communes(session: Session) -> set[str]:
    return set(session.scalars(select(Place.commune_insee).where(
        Place.status == PlaceStatus.OPEN)))
