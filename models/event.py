"""Events: open days, discovery days, trainings, meet-ups, permanences ("the accountant every
Thursday morning"), governance meetings, owned by a place, a network or an organiser; and who
registered ("I'm coming"), with a waiting list past capacity.

Times are stored in UTC and meant in Europe/Paris: a weekly permanence at 9:00 stays at 9:00
local time across the clock changes (app/events/occurrences.py expands the rule in local time).
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.network import Network
from models.place import Place
from models.territory import Commune
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User

TIMEZONE = "Europe/Paris"
# The longest an event (one date of it) lasts: the lists read their index from a month before
# their window on (app/events/queries.py). The form makes events of one day.
MAX_LENGTH = timedelta(days=31)


class EventKind(enum.StrEnum):
    OPEN_DAY = "open_day"
    DISCOVERY_DAY = "discovery_day"  # a trial day at a place, for people who declared interest
    TRAINING = "training"
    MEETUP = "meetup"
    PERMANENCE = "permanence"  # someone present at a regular time (usually recurring)
    GOVERNANCE = "governance"  # a meeting of the place's users
    OTHER = "other"


class EventAudience(enum.StrEnum):
    PUBLIC = "public"  # everyone, visitors included (and the public calendar feeds)
    MEMBERS = "members"  # logged-in members
    NETWORK = "network"  # active members of the event's network


class EventLocation(enum.StrEnum):
    PLACE = "place"  # at the place that holds it
    ADDRESS = "address"  # an address in a commune of the gazetteer
    ONLINE = "online"  # a link


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"  # past capacity: promoted, in order, when a seat frees up
    CANCELLED = "cancelled"


class Event(db.Model):
    __tablename__ = "event"
    __shown_on_pages__ = True  # in members' home feeds
    __table_args__ = (Index("ix_event_starts_at", "starts_at"),
                      Index("ix_event_commune_starts_at", "commune_insee", "starts_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 20), default=EventKind.MEETUP)
    # The owner: a place, a network, or neither (an organiser's event).
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                                 index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"),
                                                   index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # RFC 5545 RRULE value ("FREQ=WEEKLY;BYDAY=TH"), expanded in Europe/Paris from starts_at; and
    # the occurrences changed: [{"start": <UTC ISO of the occurrence as the rule gives it>,
    # "moved_to": <UTC ISO> or null for a cancelled one}].
    rrule: Mapped[str | None] = mapped_column(String(200))
    exceptions: Mapped[list] = mapped_column(JSON, default=list)
    location: Mapped[EventLocation] = mapped_column(str_enum(EventLocation, 10),
                                                    default=EventLocation.PLACE)
    address: Mapped[str] = mapped_column(String(200), default="")
    # Where it happens (the place's commune for an event at a place): found by commune, EPCI
    # and distance. None for an online event.
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee"))
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)  # registered, kept by UPDATEs
    price_eur: Mapped[int] = mapped_column(Integer, default=0)  # 0: free
    audience: Mapped[EventAudience] = mapped_column(str_enum(EventAudience, 10),
                                                    default=EventAudience.PUBLIC)
    cover: Mapped[str | None] = mapped_column(String(40), active_history=True)  # image key
    cover_alt: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar SEQUENCE: bumped when the time or the place changes, so calendars update.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    place: Mapped[Place | None] = relationship()
    network: Mapped[Network | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def recurring(self) -> bool:
        return bool(self.rrule)

    @property
    def takes_registrations(self) -> bool:
        """One-off events take registrations; a recurring permanence is drop-in."""
        return not self.recurring and self.cancelled_at is None

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)


@event.listens_for(Event, "before_insert")
@event.listens_for(Event, "before_update")
def _check_length(_mapper, _connection, target: Event) -> None:
    if target.starts_at is not None and target.ends_at is not None and not (
            target.starts_at < target.ends_at <= target.starts_at + MAX_LENGTH):
        raise ValueError("an event ends after it starts, and lasts at most MAX_LENGTH")


class EventRegistration(db.Model):
    """One person's "I'm coming" to a one-off event: registered, waiting or cancelled."""

    __tablename__ = "event_registration"
    __personal_to__ = ("user_id",)  # their home feed and the event pages they see
    __table_args__ = (UniqueConstraint("event_id", "user_id"),
                      Index("ix_event_registration_user", "user_id", "status"),
                      Index("ix_event_registration_waiting", "event_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus, 10))
    # When the day-before reminder was given (app/events/reminders.py): one, whoever sends it.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()
