"""Discovery days: when a place opens one, the members who declared interest in coworking near
there are invited (a notification, and a mail per their choice for events): their declaration
names the place's commune among the acceptable ones, or their home lies within the distance
they would travel (20 km when they gave none); and those who said they would use this place.

Never commits: the caller does.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.social.notify import notify
from app.territory.gazetteer import haversine_km
from models import (
    Commune,
    Declaration,
    DeclarationVersion,
    Event,
    EventAudience,
    EventKind,
    NotificationKind,
    PlaceInterest,
)

DEFAULT_KM = 20


def interested_near(session: Session, event: Event) -> set[int]:
    """Members whose current declaration says they would cowork where this event is."""
    if event.commune is None:
        return set()
    here = event.commune
    found = set()
    rows = session.execute(
        select(Declaration.user_id, DeclarationVersion.acceptable_communes,
               DeclarationVersion.max_distance_km, Commune.lat, Commune.lon)
        .join(DeclarationVersion, (DeclarationVersion.declaration_id == Declaration.id)
              & DeclarationVersion.is_current)
        .join(Commune, Commune.insee == DeclarationVersion.home_commune_insee)
        .where(Declaration.user_id.is_not(None), Declaration.withdrawn_at.is_(None)))
    for user_id, acceptable, max_km, lat, lon in rows:
        if here.insee in (acceptable or []) or \
                haversine_km(lat, lon, here.lat, here.lon) <= (max_km or DEFAULT_KM):
            found.add(user_id)
    if event.place_id is not None:
        found |= set(session.scalars(select(PlaceInterest.user_id).where(
            PlaceInterest.place_id == event.place_id)))
    return found


def invite_to_discovery_day(session: Session, event: Event, actor_id: int | None) -> int:
    """Tell them (once: call it when the event is published). Only a discovery day that anyone
    of the site may see is sent around."""
    if event.kind != EventKind.DISCOVERY_DAY or event.audience == EventAudience.NETWORK \
            or event.cancelled_at is not None:
        return 0
    return notify(session, interested_near(session, event), NotificationKind.EVENT_INVITED,
                  actor_id, event_id=event.id, detail=event.title)
