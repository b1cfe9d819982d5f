"""Events (issue 22): occurrences in Europe/Paris across the clock changes, registrations that
never pass capacity (50 people at once for the last 5 seats, on both engines), the waiting list,
who sees what, and the pages."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.events import registrations
from app.events.occurrences import RuleError, check_rule, occurrences
from app.events.service import apply_changes, cancel_event
from app.networks.service import join_open
from models import (
    Event,
    EventAudience,
    EventKind,
    EventLocation,
    EventRegistration,
    Notification,
    NotificationKind,
    Place,
    RegistrationStatus,
    User,
    db,
)
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as

UTC = timezone.utc


def make_event(**fields) -> Event:
    start = fields.pop("starts_at", utcnow() + timedelta(days=3))
    values = dict(title="Journée découverte", kind=EventKind.DISCOVERY_DAY, starts_at=start,
                  ends_at=start + timedelta(hours=3), location=EventLocation.ADDRESS,
                  address="Place de la mairie", commune_insee="12202",
                  audience=EventAudience.PUBLIC)
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


# -- when --------------------------------------------------------------------------------------

def test_a_weekly_permanence_stays_at_nine_across_both_clock_changes(app):
    # Thursday 15 October 2026, 9:00 in Paris (CEST, UTC+2): 7:00 UTC.
    event = make_event(title="Permanence de l'expert-comptable", kind=EventKind.PERMANENCE,
                       starts_at=datetime(2026, 10, 15, 7, 0, tzinfo=UTC),
                       rrule="FREQ=WEEKLY;BYDAY=TH")
    found = occurrences(event, datetime(2026, 10, 15, tzinfo=UTC),
                        datetime(2026, 11, 6, tzinfo=UTC))
    assert [o.start for o in found] == [
        datetime(2026, 10, 15, 7, 0, tzinfo=UTC), datetime(2026, 10, 22, 7, 0, tzinfo=UTC),
        # 25 October: back to CET (UTC+1); 9:00 in Paris is now 8:00 UTC.
        datetime(2026, 10, 29, 8, 0, tzinfo=UTC), datetime(2026, 11, 5, 8, 0, tzinfo=UTC)]
    spring = occurrences(event, datetime(2027, 3, 20, tzinfo=UTC),
                         datetime(2027, 4, 6, tzinfo=UTC))
    # 28 March 2027: summer time again.
    assert [o.start for o in spring] == [datetime(2027, 3, 25, 8, 0, tzinfo=UTC),
                                         datetime(2027, 4, 1, 7, 0, tzinfo=UTC)]
    assert all(o.end - o.start == timedelta(hours=3) for o in found + spring)


def test_a_cancelled_and_a_moved_occurrence(app):
    event = make_event(kind=EventKind.PERMANENCE, rrule="FREQ=WEEKLY;COUNT=3",
                       starts_at=datetime(2027, 1, 7, 8, 0, tzinfo=UTC),
                       exceptions=[{"start": "2027-01-14T08:00:00+00:00", "moved_to": None},
                                   {"start": "2027-01-21T08:00:00+00:00",
                                    "moved_to": "2027-01-22T13:00:00+00:00"},
                                   {"start": "not a date"}])
    found = occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    assert [(o.start, o.moved) for o in found] == [
        (datetime(2027, 1, 7, 8, 0, tzinfo=UTC), False),
        (datetime(2027, 1, 22, 13, 0, tzinfo=UTC), True)]


def test_a_rule_ending_in_two_years_goes_on_after_one_and_a_start_to_the_microsecond(app):
    event = make_event(kind=EventKind.PERMANENCE,
                       starts_at=datetime(2027, 1, 7, 8, 0, 0, 123456, tzinfo=UTC),
                       rrule="FREQ=WEEKLY;UNTIL=20290101T000000Z")
    first = occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 10, tzinfo=UTC))
    assert [o.start.date() for o in first] == [date(2027, 1, 7)]
    later = occurrences(event, datetime(2028, 6, 1, tzinfo=UTC), datetime(2028, 6, 30, tzinfo=UTC))
    assert len(later) == 5  # the Thursdays of June 2028
    open_ended = make_event(kind=EventKind.PERMANENCE, rrule="FREQ=WEEKLY",
                            starts_at=datetime(2027, 1, 7, 8, 0, tzinfo=UTC))
    assert occurrences(open_ended, datetime(2028, 6, 1, tzinfo=UTC),
                       datetime(2028, 6, 30, tzinfo=UTC)) == []  # a year, then no more


def test_a_rule_is_expanded_once_then_read_from_memory(app, monkeypatch):
    """The events page lists the same few dozen recurring events on every render: their rules
    are expanded once per process (bench/events.py: a quarter of the page's time), and what
    is kept gives the occurrences a new expansion gives."""
    from app.events import occurrences as module
    parsed = []
    real = module.rrulestr
    monkeypatch.setattr(module, "rrulestr", lambda *a, **k: parsed.append(a) or real(*a, **k))
    module._parsed.cache_clear()
    event = make_event(kind=EventKind.PERMANENCE, rrule="FREQ=WEEKLY;BYDAY=TH",
                       starts_at=datetime(2026, 10, 15, 7, 0, tzinfo=UTC))
    windows = [(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC)),
               (datetime(2027, 3, 20, tzinfo=UTC), datetime(2027, 4, 6, tzinfo=UTC)),
               (datetime(2026, 10, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))]
    kept = [occurrences(event, start, end) for start, end in windows]
    assert len(parsed) == 1
    module._parsed.cache_clear()
    assert kept == [occurrences(event, start, end) for start, end in windows]
    assert len(kept[2]) == 53  # a rule without an end: a year from its first occurrence
    event.rrule = "FREQ=WEEKLY;BYDAY=TH;COUNT=2"  # another rule: expanded anew
    assert len(occurrences(event, *windows[2])) == 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_when_range_writes_what_the_date_filters_wrote(app, lang):
    """app/events/when.py writes an occurrence's time as the template did with the dateformat
    and datetimeformat filters, in both languages, across clock changes and midnight."""
    from markupsafe import escape

    from app.events.when import when_range
    from app.templating import dateformat, datetimeformat

    def with_filters(start, end):
        first = f'<time datetime="{start.isoformat()}">{escape(dateformat(start, "EEEE d MMMM y"))}' \
            f', {datetimeformat(start, "HH:mm")}</time>'
        if dateformat(end, "y-MM-dd") == dateformat(start, "y-MM-dd"):
            return f'{escape(dateformat(start, "EEEE d MMMM y"))}, <span class="nowrap">' \
                f'<time datetime="{start.isoformat()}">{datetimeformat(start, "HH:mm")}</time>–' \
                f'<time datetime="{end.isoformat()}">{datetimeformat(end, "HH:mm")}</time></span>'
        return f'{first} – <time datetime="{end.isoformat()}">' \
            f'{escape(dateformat(end, "EEEE d MMMM y"))}, {datetimeformat(end, "HH:mm")}</time>'

    with app.test_request_context("/events/"):
        from flask import session
        session["lang"] = lang
        starts = [datetime(2026, 10, 24, 22, 0, tzinfo=UTC) + timedelta(minutes=97 * i)
                  for i in range(40)] + [datetime(2027, 3, 27, 21, 30, tzinfo=UTC),
                                         datetime(2026, 12, 31, 22, 59, tzinfo=UTC),
                                         datetime(2027, 1, 7, 8, 0)]  # naive: UTC
        for start in starts:
            for length in (timedelta(minutes=30), timedelta(hours=3), timedelta(days=2)):
                assert when_range(start, start + length) == with_filters(start, start + length)
        same_day = when_range(datetime(2026, 10, 15, 7, 0, tzinfo=UTC),
                              datetime(2026, 10, 15, 10, 0, tzinfo=UTC))
    assert same_day == {
        "fr": 'jeudi 15 octobre 2026, <span class="nowrap">'
              '<time datetime="2026-10-15T07:00:00+00:00">09:00</time>'
              '–<time datetime="2026-10-15T10:00:00+00:00">12:00</time></span>',
        "en": 'Thursday 15 October 2026, <span class="nowrap">'
              '<time datetime="2026-10-15T07:00:00+00:00">09:00</time>'
              '–<time datetime="2026-10-15T10:00:00+00:00">12:00</time></span>'}[lang]


@pytest.mark.parametrize("rule", ["", "FREQ=MINUTELY", "RRULE:FREQ=WEEKLY", "FREQ=NEVER",
                                  "FREQ=WEEKLY;COUNT=0", "FREQ=DAILY\nEXDATE:2020"])
def test_unusable_rules_are_refused(rule):
    with pytest.raises(RuleError):
        check_rule(rule, datetime(2027, 1, 7, 8, 0, tzinfo=UTC))


# -- registrations -----------------------------------------------------------------------------

def test_the_waiting_list_promotes_the_first_in_line_and_tells_them(app, make_user):
    ana, bob, carl = (make_user(f"{n}@example.org", display_name=n.title(), commit=False)
                      for n in ("ana", "bob", "carl"))
    db.session.commit()
    event = make_event(capacity=2)
    assert registrations.register(db.session, event, ana.id) == RegistrationStatus.REGISTERED
    assert registrations.register(db.session, event, bob.id) == RegistrationStatus.REGISTERED
    assert registrations.register(db.session, event, carl.id) == RegistrationStatus.WAITING
    assert registrations.register(db.session, event, carl.id) == RegistrationStatus.WAITING
    db.session.commit()
    carl_version = db.session.get(User, carl.id).personal_version
    assert registrations.cancel(db.session, event, ana.id) == carl.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).seats_taken == 2
    statuses = dict(db.session.execute(select(EventRegistration.user_id,
                                              EventRegistration.status)).all())
    assert statuses == {ana.id: RegistrationStatus.CANCELLED, bob.id: RegistrationStatus.REGISTERED,
                        carl.id: RegistrationStatus.REGISTERED}
    told = db.session.scalars(select(Notification).where(Notification.user_id == carl.id)).all()
    assert [(n.kind, n.event_id, n.detail) for n in told] == [
        (NotificationKind.EVENT_PROMOTED, event.id, "Journée découverte")]
    assert db.session.get(User, carl.id).personal_version > carl_version
    # Cancelling a place in line frees no seat.
    registrations.register(db.session, event, ana.id)
    assert registrations.cancel(db.session, event, ana.id) is None
    with pytest.raises(registrations.RegistrationError):
        registrations.cancel(db.session, event, ana.id)


def test_fifty_people_at_once_for_the_last_five_seats(app, make_user):
    """Each request in its own thread, app context, session and connection, released together:
    exactly five get a seat, the 45 others wait, in order."""
    people = [make_user(f"p{i}@example.org", display_name=f"Personne {i}", commit=False).id
              for i in range(50)]
    db.session.commit()
    event_id = make_event(capacity=5).id
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def one(user_id: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=60)
                event = db.session.get(Event, event_id)
                registrations.register(db.session, event, user_id)
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
    threads = [threading.Thread(target=one, args=(user_id,)) for user_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    db.session.expire_all()
    counts = dict(db.session.execute(select(EventRegistration.status, func.count()).where(
        EventRegistration.event_id == event_id).group_by(EventRegistration.status)).all())
    assert counts == {RegistrationStatus.REGISTERED: 5, RegistrationStatus.WAITING: 45}
    assert db.session.get(Event, event_id).seats_taken == 5


def test_a_change_of_time_is_told_and_bumps_the_sequence(app, make_user):
    ana = make_user("ana@example.org")
    event = make_event()
    registrations.register(db.session, event, ana.id)
    db.session.commit()
    assert not apply_changes(db.session, event, {"title": "Autre titre"}, None)
    assert apply_changes(db.session, event, {"starts_at": event.starts_at + timedelta(hours=1)},
                         None)
    assert cancel_event(db.session, event, None) == 1
    db.session.commit()
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == ana.id)
                               .order_by(Notification.id)).all()
    assert kinds == [NotificationKind.EVENT_CHANGED, NotificationKind.EVENT_CANCELLED]
    assert event.sequence == 2
    with pytest.raises(registrations.RegistrationError):
        registrations.register(db.session, event, ana.id)


# -- who sees what -----------------------------------------------------------------------------

@pytest.fixture
def audiences(app, make_user, make_network):
    owner = make_user("owner@example.org", display_name="Animatrice", commit=False)
    member = make_user("member@example.org", display_name="Membre", commit=False)
    insider = make_user("insider@example.org", display_name="Dedans", commit=False)
    network = make_network(owner, "Réseau des potiers", commit=False)
    join_open(db.session, network, insider, None)
    db.session.commit()
    events = {audience: make_event(title=f"Événement {audience}", audience=audience,
                                   network_id=network.id)
              for audience in EventAudience}
    return {"member": member, "insider": insider}, events


@pytest.mark.parametrize("who, sees", [
    (None, {"public"}), ("member", {"public", "members"}),
    ("insider", {"public", "members", "network"})])
def test_each_audience_sees_its_events_and_nothing_else(app, audiences, who, sees):
    people, events = audiences
    client = app.test_client()
    if who:
        login_as(client, people[who])
    listing = client.get("/events/").get_data(as_text=True)
    for audience, event in events.items():
        visible = str(audience) in sees
        assert (f"Événement {audience}" in listing) is visible, (who, audience)
        assert client.get(f"/events/{event.id}").status_code == (200 if visible else 404)


# -- pages -------------------------------------------------------------------------------------

def test_register_then_cancel_from_the_page(app, client, make_user):
    ana = make_user("ana@example.org")
    bob = make_user("bob@example.org", display_name="Bob")
    event = make_event(capacity=1)
    registrations.register(db.session, event, bob.id)
    db.session.commit()
    login_as(client, ana)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Rejoindre la liste d’attente" in page or "Join the waiting list" in page
    response = client.post(f"/events/{event.id}/register", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "liste d’attente" in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert client.post(f"/events/{event.id}/register").status_code == 400  # no CSRF token
    confirm = client.get(f"/events/{event.id}/unregister")
    assert confirm.status_code == 200 and "Journée découverte" in confirm.get_data(as_text=True)
    assert registrations.registration_of(db.session, event.id, ana.id).status == \
        RegistrationStatus.WAITING  # asking is not doing
    client.post(f"/events/{event.id}/unregister",
                data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    db.session.expire_all()
    assert registrations.registration_of(db.session, event.id, ana.id).status == \
        RegistrationStatus.CANCELLED


def test_only_those_who_run_it_get_the_participants(app, client, make_user):
    organiser = make_user("orga@example.org", role="organiser", display_name="Orga")
    ana = make_user("ana@example.org", display_name="Ana =HYPERLINK()")
    place = Place(name="La Fabrique", commune_insee="12202")
    db.session.add(place)
    db.session.commit()
    event = make_event(place_id=place.id, location=EventLocation.PLACE)
    registrations.register(db.session, event, ana.id)
    db.session.commit()
    login_as(client, ana)
    assert client.get(f"/events/{event.id}/participants.csv").status_code == 403
    client = app.test_client()
    login_as(client, organiser)
    csv = client.get(f"/events/{event.id}/participants.csv").get_data(as_text=True)
    assert "'=HYPERLINK()" not in csv and "Ana =HYPERLINK()" in csv


def test_the_list_filters_by_distance(app, client):
    make_event(title="À Rodez", commune_insee="12202")
    make_event(title="À Baraqueville", commune_insee="12056")  # 12.7 km from Rodez
    make_event(title="À Rignac", commune_insee="12199")  # 22.4 km
    make_event(title="À Millau", commune_insee="12145")  # 52.6 km
    html = client.get("/events/?commune=Rodez&km=20").get_data(as_text=True)
    assert "À Rodez" in html and "À Baraqueville" in html
    assert "À Rignac" not in html and "À Millau" not in html
    html = client.get("/events/?commune=Rodez&km=30").get_data(as_text=True)
    assert "À Rignac" in html and "À Millau" not in html
    html = client.get("/events/?commune=Rodez").get_data(as_text=True)
    assert "À Rodez" in html and "À Baraqueville" not in html
    html = client.get("/events/?commune=Rodezz").get_data(as_text=True)
    assert "Rodezz" in html and "À Rodez" not in html


# -- holding events ----------------------------------------------------------------------------

def _place_with_animator(make_user) -> tuple[Place, User]:
    animator = make_user("anim@example.org", display_name="Animatrice", commit=False)
    place = Place(name="La Fabrique", commune_insee="12202")
    place.animators.append(animator)
    db.session.add(place)
    db.session.commit()
    return place, animator


FORM = {"title": "Permanence comptable", "kind": "permanence", "date": "04/03/2027",
        "start_time": "9h", "end_time": "12:00", "repeat": "weekly", "repeat_until": "",
        "location": "place", "address": "", "commune": "", "online_url": "", "capacity": "",
        "price_eur": "", "audience": "public", "description": "Le **jeudi** matin."}


def test_a_place_animator_publishes_a_weekly_permanence(app, client, make_user):
    place, animator = _place_with_animator(make_user)
    outsider = make_user("out@example.org", display_name="Dehors")
    login_as(client, outsider)
    assert client.get(f"/events/new?place={place.id}").status_code == 403
    client = app.test_client()
    login_as(client, animator)
    assert "Ajouter un événement" in client.get(f"/places/{place.id}").get_data(as_text=True)
    form = client.get(f"/events/new?place={place.id}").get_data(as_text=True)
    response = client.post(f"/events/new?place={place.id}",
                           data={**FORM, "csrf_token": csrf_from(form)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    event = db.session.scalar(select(Event))
    # "Empty: for a year": the rule says where it stops (calendars stop there too).
    assert (event.place_id, event.commune_insee, event.rrule) == (
        place.id, "12202", "FREQ=WEEKLY;UNTIL=20280303T110000Z")
    # 4 March 2027, 9:00 in Paris (CET) is 8:00 UTC.
    assert event.starts_at == datetime(2027, 3, 4, 8, 0, tzinfo=UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>jeudi</strong>" in page and "Sans inscription" in page
    assert "Permanence comptable" in client.get(f"/places/{place.id}").get_data(as_text=True)


@pytest.mark.parametrize("changes, field, message", [
    ({"date": "31/02/2027"}, "date", "Saisissez une date"),
    ({"end_time": "8:30"}, "end_time", "La fin vient après le début"),
    ({"start_time": "25:00"}, "start_time", "Saisissez une heure"),
    ({"location": "online", "online_url": "javascript:alert(1)"}, "online_url", "https://"),
    ({"location": "address", "commune": "Rignak"}, "commune", "Rignac"),
    ({"capacity": "-3"}, "capacity", "Entre"),
    ({"repeat": "weekly", "repeat_until": "01/01/2020"}, "repeat_until", "Une date après"),
])
def test_a_wrong_field_is_said_and_nothing_typed_is_lost(app, client, make_user, changes, field,
                                                         message):
    place, animator = _place_with_animator(make_user)
    login_as(client, animator)
    form = client.get(f"/events/new?place={place.id}").get_data(as_text=True)
    response = client.post(f"/events/new?place={place.id}",
                           data={**FORM, **changes, "csrf_token": csrf_from(form)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'value="Permanence comptable"' in html
    assert f'id="{field}-error"' in html
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_every_wrong_field_is_said_at_once_and_an_organiser_event_has_no_place(app, client,
                                                                               make_user):
    organiser = make_user("orga@example.org", role="organiser", display_name="Orga")
    login_as(client, organiser)
    form = client.get("/events/new").get_data(as_text=True)
    assert 'value="place"' not in form
    response = client.post("/events/new", data={
        **FORM, "date": "31/02/2027", "capacity": "-3", "kind": "party", "location": "place",
        "title": "", "csrf_token": csrf_from(form)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("date", "capacity", "kind", "location", "title"):
        assert f'id="{field}-error"' in html, field
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_moving_and_cancelling_an_event_tells_the_people_registered(app, client, make_user):
    place, animator = _place_with_animator(make_user)
    ana = make_user("ana@example.org", display_name="Ana")
    event = make_event(place_id=place.id, location=EventLocation.PLACE,
                       starts_at=datetime(2030, 6, 3, 7, 0, tzinfo=UTC))
    registrations.register(db.session, event, ana.id)
    db.session.commit()
    login_as(client, animator)
    form = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="03/06/2030"' in form and 'value="09:00"' in form  # in Paris time (CEST)
    response = client.post(f"/events/{event.id}/edit", data={
        **FORM, "repeat": "", "kind": "discovery_day", "title": "Journée découverte",
        "date": "03/06/2030", "start_time": "10:00", "end_time": "13:00",
        "csrf_token": csrf_from(form)})
    assert response.status_code == 302
    confirm = client.get(f"/events/{event.id}/cancel").get_data(as_text=True)
    client.post(f"/events/{event.id}/cancel", data={"csrf_token": csrf_from(confirm)})
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == ana.id)
                               .order_by(Notification.id)).all()
    assert kinds == [NotificationKind.EVENT_CHANGED, NotificationKind.EVENT_CANCELLED]
    assert "Cet événement est annulé" in client.get(f"/events/{event.id}").get_data(as_text=True)


# -- in the feed, search and the API -----------------------------------------------------------

def _found(client, **params) -> list[str]:
    data = client.get("/api/v1/search", query_string=params).get_json()
    return [r["title"] for r in data["results"] if r["type"] == "event"]


@pytest.mark.parametrize("who, sees", [
    (None, {"public"}), ("member", {"public", "members"}),
    ("insider", {"public", "members", "network"})])
def test_search_the_api_and_the_feed_follow_the_audience(app, audiences, who, sees):
    people, events = audiences
    client = app.test_client()
    if who:
        login_as(client, people[who])
    titles = {f"Événement {a}" for a in sees}
    assert set(_found(client, q="événement")) == titles
    listed = client.get("/api/v1/events").get_json()
    assert {item["title"] for item in listed["items"]} == titles
    for audience, event in events.items():
        answer = client.get(f"/api/v1/events/{event.id}")
        assert answer.status_code == (200 if str(audience) in sees else 404), (who, audience)
        if answer.status_code == 200:
            assert answer.get_json()["occurrences"][0]["start"] == event.starts_at.isoformat()
    if who:
        feed = client.get("/").get_data(as_text=True)
        for audience in EventAudience:
            # In the feed: the network's events (its members) and those near home (Rodez).
            assert (f"Événement {audience}" in feed) is (str(audience) in sees), (who, audience)


def test_a_cancelled_event_leaves_search_and_the_feed(app, client, make_user):
    ana = make_user("ana@example.org")
    event = make_event(title="Atelier vannerie")
    login_as(client, ana)
    assert _found(client, q="vannerie") == ["Atelier vannerie"]
    assert "Atelier vannerie" in client.get("/").get_data(as_text=True)
    cancel_event(db.session, event, None)
    db.session.commit()
    assert _found(client, q="vannerie") == []
    assert "Atelier vannerie" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "from=yesterday", "to=2020-01-01", "from=2027-01-01&to=2029-01-01", "km=abc&commune=Rodez",
    "place=99999999999999999999", "kind=nothing", "commune=%00"])
def test_the_api_answers_odd_arguments_clearly(client, query):
    answer = client.get("/api/v1/events?" + query)
    assert answer.status_code in (200, 400)
    assert answer.is_json
    if answer.status_code == 400:
        assert answer.get_json()["detail"]


# -- reminders and discovery days ------------------------------------------------------------

def test_the_day_before_each_person_registered_is_reminded_once(app, make_user):
    from app.events.reminders import remind_due
    ana = make_user("ana@example.org")
    bob = make_user("bob@example.org", display_name="Bob")
    now = utcnow()
    tomorrow = make_event(title="Demain", starts_at=now + timedelta(hours=20))
    later = make_event(title="Plus tard", starts_at=now + timedelta(days=3))
    for event in (tomorrow, later):
        registrations.register(db.session, event, ana.id)
    registrations.register(db.session, tomorrow, bob.id)
    db.session.commit()
    db.session.execute(EventRegistration.__table__.update().values(
        created_at=now - timedelta(days=2)))  # they registered two days ago
    db.session.commit()
    assert remind_due(db.session, now) == 2
    assert remind_due(db.session, now) == 0  # once
    db.session.commit()
    told = db.session.execute(select(Notification.user_id, Notification.detail).where(
        Notification.kind == NotificationKind.EVENT_REMINDER)).all()
    assert sorted(told) == sorted([(ana.id, "Demain"), (bob.id, "Demain")])
    result = app.test_cli_runner().invoke(args=["events", "remind"])
    assert result.exit_code == 0 and "0 reminders" in result.output


def test_a_discovery_day_invites_who_would_cowork_near_there(app, client, make_user):
    from tests.helpers.demand import declare
    place, animator = _place_with_animator(make_user)
    place.free_first_month = True
    near = make_user("near@example.org", display_name="Près", commune="12056")
    far = make_user("far@example.org", display_name="Loin", commune="48095")
    declare(near.id, "12056")  # Baraqueville, 12.7 km from Rodez
    declare(far.id, "48095")  # Mende
    login_as(client, animator)
    form = client.get(f"/events/new?place={place.id}").get_data(as_text=True)
    response = client.post(f"/events/new?place={place.id}", data={
        **FORM, "kind": "discovery_day", "title": "Journée découverte", "repeat": "",
        "date": (utcnow() + timedelta(days=10)).strftime("%d/%m/%Y"), "capacity": "8",
        "csrf_token": csrf_from(form)})
    assert response.status_code == 302
    invited = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == NotificationKind.EVENT_INVITED)).all()
    assert invited == [near.id]
    event = db.session.scalar(select(Event))
    member = app.test_client()
    login_as(member, near)
    page = member.get(f"/events/{event.id}").get_data(as_text=True)
    assert "premier mois" in page
    member.post(f"/events/{event.id}/register", data={"csrf_token": csrf_from(page)})
    assert registrations.registration_of(db.session, event.id, near.id).status == \
        RegistrationStatus.REGISTERED


def test_a_weekly_permanence_is_listed_once_by_its_next_date(app, client):
    make_event(title="Permanence du jeudi", kind=EventKind.PERMANENCE, rrule="FREQ=WEEKLY",
               starts_at=utcnow() + timedelta(days=1))
    html = client.get("/events/").get_data(as_text=True)
    assert html.count("Permanence du jeudi") == 1 and "Chaque semaine" in html
    listed = client.get("/api/v1/events").get_json()["items"]
    assert len([i for i in listed if i["title"] == "Permanence du jeudi"]) >= 12  # 92 days


def test_the_feed_shows_events_within_twenty_km_of_home(app, make_user):
    """Baraqueville (12.7 km from Rodez) is in another communauté de communes: its members see
    Rodez's events all the same; Millau's (52 km) they do not."""
    ana = make_user("ana@example.org", commune="12056")
    make_event(title="À Rodez", commune_insee="12202")
    make_event(title="À Millau", commune_insee="12145")
    client = app.test_client()
    login_as(client, ana)
    feed = client.get("/").get_data(as_text=True)
    assert "À Rodez" in feed and "À Millau" not in feed


def test_one_date_of_a_permanence_cancelled_and_another_moved(app, client, make_user):
    from app.events.occurrences import from_local, to_local
    from app.events.service import occurrence_key
    place, animator = _place_with_animator(make_user)
    outsider = make_user("out@example.org", display_name="Dehors")
    first = (utcnow() + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    event = make_event(title="Permanence", kind=EventKind.PERMANENCE, place_id=place.id,
                       location=EventLocation.PLACE, rrule="FREQ=WEEKLY;COUNT=4",
                       starts_at=first)
    dates = [from_local(to_local(first).replace(tzinfo=None) + timedelta(weeks=n))
             for n in range(4)]  # weekly in Paris time, across a clock change if there is one
    second, third = occurrence_key(dates[1]), occurrence_key(dates[2])
    login_as(client, outsider)
    assert client.get(f"/events/{event.id}/dates/{second}/cancel").status_code == 403
    client = app.test_client()
    login_as(client, animator)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/dates/{second}/cancel" in page and f"/dates/{third}/move" in page
    off_rule = occurrence_key(dates[1] + timedelta(days=1))
    assert client.get(f"/events/{event.id}/dates/{off_rule}/cancel").status_code == 404
    assert client.get(f"/events/{event.id}/dates/nonsense/move").status_code == 404
    confirm = client.get(f"/events/{event.id}/dates/{second}/cancel").get_data(as_text=True)
    assert "Annuler la date du" in confirm and "&lt;time" not in confirm
    assert client.post(f"/events/{event.id}/dates/{second}/cancel").status_code == 400  # no token
    client.post(f"/events/{event.id}/dates/{second}/cancel",
                data={"csrf_token": csrf_from(confirm)})
    form = client.get(f"/events/{event.id}/dates/{third}/move").get_data(as_text=True)
    assert f'value="{to_local(dates[2]).strftime("%d/%m/%Y")}"' in form
    bad = client.post(f"/events/{event.id}/dates/{third}/move", data={
        "date": "32/01/2030", "start_time": "14:00", "csrf_token": csrf_from(form)})
    assert bad.status_code == 422 and 'value="14:00"' in bad.get_data(as_text=True)
    new_day = to_local(dates[2]).date() + timedelta(days=1)
    client.post(f"/events/{event.id}/dates/{third}/move", data={
        "date": new_day.strftime("%d/%m/%Y"), "start_time": "14:00",
        "csrf_token": csrf_from(form)})
    db.session.expire_all()
    found = occurrences(db.session.get(Event, event.id), first - timedelta(days=1),
                        first + timedelta(weeks=6))
    moved = from_local(datetime.combine(new_day, datetime.min.time()).replace(hour=14))
    assert [(o.start, o.moved) for o in found] == [
        (dates[0], False), (moved, True), (dates[3], False)]
    assert db.session.get(Event, event.id).sequence == 2


def test_the_list_of_one_place_or_one_network(app, client, make_user, make_network):
    owner = make_user("owner@example.org")
    hidden = make_network(owner, "Cercle discret", visibility="private")
    place = Place(name="La Fabrique", commune_insee="12202")
    db.session.add(place)
    db.session.commit()
    make_event(title="À la Fabrique", place_id=place.id, location=EventLocation.PLACE)
    make_event(title="Ailleurs")
    make_event(title="Au cercle", network_id=hidden.id, audience=EventAudience.MEMBERS)
    html = client.get(f"/events/?place={place.id}").get_data(as_text=True)
    assert "À la Fabrique" in html and "Ailleurs" not in html and "La Fabrique only" not in html
    assert "Événements de La Fabrique seulement" in html
    login_as(client, make_user("m@example.org"))
    html = client.get(f"/events/?network={hidden.id}").get_data(as_text=True)
    assert "Cercle discret" not in html and "Ailleurs" in html  # not a member: no such filter
    assert client.get("/events/?place=99999999999999999999&network=x").status_code == 200


def test_an_event_picture_goes_through_the_picture_pipeline(app, client, make_user):
    from io import BytesIO

    from tests.helpers.images import jpeg
    place, animator = _place_with_animator(make_user)
    login_as(client, animator)
    form = client.get(f"/events/new?place={place.id}").get_data(as_text=True)
    response = client.post(f"/events/new?place={place.id}", data={
        **FORM, "repeat": "", "cover_alt": "La grande salle", "csrf_token": csrf_from(form),
        "cover": (BytesIO(jpeg((800, 500))), "salle.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.cover and event.cover_alt == "La grande salle"
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/media/{event.cover}/" in page and 'alt="La grande salle"' in page
    hostile = client.post(f"/events/{event.id}/edit", data={
        **FORM, "repeat": "", "csrf_token": csrf_from(page),
        "cover": (BytesIO(b"<svg onload=alert(1)>"), "x.jpg")}, content_type="multipart/form-data")
    assert hostile.status_code == 422 and 'value="Permanence comptable"' in hostile.get_data(
        as_text=True)


def test_a_private_network_holds_events_for_its_members_only(app, client, make_user, make_network):
    owner = make_user("owner@example.org", display_name="Animatrice")
    hidden = make_network(owner, "Cercle discret", visibility="private")
    login_as(client, owner)
    form = client.get(f"/events/new?network={hidden.id}").get_data(as_text=True)
    for audience in ("public", "members"):
        response = client.post(f"/events/new?network={hidden.id}", data={
            **FORM, "location": "address", "commune": "Rodez", "audience": audience,
            "repeat": "", "csrf_token": csrf_from(form)})
        assert response.status_code == 422, audience
        assert "réservés à ses membres" in response.get_data(as_text=True)
    assert client.post(f"/events/new?network={hidden.id}", data={
        **FORM, "location": "address", "commune": "Rodez", "audience": "network", "repeat": "",
        "csrf_token": csrf_from(form)}).status_code == 302


def test_an_event_lasts_at_most_a_month_and_past_ones_stay_out_of_the_lists(app, client):
    with pytest.raises(ValueError):
        make_event(starts_at=utcnow(), ends_at=utcnow() + timedelta(days=40))
    db.session.rollback()
    with pytest.raises(ValueError):
        make_event(starts_at=utcnow(), ends_at=utcnow() - timedelta(hours=1))
    db.session.rollback()
    long_ago = utcnow() - timedelta(days=400)
    for n in range(30):
        make_event(title=f"Passé {n}", starts_at=long_ago + timedelta(days=n))
    make_event(title="Commencé hier", starts_at=utcnow() - timedelta(days=1),
               ends_at=utcnow() + timedelta(days=2))
    html = client.get("/events/").get_data(as_text=True)
    assert "Commencé hier" in html and "Passé" not in html
