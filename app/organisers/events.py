"""Events as the first real sign of use (issue 22): per place, and per commune for events held
elsewhere than at a place, and per month in Europe/Paris over the 12 months up to this one and
the 3 after it: the events held (each date of a recurring one counted, cancelled events and
cancelled dates left out), the registrations ("registered", not waiting nor cancelled), and
next to them the declared demand near the place (`aggregates.demand_near`, the organisers'
filters applied to the declarations). Also the upcoming events per commune, the map's layer.

Counted: events for everyone or for members; not network-only ones (organisers see nothing of
a network they are not in: counting them would tell what it does), nor online ones (held at
no place). Dates are those the events' pages give (`app/events/occurrences.py`, which expands
an open-ended rule at most a year from its first date).

Plain data out; the small-cell rule is applied by whoever shows or exports it (`small`)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.events.occurrences import from_local, occurrences, to_local
from app.organisers.aggregates import demand_near
from app.organisers.data import Filters, current_rows, geography
from models import (
    Commune,
    Event,
    EventAudience,
    EventLocation,
    EventRegistration,
    Place,
    PlaceStatus,
    RegistrationStatus,
)

MONTHS_BACK = 12  # this month and the 11 before it
MONTHS_AHEAD = 3
UPCOMING_DAYS = 92  # the map's layer: the events pages' "next three months"


@dataclass
class Month:
    events: int = 0
    registrations: int = 0


@dataclass
class Use:
    """One place (or one commune, for events held at an address there)."""

    commune: Commune
    place: Place | None = None
    demand: int = 0  # people whose declaration has this commune near
    months: dict[str, Month] = field(default_factory=dict)  # "YYYY-MM" -> counts, active only

    @property
    def key(self) -> tuple:
        return (0, self.commune.name, self.place.name, self.place.id) if self.place \
            else (1, self.commune.name, "", 0)


@dataclass
class Usage:
    months: list[str]  # "YYYY-MM", oldest first
    current: str  # this month
    uses: list[Use]


def month_window(now: datetime) -> tuple[list[str], datetime, datetime]:
    """The months of the window ("YYYY-MM") and its bounds in UTC, months in Paris time."""
    local = to_local(now)
    index = local.year * 12 + local.month - 1
    firsts = [date(i // 12, i % 12 + 1, 1)
              for i in range(index - MONTHS_BACK + 1, index + MONTHS_AHEAD + 2)]
    start = from_local(datetime.combine(firsts[0], datetime.min.time()))
    end = from_local(datetime.combine(firsts[-1], datetime.min.time()))
    return [d.strftime("%Y-%m") for d in firsts[:-1]], start, end


def _counted_events(session: Session, start: datetime, end: datetime, epci: str) -> list[Event]:
    """The events counted that may have a date in [start, end)."""
    query = (select(Event).where(
        Event.cancelled_at.is_(None), Event.audience != EventAudience.NETWORK,
        Event.location != EventLocation.ONLINE, Event.commune_insee.is_not(None),
        Event.starts_at < end, or_(Event.rrule.is_not(None), Event.ends_at > start))
        .options(selectinload(Event.place).selectinload(Place.commune),
                 selectinload(Event.commune))
        .order_by(Event.id))
    if epci:
        query = query.where(Event.commune_insee.in_(
            select(Commune.insee).where(Commune.epci_code == epci)))
    return list(session.scalars(query))


def _at_place(event: Event) -> bool:
    return event.place is not None and event.location == EventLocation.PLACE


def usage(session: Session, filters: Filters, now: datetime) -> Usage:
    months, start, end = month_window(now)
    inside = set(months)
    uses: dict[tuple, Use] = {}
    # Every place not closed is listed, events or not (no use yet is a figure too).
    place_query = select(Place).where(Place.status != PlaceStatus.CLOSED) \
        .options(selectinload(Place.commune))
    if filters.epci:
        place_query = place_query.join(Commune).where(Commune.epci_code == filters.epci)
    for place in session.scalars(place_query):
        uses[("place", place.id)] = Use(place.commune, place)

    events = _counted_events(session, start, end, filters.epci)
    registered = dict(session.execute(
        select(EventRegistration.event_id, func.count()).where(
            EventRegistration.status == RegistrationStatus.REGISTERED,
            EventRegistration.event_id.in_([e.id for e in events]))
        .group_by(EventRegistration.event_id)).all()) if events else {}
    for event in events:
        if _at_place(event):
            use = uses.setdefault(("place", event.place.id), Use(event.place.commune, event.place))
        else:
            use = uses.setdefault(("commune", event.commune_insee), Use(event.commune))
        dated = [m for m in (to_local(o.start).strftime("%Y-%m")
                             for o in occurrences(event, start, end)) if m in inside]
        for month in dated:
            use.months.setdefault(month, Month()).events += 1
        if dated and registered.get(event.id):
            # Registrations are taken by one-off events: counted in the month of its date.
            use.months[dated[0]].registrations += registered[event.id]

    near = demand_near(current_rows(session, filters), geography(session),
                       {use.commune.insee for use in uses.values()})
    for use in uses.values():
        use.demand = near.get(use.commune.insee, 0)
    return Usage(months, to_local(now).strftime("%Y-%m"),
                 sorted(uses.values(), key=lambda u: u.key))


def upcoming_per_commune(session: Session, now: datetime, epci: str = "") -> dict[str, int]:
    """The dates of events counted (as above) in the next UPCOMING_DAYS, per commune where
    they are held (the place's, for an event at a place)."""
    end = now + timedelta(days=UPCOMING_DAYS)
    found: Counter = Counter()
    for event in _counted_events(session, now, end, epci):
        commune = event.place.commune_insee if _at_place(event) else event.commune_insee
        found[commune] += len(occurrences(event, now, end))
    return {commune: n for commune, n in found.items() if n}
