"""Who sees an event and who runs it; the event a URL names (404 when there is none or when
this person may not see it: the same answer, so nobody learns what exists)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from app.moderation.scope import animates_network, animates_place
from models import (
    Event,
    EventAudience,
    Membership,
    MemberStatus,
    Network,
    NetworkVisibility,
    Place,
    db,
)


def visible(viewer_id: int | None) -> ColumnElement[bool]:
    """The events this person (None: a visitor) may see: public ones; members-only ones to
    members; network-only ones to the network's active members. Organisers see what members see
    (an organiser is a member too): nothing of a network they are not in."""
    if viewer_id is None:
        return Event.audience == EventAudience.PUBLIC
    in_network = exists().where(Membership.network_id == Event.network_id,
                                Membership.user_id == viewer_id,
                                Membership.status == MemberStatus.ACTIVE)
    return or_(Event.audience.in_((EventAudience.PUBLIC, EventAudience.MEMBERS)),
               and_(Event.audience == EventAudience.NETWORK, in_network))


def viewer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def may_see(session: Session, event: Event, user_id: int | None) -> bool:
    return bool(session.scalar(select(exists().where(Event.id == event.id,
                                                     visible(user_id)))))


def event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not may_see(db.session, event, viewer_id()):
        abort(404)
    return event


def may_hold_events(session: Session, user, place: Place | None = None,
                    network: Network | None = None) -> bool:
    """Organisers anywhere (and alone may hold an event of no place or network); a place's
    animators for their place; a network's animators for their network."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_organiser:
        return True
    if place is not None:
        return animates_place(session, user.id, place.id)
    if network is not None:
        return animates_network(session, user.id, network.id)
    return False


def can_edit(session: Session, user, event: Event) -> bool:
    """Who runs it: organisers, the animators of its place or network, and who created it while
    they still hold events there."""
    return may_hold_events(session, user, event.place, event.network)


def audience_allowed(audience: EventAudience, network: Network | None) -> bool:
    """Network-only needs a network; a private network's events are for its members only (its
    name on an event seen by others would tell that it exists)."""
    if audience == EventAudience.NETWORK:
        return network is not None
    return network is None or network.visibility != NetworkVisibility.PRIVATE

