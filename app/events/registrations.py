""""I'm coming", cancelling, and the waiting list.

No registration ever passes capacity, whatever the number of people clicking at once: a seat is
taken by one conditional UPDATE (`seats_taken < capacity`), which the database runs one at a
time per event (PostgreSQL's row lock, SQLite's single writer); who does not get a seat waits,
in order. A cancelled seat goes to the first in line, in the same transaction, and they are told.

These functions never commit: the views do.
"""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.social.notify import notify
from models import Event, EventRegistration, NotificationKind, RegistrationStatus, personal
from models.types import utcnow


class RegistrationError(Exception):
    """`code`: "closed" (cancelled, recurring or past), "not_registered"."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _take_seat(session: Session, event_id: int) -> bool:
    result = session.execute(
        update(Event).where(Event.id == event_id, or_(Event.capacity.is_(None),
                                                      Event.seats_taken < Event.capacity))
        .values(seats_taken=Event.seats_taken + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_seat(session: Session, event_id: int) -> None:
    session.execute(update(Event).where(Event.id == event_id, Event.seats_taken > 0)
                    .values(seats_taken=Event.seats_taken - 1)
                    .execution_options(synchronize_session=False))


def registration_of(session: Session, event_id: int, user_id: int) -> EventRegistration | None:
    return session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.user_id == user_id))


def register(session: Session, event: Event, user_id: int) -> RegistrationStatus:
    """Registered if a seat is free, else on the waiting list. Asking again changes nothing."""
    if not event.takes_registrations or event.ends_at <= utcnow():
        raise RegistrationError("closed")
    existing = registration_of(session, event.id, user_id)
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        return existing.status
    status = RegistrationStatus.REGISTERED if _take_seat(session, event.id) \
        else RegistrationStatus.WAITING
    if existing is not None:
        existing.status = status
        existing.created_at = utcnow()  # back in line from now
        session.flush()
        return status
    try:
        with session.begin_nested():
            session.add(EventRegistration(event_id=event.id, user_id=user_id, status=status))
    except IntegrityError:
        # The same person's other request (a double click) registered them meanwhile: its
        # seat is theirs, give back the one taken here.
        if status == RegistrationStatus.REGISTERED:
            _free_seat(session, event.id)
        found = registration_of(session, event.id, user_id)
        return found.status if found is not None else status
    return status


def cancel(session: Session, event: Event, user_id: int) -> int | None:
    """Cancel this person's registration (or their place in line). Returns the id of the person
    promoted to the freed seat, if any (told by a notification)."""
    found = session.execute(select(EventRegistration.id, EventRegistration.status).where(
        EventRegistration.event_id == event.id, EventRegistration.user_id == user_id,
        EventRegistration.status != RegistrationStatus.CANCELLED)).first()
    # Conditional on the status read: a promotion meanwhile makes this one fail, not lie.
    if found is None or session.execute(
            update(EventRegistration).where(EventRegistration.id == found.id,
                                            EventRegistration.status == found.status)
            .values(status=RegistrationStatus.CANCELLED, updated_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount != 1:
        raise RegistrationError("not_registered")
    personal.bump(session, [user_id])
    session.expire_all()
    if found.status != RegistrationStatus.REGISTERED:
        return None
    _free_seat(session, event.id)
    return promote(session, event)


def promote(session: Session, event: Event) -> int | None:
    """Give a free seat to the first in line (who is told). None when nobody waits or no seat is
    free."""
    if event.cancelled_at is not None:
        return None
    for _ in range(20):  # another transaction may promote the same person first
        waiting = session.scalar(
            select(EventRegistration.id).where(
                EventRegistration.event_id == event.id,
                EventRegistration.status == RegistrationStatus.WAITING)
            .order_by(EventRegistration.created_at, EventRegistration.id).limit(1))
        if waiting is None or not _take_seat(session, event.id):
            return None
        promoted = session.execute(
            update(EventRegistration).where(EventRegistration.id == waiting,
                                            EventRegistration.status == RegistrationStatus.WAITING)
            .values(status=RegistrationStatus.REGISTERED, updated_at=utcnow())
            .returning(EventRegistration.user_id)).scalar()
        if promoted is not None:
            personal.bump(session, [promoted])
            notify(session, [promoted], NotificationKind.EVENT_PROMOTED, None,
                   event_id=event.id, detail=event.title)
            return promoted
        _free_seat(session, event.id)
    return None


def participants(session: Session, event_id: int) -> list[EventRegistration]:
    """Registered then waiting, each in the order they came."""
    rows = session.scalars(select(EventRegistration).where(
        EventRegistration.event_id == event_id,
        EventRegistration.status != RegistrationStatus.CANCELLED)
        .order_by(EventRegistration.status.desc(), EventRegistration.created_at,
                  EventRegistration.id)).all()
    return sorted(rows, key=lambda r: (r.status != RegistrationStatus.REGISTERED, r.created_at,
                                       r.id))
