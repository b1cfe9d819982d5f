"""Organisers: events as the first sign of use (issue 22). Per place (or commune) and Paris
month: a recurring event counted per date, cancelled events and dates left out, registrations
counted; the demand nearby beside them; small counts of people left out of the CSV; the page
and its export for organisers only; the map's layer of upcoming events."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta, timezone

from app.demand.service import add_version
from app.events.occurrences import to_local
from app.organisers.data import Filters
from app.organisers.events import month_window, upcoming_per_commune, usage
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
from models.types import utcnow
from tests.helpers.apps import login_as
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


def month_of(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m")


def test_the_csv_leaves_small_counts_of_people_out(app, client, make_user):
    place = fabrique()
    users = people(make_user, 5, "p")
    soon = utcnow() + timedelta(days=1)
    many = event(place, starts_at=soon)
    register(many, users[:3])  # 3: shown
    few = event(starts_at=soon)  # Rignac, 2 registered: left out
    register(few, users[3:5])
    db.session.commit()
    for i in range(3):
        declare(make_user(f"r{i}@example.org").id, RODEZ)  # 3 near La Fabrique: shown
    declare(make_user("g@example.org").id, RIGNAC)  # 1 near Rignac: left out
    login_as(client, make_user("o@example.org", role="organiser"))
    response = client.get("/organisers/export/events.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 * 15  # every month of the window, for both rows
    month = month_of(soon)
    lines = {(r["place"] or r["commune_insee"], r["month"]): r for r in rows}
    fab, rig = lines[("La Fabrique", month)], lines[(RIGNAC, month)]
    assert (fab["events"], fab["registrations"], fab["demand_nearby"]) == ("1", "3", "3")
    assert fab["place_id"] == str(place.id) and fab["place_status"] == "open"
    # Events are public facts: kept whole; 2 registrations and 1 person: left empty.
    assert (rig["events"], rig["registrations"], rig["demand_nearby"]) == ("1", "", "")
    quiet = next(r for r in rows if r["place"] == "La Fabrique" and r["month"] != month)
    assert (quiet["events"], quiet["registrations"]) == ("0", "0")
    # The page says the same, small counts in words.
    page = client.get("/organisers/events").get_data(as_text=True)
    assert "<caption" in page and 'scope="rowgroup"' in page and "La Fabrique" in page
    assert "moins de 3" in page and "aria-current=\"page\"" in page
    # The threshold is the organisers' one: at 4, La Fabrique's 3 go too.
    app.config["ORGANISER_MIN_CELL"] = 4
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/organisers/export/events.csv").get_data(as_text=True).lstrip("\ufeff"))))
    fab = next(r for r in rows if r["place"] == "La Fabrique" and r["month"] == month)
    assert (fab["events"], fab["registrations"], fab["demand_nearby"]) == ("1", "", "")


def test_organisers_only(app, make_user):
    anonymous, member, organiser = app.test_client(), app.test_client(), app.test_client()
    login_as(member, make_user("m@example.org"))
    olga = make_user("o@example.org", role="organiser")
    login_as(organiser, olga)
    for url in ("/organisers/events", "/organisers/export/events.csv"):
        # Visitors too get the organisers' 403 (the blueprint's one rule, README).
        assert anonymous.get(url).status_code == 403, url
        assert member.get(url).status_code == 403, url
        assert organiser.get(url).status_code == 200, url
    # Where two-step login is required, an organiser without it is sent to set it up.
    app.config["STAFF_2FA_REQUIRED"] = True
    response = organiser.get("/organisers/events")
    assert response.status_code == 302 and "/auth/two-factor/setup" in response.headers["Location"]


def test_the_map_layer_of_upcoming_events(app, client, make_user):
    place = fabrique()
    now = utcnow().replace(second=0, microsecond=0)  # as the event forms give times
    # Three dates at La Fabrique (Rodez), one in Rignac; not counted: later than three months,
    # cancelled, past.
    event(place, title="Permanence du jeudi", kind=EventKind.PERMANENCE,
          starts_at=now + timedelta(days=2), rrule="FREQ=WEEKLY;COUNT=3")
    event(title="Atelier à Rignac", starts_at=now + timedelta(days=5))
    event(place, starts_at=now + timedelta(days=120))
    event(place, starts_at=now + timedelta(days=6), cancelled_at=now)
    event(place, starts_at=now - timedelta(days=6))
    db.session.commit()
    assert upcoming_per_commune(db.session, now) == {RODEZ: 3, RIGNAC: 1}
    assert upcoming_per_commune(db.session, now, epci="241200187") == {RODEZ: 3}  # Rodez's EPCI
    login_as(client, make_user("o@example.org", role="organiser"))
    page = client.get("/organisers/map").get_data(as_text=True)
    markers = re.findall(r'<a href="([^"]+)" aria-label="([^"]+)" class="events-layer" tabindex="-1">',
                         page)
    assert sorted(label for _, label in markers) == [
        "Rignac\u00a0: 1 événement dans les trois prochains mois",
        "Rodez\u00a0: 3 événements dans les trois prochains mois"]
    assert all(href.startswith("/events/?commune=") for href, _ in markers)
    # A marker leads to the events of its commune for the same three months.
    rodez = next(html.unescape(href) for href, label in markers if label.startswith("Rodez"))
    listed = client.get(rodez).get_data(as_text=True)
    assert "Permanence du jeudi" in listed and "Atelier à Rignac" not in listed
    legend = page[page.index('id="map-legend"'):page.index("</ul>", page.index('id="map-legend"'))]
    assert 'class="marker-events"' in legend  # in the legend
    figures = client.get(f"/organisers/map?commune={RODEZ}").get_data(as_text=True)
    assert "3 événements dans les trois prochains mois" in figures
