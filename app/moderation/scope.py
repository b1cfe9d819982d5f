"""Who may moderate what.

Organisers and admins moderate everywhere; a network's animators moderate its posts, comments,
chat messages and members; a place's animators its reports; suspending an account is for admins
only (checked in actions.perform). Nobody moderates outside their scope.
"""
from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from models import MemberRole, Membership, MemberStatus, Role, User, place_animator


def animates_network(session: Session, user_id: int, network_id: int) -> bool:
    return session.scalar(select(exists().where(
        Membership.network_id == network_id, Membership.user_id == user_id,
        Membership.role == MemberRole.ANIMATOR,
        Membership.status == MemberStatus.ACTIVE))) or False


def animates_place(session: Session, user_id: int, place_id: int) -> bool:
    return session.scalar(select(exists().where(
        place_animator.c.place_id == place_id, place_animator.c.user_id == user_id))) or False


def can_moderate(session: Session, user, network_id: int | None, place_id: int | None) -> bool:
    """Organisers and admins everywhere; animators in their own network or place only."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_organiser:
        return True
    if network_id is not None and animates_network(session, user.id, network_id):
        return True
    return place_id is not None and animates_place(session, user.id, place_id)


def animates_something(user_id: int | BindParameter[int]) -> ColumnElement[bool]:
    """Whether this person animates a network (active) or a place."""
    return or_(exists().where(Membership.user_id == user_id,
                              Membership.role == MemberRole.ANIMATOR,
                              Membership.status == MemberStatus.ACTIVE),
               exists().where(place_animator.c.user_id == user_id))


def is_moderator(session: Session, user) -> bool:
    """Whether the queue means anything to this person."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_organiser or bool(session.scalar(select(animates_something(user.id))))


def in_network(session: Session, network_id: int, user_id: int | None) -> bool:
    """Whether this person has a membership row there (any status: requested, banned…)."""
    return user_id is not None and bool(session.scalar(select(exists().where(
        Membership.network_id == network_id, Membership.user_id == user_id))))


def moderated_networks(session: Session, user) -> list[int] | None:
    """The networks this person moderates: None for all (organisers, admins)."""
    if user.is_organiser:
        return None
    return list(session.scalars(select(Membership.network_id).where(
        Membership.user_id == user.id, Membership.role == MemberRole.ANIMATOR,
        Membership.status == MemberStatus.ACTIVE)))


def moderated_places(session: Session, user) -> list[int] | None:
    if user.is_organiser:
        return None
    return list(session.scalars(select(place_animator.c.place_id).where(
        place_animator.c.user_id == user.id)))


def other_moderators(session: Session, network_id: int | None, place_id: int | None,
                     *excluded: int | None) -> set[int]:
    """Who else could decide (an appeal): the network's or place's animators, and organisers."""
    people = set(session.scalars(select(User.id).where(
        User.role.in_((Role.ORGANISER, Role.ADMIN)), User.suspended_at.is_(None))))
    if network_id is not None:
        people |= set(session.scalars(select(Membership.user_id).where(
            Membership.network_id == network_id, Membership.role == MemberRole.ANIMATOR,
            Membership.status == MemberStatus.ACTIVE)))
    if place_id is not None:
        people |= set(session.scalars(select(place_animator.c.user_id).where(
            place_animator.c.place_id == place_id)))
    return people - set(excluded)


def scope_filter(session: Session, user, network_col, place_col=None):
    """A WHERE clause: rows of the networks (and places) this person moderates."""
    networks = moderated_networks(session, user)
    if networks is None:
        return True
    clause = network_col.in_(networks)
    if place_col is not None:
        clause = or_(clause, place_col.in_(moderated_places(session, user) or []))
    return clause
