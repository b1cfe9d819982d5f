"""The day before: a reminder to each person registered (a notification, and a mail per their
choice for events, `MailKind.EVENTS`). Claimed row by row with a conditional UPDATE, so that two
processes running it at once remind nobody twice. The server's mail loop runs it every
EVENT_REMINDER_EVERY seconds; `flask events remind` does it by hand or from cron.

Never commits: the caller does.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.social.notify import notify
from models import Event, EventRegistration, NotificationKind, RegistrationStatus
from models.types import utcnow

AHEAD = timedelta(hours=24)  # an event starting within a day is reminded
LATE_SIGN_UP = timedelta(hours=12)  # who registered less than this before it needs no reminder


def remind_due(session: Session, now: datetime | None = None) -> int:
    """Remind those registered for the one-off events starting in the next 24 hours (not
    cancelled, not reminded yet). Returns how many were reminded."""
    now = now or utcnow()
    due = session.execute(
        select(EventRegistration.id, EventRegistration.user_id, EventRegistration.created_at,
               Event.id, Event.title, Event.starts_at)
        .join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.status == RegistrationStatus.REGISTERED,
               EventRegistration.reminded_at.is_(None), Event.cancelled_at.is_(None),
               Event.rrule.is_(None), Event.starts_at > now, Event.starts_at <= now + AHEAD)
        .order_by(Event.id, EventRegistration.id).limit(1000)).all()
    reminded = 0
    for registration_id, user_id, registered_at, event_id, title, starts_at in due:
        if registered_at >= starts_at - LATE_SIGN_UP:
            continue  # they registered late: the event is on their mind
        claimed = session.execute(
            update(EventRegistration).where(EventRegistration.id == registration_id,
                                            EventRegistration.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed:
            reminded += notify(session, [user_id], NotificationKind.EVENT_REMINDER, None,
                               event_id=event_id, detail=title)
    return reminded
