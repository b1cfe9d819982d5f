"""Holding events: saving one (its time, place and audience checked by the form), telling the
people registered when the time or the place changes, cancelling it.

These functions never commit: the views do.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.occurrences import rule_starts
from app.social.notify import notify
from models import Event, EventRegistration, NotificationKind, RegistrationStatus
from models.types import utcnow

# What, changed, calendars and registered people must hear about.
WHEN_AND_WHERE = ("starts_at", "ends_at", "rrule", "exceptions", "location", "address",
                  "commune_insee", "online_url", "place_id")


def people_coming(session: Session, event_id: int, waiting_too: bool = True) -> list[int]:
    statuses = [RegistrationStatus.REGISTERED] + ([RegistrationStatus.WAITING] if waiting_too
                                                  else [])
    return list(session.scalars(select(EventRegistration.user_id).where(
        EventRegistration.event_id == event_id, EventRegistration.status.in_(statuses))))


def apply_changes(session: Session, event: Event, values: dict, actor_id: int | None) -> bool:
    """Set the new values; if the time or the place changed, calendars get a new SEQUENCE and
    the people registered (or waiting) are told. True when they were."""
    moved = event.id is not None and any(
        name in values and values[name] != getattr(event, name) for name in WHEN_AND_WHERE)
    for name, value in values.items():
        setattr(event, name, value)
    if not moved:
        return False
    event.sequence += 1
    session.flush()
    notify(session, people_coming(session, event.id), NotificationKind.EVENT_CHANGED, actor_id,
           event_id=event.id, detail=event.title)
    return True


def cancel_event(session: Session, event: Event, actor_id: int | None) -> int:
    """Cancel it (it stays, marked cancelled, for those who registered); tell them. Returns how
    many were told."""
    if event.cancelled_at is not None:
        return 0
    event.cancelled_at = utcnow()
    event.sequence += 1
    session.flush()
    return notify(session, people_coming(session, event.id), NotificationKind.EVENT_CANCELLED,
                  actor_id, event_id=event.id, detail=event.title)


def occurrence_key(rule_start: datetime) -> str:
    """A date of a recurring event, as its URLs name it: where the rule puts it, in UTC."""
    return rule_start.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def rule_start_of(event: Event, key: str) -> datetime | None:
    """The rule's date a URL names, if the rule gives it (else None)."""
    try:
        wanted = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    if not event.rrule:
        return None
    starts = rule_starts(event, wanted + timedelta(seconds=1), wanted - timedelta(days=1))
    return wanted if wanted in starts else None


def change_occurrence(event: Event, rule_start: datetime, moved_to: datetime | None) -> None:
    """Cancel one date of a recurring event (`moved_to` None) or move it; calendars get a new
    SEQUENCE. (A recurring event takes no registrations: nobody to tell.)"""
    kept = [change for change in (event.exceptions or [])
            if change.get("start") != rule_start.isoformat()]
    kept.append({"start": rule_start.isoformat(),
                 "moved_to": moved_to.isoformat() if moved_to else None})
    event.exceptions = kept  # a new list: the JSON column sees the change
    event.sequence += 1
