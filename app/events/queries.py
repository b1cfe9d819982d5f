"""Events as their pages, feeds and the API list them: upcoming occurrences that this person may
see, filtered by time, place (a commune and a distance, an EPCI), kind, place and network."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.events.access import visible
from app.events.occurrences import Occurrence, occurrences
from app.territory.gazetteer import haversine_km
from models import Commune, Event
from models.event import MAX_LENGTH


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


RECURRING_MAX = 500  # recurring events read per list (a territory has a few dozen)
LONGEST = MAX_LENGTH  # the longest an event lasts


def _conditions(session: Session, viewer_id: int | None, filters: Filters,
                include_cancelled: bool) -> list:
    conditions = [visible(viewer_id), Event.starts_at < filters.end]
    if not include_cancelled:
        conditions.append(Event.cancelled_at.is_(None))
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
    return conditions


def _load(session: Session, query) -> list[Event]:
    return list(session.scalars(query.options(
        selectinload(Event.place), selectinload(Event.commune), selectinload(Event.network))))


def listed_events(session: Session, viewer_id: int | None, filters: Filters,
                  include_cancelled: bool = False, limit: int = 500) -> list[Event]:
    """The events this person may see that may happen in [start, end): the one-off ones
    soonest first (at most `limit`, by an index on the start), and the recurring ones (which
    the caller expands)."""
    conditions = _conditions(session, viewer_id, filters, include_cancelled)
    # The start index is read from `start - LONGEST` on, not from the oldest event: past
    # events would otherwise be walked through on every list (a year of them doubled it).
    one_off = _load(session, select(Event).where(
        *conditions, Event.rrule.is_(None), Event.ends_at > filters.start,
        Event.starts_at > filters.start - LONGEST)
        .order_by(Event.starts_at, Event.id).limit(limit))
    recurring = _load(session, select(Event).where(*conditions, Event.rrule.is_not(None))
                      .order_by(Event.starts_at, Event.id).limit(RECURRING_MAX))
    return one_off + recurring


def listed(session: Session, viewer_id: int | None, filters: Filters,
           limit: int = 50, each_once: bool = False) -> list[Listed]:
    """The occurrences in [start, end) of the events this person may see, soonest first (at
    most `limit`). Cancelled events are left out. `each_once`: a recurring event by its next
    occurrence only (the pages say how it repeats; the API lists every occurrence)."""
    events = listed_events(session, viewer_id, filters, limit=limit)
    found = [Listed(event, occurrence) for event in events
             for occurrence in occurrences(event, filters.start, filters.end)[
                 :1 if each_once else None]]
    found.sort(key=lambda item: (item.occurrence.start, item.event.id))
    return found[:limit]

