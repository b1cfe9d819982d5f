"""Calendar feeds (issue 22, must-show 2): read back by a second, independent parser
(`recurring-ical-events` expanding the recurrence over `icalendar`'s parse) with the right local
times on both sides of the October and March clock changes; the private calendar link of a
member; who sees what in the feeds; the agenda made to be framed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import recurring_ical_events
from icalendar import Calendar

from app.events import registrations
from models import (
    Event,
    EventAudience,
    EventKind,
    EventLocation,
    NetworkVisibility,
    Place,
    db,
)
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as

UTC = timezone.utc


def _place() -> Place:
    place = Place(name="La Fabrique", commune_insee="12202")
    db.session.add(place)
    db.session.commit()
    return place


def _event(**fields) -> Event:
    start = fields.pop("starts_at", utcnow() + timedelta(days=3))
    values = dict(title="Atelier", kind=EventKind.MEETUP, starts_at=start,
                  ends_at=start + timedelta(hours=2), location=EventLocation.ADDRESS,
                  commune_insee="12202", audience=EventAudience.PUBLIC)
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


def _parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def test_a_weekly_permanence_reads_back_at_nine_on_both_sides_of_the_clock_changes(client):
    place = _place()
    # Thursdays 9:00-12:00 in Paris from 15 October 2026 (CEST), one cancelled, one moved.
    _event(title="Permanence de l'expert-comptable", kind=EventKind.PERMANENCE,
           place_id=place.id, location=EventLocation.PLACE,
           starts_at=datetime(2026, 10, 15, 7, 0, tzinfo=UTC),
           ends_at=datetime(2026, 10, 15, 10, 0, tzinfo=UTC), rrule="FREQ=WEEKLY;BYDAY=TH",
           exceptions=[{"start": "2026-11-12T08:00:00+00:00", "moved_to": None},
                       {"start": "2026-11-19T08:00:00+00:00",
                        "moved_to": "2026-11-20T13:00:00+00:00"}])
    cal = _parse(client.get(f"/events/feeds/place/{place.id}.ics"))
    assert any(c.name == "VTIMEZONE" and str(c["TZID"]) == "Europe/Paris" for c in cal.walk())
    autumn = recurring_ical_events.of(cal).between(date(2026, 10, 15), date(2026, 11, 27))
    starts = sorted(e["DTSTART"].dt for e in autumn)
    # Local times: 9:00 before and after 25 October (the change to CET), none on the 12th,
    # the 19th moved to Friday 20th at 14:00.
    assert [(s.date(), s.time(), s.utcoffset()) for s in starts] == [
        (date(2026, 10, 15), time(9), timedelta(hours=2)),
        (date(2026, 10, 22), time(9), timedelta(hours=2)),
        (date(2026, 10, 29), time(9), timedelta(hours=1)),
        (date(2026, 11, 5), time(9), timedelta(hours=1)),
        (date(2026, 11, 20), time(14), timedelta(hours=1)),
        (date(2026, 11, 26), time(9), timedelta(hours=1))]
    spring = recurring_ical_events.of(cal).between(date(2027, 3, 24), date(2027, 4, 2))
    assert [(e["DTSTART"].dt.time(), e["DTSTART"].dt.utcoffset(), e["DTEND"].dt.time())
            for e in sorted(spring, key=lambda e: e["DTSTART"].dt)] == [
        (time(9), timedelta(hours=1), time(12)), (time(9), timedelta(hours=2), time(12))]
    event = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
    # No end in the rule: the feed says the site's (a year), so calendars stop there too.
    assert event["RRULE"]["UNTIL"][0].year == 2027
    assert str(event["SUMMARY"]) == "Permanence de l'expert-comptable"
    assert "La Fabrique" in str(event["LOCATION"])
    assert str(event["URL"]).endswith("/events/1")


def test_a_change_of_time_gives_a_new_sequence(client):
    event = _event()
    first = _parse(client.get(f"/events/{event.id}.ics")).walk("VEVENT")[0]
    from app.events.service import apply_changes
    apply_changes(db.session, event, {"starts_at": event.starts_at + timedelta(hours=1),
                                      "ends_at": event.ends_at + timedelta(hours=1)}, None)
    db.session.commit()
    again = _parse(client.get(f"/events/{event.id}.ics")).walk("VEVENT")[0]
    assert int(again["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert again["DTSTART"].dt == first["DTSTART"].dt + timedelta(hours=1)


def test_public_feeds_carry_public_events_only(client, make_user, make_network):
    owner = make_user("owner@example.org")
    network = make_network(owner, "Réseau ouvert")
    hidden = make_network(owner, "Réseau privé", visibility=NetworkVisibility.PRIVATE)
    _event(title="Pour tous", network_id=network.id)
    _event(title="Pour les membres", network_id=network.id, audience=EventAudience.MEMBERS)
    _event(title="Pour le réseau", network_id=network.id, audience=EventAudience.NETWORK)
    members_only = _event(title="Secret", audience=EventAudience.MEMBERS)
    for url in (f"/events/feeds/network/{network.id}.ics", "/events/feeds/commune/12202.ics",
                "/events/feeds/commune/12202.ics?km=20", "/events/feeds/epci/241200187.ics"):
        titles = {str(e["SUMMARY"]) for e in _parse(client.get(url)).walk("VEVENT")}
        assert "Pour les membres" not in titles and "Pour le réseau" not in titles, url
        assert "Secret" not in titles, url
    assert "Pour tous" in client.get(f"/events/feeds/network/{network.id}.ics").get_data(
        as_text=True)
    assert client.get(f"/events/feeds/network/{hidden.id}.ics").status_code == 404
    assert client.get(f"/events/{members_only.id}.ics").status_code == 404
    assert client.get("/events/feeds/commune/99999.ics").status_code == 404


def test_my_private_calendar_link_shows_my_events_until_i_stop_it(app, client, make_user):
    ana = make_user("ana@example.org", display_name="Ana")
    mine = _event(title="Formation retouche photo", audience=EventAudience.MEMBERS)
    _event(title="Pas pour moi")
    registrations.register(db.session, mine, ana.id)
    db.session.commit()
    login_as(client, ana)
    page = client.get("/events/mine").get_data(as_text=True)
    assert "Formation retouche photo" in page
    shown = client.post("/events/mine/link", data={"csrf_token": csrf_from(page)})
    link = shown.get_data(as_text=True).split('id="calendar-link" type="text" readonly value="')[1]
    link = link.split('"')[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    visitor = app.test_client()  # a calendar program: no cookie
    titles = {str(e["SUMMARY"]) for e in _parse(visitor.get("/" + path)).walk("VEVENT")}
    assert titles == {"Formation retouche photo"}
    # A new link stops the old one; stopping stops the new one.
    page = client.get("/events/mine").get_data(as_text=True)
    client.post("/events/mine/link", data={"csrf_token": csrf_from(page)})
    assert visitor.get("/" + path).status_code == 404
    assert client.post("/events/mine/link/revoke").status_code == 400  # no CSRF token
    assert client.post("/events/mine/link/revoke",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    assert visitor.get("/events/feeds/me/" + "x" * 32 + ".ics").status_code == 404


def test_the_agenda_may_be_framed_and_nothing_else(client):
    _event(title="Portes ouvertes")
    _event(title="Réservé", audience=EventAudience.MEMBERS)
    response = client.get("/events/embed?commune=Rodez&km=20")
    html = response.get_data(as_text=True)
    assert "Portes ouvertes" in html and "Réservé" not in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert "<script" not in html and 'target="_blank"' in html
    other = client.get("/events/")
    assert other.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
