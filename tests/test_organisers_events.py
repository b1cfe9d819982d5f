"""Organisers: events as the first sign of use (issue 22). Per place (or commune) and Paris
month: a recurring event counted per date, cancelled events and dates left out, registrations
counted; the demand nearby beside them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.demand.service import add_version
from app.organisers.data import Filters
from app.organisers.events import month_window, usage
from models import (
    Declaration,
    Event,
    EventAudience,
    EventKind,
    EventLocation,
    EventRegistration,
    Place,
    PlaceStatus,
    RegistrationStatus,
    db,
)
from tests.helpers.demand import declare

UTC = timezone.utc
RODEZ, RIGNAC, MILLAU = "12202", "12199", "12145"
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # the window: July 2025 to September 2026


def event(place=None, **fields) -> Event:
    start = fields.pop("starts_at")
    values = dict(title="Journée découverte", kind=EventKind.DISCOVERY_DAY, starts_at=start,
                  ends_at=start + timedelta(hours=2), audience=EventAudience.PUBLIC,
                  place_id=place.id if place else None)
    if place is not None:
        values.update(location=EventLocation.PLACE, commune_insee=place.commune_insee)
    else:
        values.update(location=EventLocation.ADDRESS, address="Salle des fêtes",
                      commune_insee=RIGNAC)
    values.update(fields)
    found = Event(**values)
    db.session.add(found)
    db.session.flush()
    return found


def register(found: Event, users, status=RegistrationStatus.REGISTERED) -> None:
    for user in users:
        db.session.add(EventRegistration(event_id=found.id, user_id=user.id, status=status))


def people(make_user, n: int, prefix: str):
    users = [make_user(f"{prefix}{i}@example.org", commit=False) for i in range(n)]
    db.session.commit()
    return users


def fabrique() -> Place:
    place = Place(name="La Fabrique", commune_insee=RODEZ, status=PlaceStatus.OPEN)
    db.session.add(place)
    db.session.flush()
    return place


def small_world(make_user) -> Place:
    place = fabrique()
    users = people(make_user, 10, "p")
    # May: a discovery day with 4 registered, 1 waiting and 1 who cancelled.
    may = event(place, starts_at=datetime(2026, 5, 20, 8, 0, tzinfo=UTC))
    register(may, users[:4])
    register(may, users[4:5], RegistrationStatus.WAITING)
    register(may, users[5:6], RegistrationStatus.CANCELLED)
    # A weekly permanence from Thursday 4 June, six dates, 11 June cancelled: June 4, 18, 25;
    # July 2 and 9.
    event(place, title="Permanence", kind=EventKind.PERMANENCE,
          starts_at=datetime(2026, 6, 4, 7, 0, tzinfo=UTC), rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=6",
          exceptions=[{"start": "2026-06-11T07:00:00+00:00", "moved_to": None}])
    # 31 May 22:30 UTC is 1 June 0:30 in Paris: a June event.
    event(place, title="Nuit des tiers-lieux", starts_at=datetime(2026, 5, 31, 22, 30, tzinfo=UTC))
    # Cancelled, with people registered: not held, nobody counted.
    cancelled = event(place, starts_at=datetime(2026, 6, 22, 8, 0, tzinfo=UTC),
                      cancelled_at=datetime(2026, 6, 1, tzinfo=UTC))
    register(cancelled, users[:5])
    # Not counted: for a network's members only, online, and outside the window.
    event(place, audience=EventAudience.NETWORK, starts_at=datetime(2026, 6, 23, 8, tzinfo=UTC))
    event(starts_at=datetime(2026, 6, 24, 8, tzinfo=UTC), location=EventLocation.ONLINE,
          commune_insee=None, online_url="https://visio.example.org/x")
    event(place, starts_at=datetime(2025, 6, 10, 8, tzinfo=UTC))
    event(place, starts_at=datetime(2026, 10, 5, 8, tzinfo=UTC))
    # At an address in Rignac, no place: its commune's row. 2 registered.
    rignac = event(starts_at=datetime(2026, 7, 3, 8, 0, tzinfo=UTC))
    register(rignac, users[6:8])
    db.session.commit()
    # Demand: 3 people at Rodez, 1 at Millau who accepts Rodez, 1 at Rignac.
    for i in range(3):
        declare(make_user(f"r{i}@example.org").id, RODEZ)
    declaration = Declaration(user_id=make_user("m@example.org").id)
    add_version(db.session, declaration, {
        "track": "independent", "activity": "x", "home_commune_insee": MILLAU,
        "acceptable_communes": [MILLAU, RODEZ], "days_per_week": 1, "formula": "day_pass",
        "budget_eur_month": 60, "horizon": "now"})
    db.session.commit()
    declare(make_user("g@example.org").id, RIGNAC)
    return place


def test_the_numbers_on_a_small_world(app, make_user):
    place = small_world(make_user)
    months, start, end = month_window(NOW)
    assert months[0] == "2025-07" and months[-1] == "2026-09" and len(months) == 15
    assert start == datetime(2025, 6, 30, 22, 0, tzinfo=UTC)  # 1 July 0:00 in Paris
    found = usage(db.session, Filters(), NOW)
    assert found.current == "2026-06"
    by_key = {(u.place.id if u.place else u.commune.insee): u for u in found.uses}
    assert set(by_key) == {place.id, RIGNAC}
    fabrique_use = by_key[place.id]
    assert {m: (c.events, c.registrations) for m, c in fabrique_use.months.items()} == {
        "2026-05": (1, 4), "2026-06": (4, 0), "2026-07": (2, 0)}
    assert fabrique_use.demand == 4  # three at home, one who accepts Rodez
    rignac = by_key[RIGNAC]
    assert rignac.place is None and rignac.demand == 1
    assert {m: (c.events, c.registrations) for m, c in rignac.months.items()} == {
        "2026-07": (1, 2)}
    # The organisers' filters: a community of communes chooses the places and the demand.
    millau_epci = usage(db.session, Filters(epci="241200567"), NOW)
    assert millau_epci.uses == []
    # A campaign no one answered: no demand anywhere, events unchanged.
    none = usage(db.session, Filters(campaign_id=999), NOW)
    assert [u.demand for u in none.uses] == [0, 0]
    assert none.uses[0].months["2026-06"].events == 4


def test_a_place_without_events_is_listed(app, make_user):
    place = fabrique()
    db.session.commit()
    found = usage(db.session, Filters(), NOW)
    assert [(u.place.id, u.months) for u in found.uses] == [(place.id, {})]
