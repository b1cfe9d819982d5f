"""Connections and blocks between two people, as plain functions (the view commits)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.social.notify import notify
from models import Block, Connection, ConnectionStatus, Notification, NotificationKind
from models.types import utcnow

RENOTIFY_AFTER_DAYS = 30


class ConnectionError_(ValueError):
    """Cannot be done (the message key says why)."""


def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def connection_between(session: Session, a: int, b: int) -> Connection | None:
    low, high = pair(a, b)
    return session.scalar(select(Connection).where(Connection.low_id == low,
                                                   Connection.high_id == high))


def is_blocked(session: Session, a: int, b: int) -> bool:
    return session.scalar(select(Block.id).where(or_(
        (Block.blocker_id == a) & (Block.blocked_id == b),
        (Block.blocker_id == b) & (Block.blocked_id == a))).limit(1)) is not None


def ask(session: Session, requester_id: int, other_id: int, message: str) -> Connection:
    """Ask to connect. If the other person had already asked, this accepts their request."""
    if requester_id == other_id:
        raise ConnectionError_("self")
    if is_blocked(session, requester_id, other_id):
        raise ConnectionError_("blocked")
    existing = connection_between(session, requester_id, other_id)
    if existing is not None:
        if existing.requester_id == other_id and existing.status in (
                ConnectionStatus.PENDING, ConnectionStatus.DECLINED):
            # They asked first (even if declined then): asking back accepts.
            existing.status = ConnectionStatus.PENDING
            return respond(session, existing, requester_id, accept=True)
        return existing  # already connected, or already asked (declined looks pending)
    low, high = pair(requester_id, other_id)
    connection = Connection(low_id=low, high_id=high, requester_id=requester_id,
                            message=message.strip())
    session.add(connection)
    session.flush()
    if not _asked_recently(session, requester_id, other_id):  # withdraw + ask is no spam loop
        notify(session, [other_id], NotificationKind.CONNECTION_REQUEST, requester_id)
    return connection


def _asked_recently(session: Session, requester_id: int, other_id: int) -> bool:
    since = utcnow() - timedelta(days=RENOTIFY_AFTER_DAYS)
    return session.scalar(select(Notification.id).where(
        Notification.user_id == other_id, Notification.actor_id == requester_id,
        Notification.kind == NotificationKind.CONNECTION_REQUEST,
        Notification.created_at > since).limit(1)) is not None


def respond(session: Session, connection: Connection, user_id: int, accept: bool) -> Connection:
    """The addressee accepts or declines a pending request."""
    if connection.status != ConnectionStatus.PENDING or connection.requester_id == user_id \
            or user_id not in (connection.low_id, connection.high_id):
        raise ConnectionError_("not_pending")
    connection.status = ConnectionStatus.ACCEPTED if accept else ConnectionStatus.DECLINED
    connection.responded_at = utcnow()
    if accept:
        notify(session, [connection.requester_id], NotificationKind.CONNECTION_ACCEPTED,
               user_id)
    return connection


def withdraw(session: Session, connection: Connection, user_id: int) -> None:
    """The requester withdraws a pending request, or either side ends a connection."""
    if user_id not in (connection.low_id, connection.high_id):
        raise ConnectionError_("not_yours")
    if connection.status != ConnectionStatus.ACCEPTED and connection.requester_id != user_id:
        raise ConnectionError_("not_yours")
    session.delete(connection)


def block(session: Session, blocker_id: int, blocked_id: int) -> None:
    """Block someone: any connection or request between the two is removed."""
    if blocker_id == blocked_id:
        raise ConnectionError_("self")
    low, high = pair(blocker_id, blocked_id)
    session.execute(delete(Connection).where(Connection.low_id == low, Connection.high_id == high))
    if session.scalar(select(Block.id).where(Block.blocker_id == blocker_id,
                                             Block.blocked_id == blocked_id)) is None:
        session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))


def unblock(session: Session, blocker_id: int, blocked_id: int) -> None:
    session.execute(delete(Block).where(Block.blocker_id == blocker_id,
                                        Block.blocked_id == blocked_id))
