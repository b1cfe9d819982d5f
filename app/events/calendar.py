"""iCalendar (RFC 5545) of events, for phones and calendar programs to subscribe to: one event,
a place's, a network's, a commune's or an EPCI's public events, and a member's own "events I'm
going to" through a private, revocable link.

Times are written in Europe/Paris with its VTIMEZONE, so a weekly permanence at 9:00 stays at
9:00 on both sides of the clock changes; a recurring event is one VEVENT with its RRULE, its
cancelled occurrences as EXDATE and each moved one as a VEVENT of its own (RECURRENCE-ID).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from flask import url_for

from app.events.occurrences import HORIZON, PARIS, _exceptions, bounded
from app.text import markdown_to_text
from models import Event, EventLocation

if TYPE_CHECKING:
    from icalendar import Event as VEvent

PRODID = "-//Maillage//Événements//FR"


def _where(event: Event) -> str:
    if event.location == EventLocation.ONLINE:
        return "En ligne"
    parts = [event.place.name if event.location == EventLocation.PLACE and event.place else
             event.address, event.commune.label if event.commune else ""]
    return ", ".join(p for p in parts if p)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


def _vevent(event: Event, host: str, stamp: datetime) -> VEvent:
    from icalendar import Event as VEvent  # here: 15 ms of every process's start otherwise
    item = VEvent()
    item.add("uid", f"event-{event.id}@{host}")
    item.add("dtstamp", stamp)
    item.add("sequence", event.sequence)
    item.add("summary", event.title)
    item.add("dtstart", _local(event.starts_at))
    item.add("dtend", _local(event.ends_at))
    item.add("url", url_for("events.show", event_id=event.id, _external=True))
    description = markdown_to_text(event.description or "")
    if description:
        item.add("description", description[:5000])
    where = _where(event)
    if where:
        item.add("location", where)
    if event.commune is not None and event.location != EventLocation.ONLINE:
        item.add("geo", (event.commune.lat, event.commune.lon))
    item.add("status", "CANCELLED" if event.cancelled_at else "CONFIRMED")
    return item


def calendar(events: list[Event], name: str, host: str, stamp: datetime) -> bytes:
    """The calendar of these events (with their recurrences and changed occurrences)."""
    from icalendar import Calendar
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    for event in events:
        main = _vevent(event, host, stamp)
        moved = []
        if event.rrule:
            rule = event.rrule
            if not bounded(rule):  # where the site stops repeating it, calendars stop too
                rule += ";UNTIL=" + (event.starts_at + HORIZON).astimezone(timezone.utc) \
                    .strftime("%Y%m%dT%H%M%SZ")
            main.add("rrule", _rule_parts(rule))
            for rule_start, moved_to in _exceptions(event).items():
                if moved_to is None:
                    main.add("exdate", _local(rule_start))
                else:
                    occurrence = _vevent(event, host, stamp)
                    occurrence.add("recurrence-id", _local(rule_start))
                    for name_ in ("dtstart", "dtend"):
                        del occurrence[name_]
                    occurrence.add("dtstart", _local(moved_to))
                    occurrence.add("dtend", _local(moved_to + (event.ends_at - event.starts_at)))
                    moved.append(occurrence)
        cal.add_component(main)
        for occurrence in moved:
            cal.add_component(occurrence)
    cal.add_missing_timezones()
    return cal.to_ical()


def _rule_parts(rule: str) -> dict:
    """"FREQ=WEEKLY;BYDAY=TH;UNTIL=20270101T080000Z" as icalendar's vRecur wants it."""
    from icalendar import vRecur
    return vRecur.from_ical(rule)
