"""Events as their pages, feeds and the API list them: upcoming occurrences that this person may
see, filtered by time, place (a commune and a distance, an EPCI), kind, place and network."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.events.access import visible
from app.events.occurrences import Occurrence, occurrences
from app.territory.gazetteer import haversine_km
from models import Commune, Event


@dataclass
class Listed:
    event: Event
    occurrence: Occurrence


@dataclass
class Filters:
    start: datetime
    end: datetime
    commune: Commune | None = None  # with km: around it; without: in it
    km: int | None = None
    epci: str | None = None
    kinds: tuple[str, ...] = ()
    place_id: int | None = None
    network_id: int | None = None


def communes_within(session: Session, center: Commune, km: float) -> list[str]:
    """INSEE codes of the communes whose town hall lies within `km` of the center's (the
    gazetteer's points: a few hundred communes, measured here)."""
    degrees = km / 111.0 + 0.01  # a box first: one degree of latitude is about 111 km
    rows = session.execute(select(Commune.insee, Commune.lat, Commune.lon).where(
        Commune.lat.between(center.lat - degrees, center.lat + degrees))).all()
    return [insee for insee, lat, lon in rows
            if haversine_km(center.lat, center.lon, lat, lon) <= km]


def listed(session: Session, viewer_id: int | None, filters: Filters,
           limit: int = 50) -> list[Listed]:
    """The occurrences in [start, end) of the events this person may see, soonest first (at
    most `limit`). Cancelled events are left out."""
    conditions = [visible(viewer_id), Event.cancelled_at.is_(None),
                  Event.starts_at < filters.end,
                  or_(Event.rrule.is_not(None), Event.ends_at > filters.start)]
    if filters.commune is not None:
        if filters.km:
            conditions.append(Event.commune_insee.in_(
                communes_within(session, filters.commune, filters.km)))
        else:
            conditions.append(Event.commune_insee == filters.commune.insee)
    if filters.epci:
        conditions.append(Event.commune_insee.in_(
            select(Commune.insee).where(Commune.epci_code == filters.epci)))
    if filters.kinds:
        conditions.append(Event.kind.in_(filters.kinds))
    if filters.place_id is not None:
        conditions.append(Event.place_id == filters.place_id)
    if filters.network_id is not None:
        conditions.append(Event.network_id == filters.network_id)
    events = session.scalars(select(Event).where(*conditions).options(
        selectinload(Event.place), selectinload(Event.commune), selectinload(Event.network))
        .order_by(Event.starts_at, Event.id).limit(2000)).all()
    found = [Listed(event, occurrence) for event in events
             for occurrence in occurrences(event, filters.start, filters.end)]
    found.sort(key=lambda item: (item.occurrence.start, item.event.id))
    return found[:limit]


def week_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    return now, now + timedelta(days=days)
