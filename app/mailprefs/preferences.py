"""Who gets which mail: a mode per kind (models/mail.py: `MailKind`, `MailMode`), stored only
where a member chose something other than `DEFAULT_MODES`; which notification belongs to which
kind; and who may receive mail at all (a verified address, an account not suspended)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from models import (
    DEFAULT_MODES,
    MailKind,
    MailMode,
    MailPreference,
    NotificationKind,
    User,
)

# Every notification kind belongs to one mail kind (tests/test_digest.py checks none is missing).
NOTIFICATION_MAIL_KIND: dict[NotificationKind, MailKind] = {
    NotificationKind.REPLY: MailKind.REPLIES,
    NotificationKind.MENTION: MailKind.REPLIES,
    NotificationKind.NEW_POST: MailKind.NETWORK_POSTS,
    NotificationKind.JOIN_REQUEST: MailKind.REQUESTS,
    NotificationKind.JOIN_APPROVED: MailKind.REQUESTS,
    NotificationKind.CONNECTION_REQUEST: MailKind.REQUESTS,
    NotificationKind.CONNECTION_ACCEPTED: MailKind.REQUESTS,
    NotificationKind.CONTENT_HIDDEN: MailKind.MODERATION,
    NotificationKind.CONTENT_DELETED: MailKind.MODERATION,
    NotificationKind.CONTENT_RESTORED: MailKind.MODERATION,
    NotificationKind.APPEAL_REJECTED: MailKind.MODERATION,
    NotificationKind.WARNING: MailKind.MODERATION,
    NotificationKind.MUTED: MailKind.MODERATION,
    NotificationKind.BANNED: MailKind.MODERATION,
    NotificationKind.REPORT_HANDLED: MailKind.MODERATION,
    NotificationKind.REPORT_FILED: MailKind.REPORTS,
    # Staff may read a conversation you are in (issue 20): told like a decision about you.
    NotificationKind.INVESTIGATION: MailKind.MODERATION,
    NotificationKind.EVENT_PROMOTED: MailKind.EVENTS,
    NotificationKind.EVENT_CHANGED: MailKind.EVENTS,
    NotificationKind.EVENT_CANCELLED: MailKind.EVENTS,
    NotificationKind.EVENT_REMINDER: MailKind.EVENTS,
    NotificationKind.EVENT_INVITED: MailKind.EVENTS,
    NotificationKind.SEARCH_MATCH: MailKind.SAVED_SEARCHES,
}


def mailable(user: User) -> bool:
    """Mail goes only to a verified address of an account that is not suspended."""
    return user.email_verified_at is not None and user.suspended_at is None


def modes_of(session: Session, user_id: int) -> dict[MailKind, MailMode]:
    """Every kind's mode for this member, defaults filled in."""
    chosen = dict(session.execute(select(MailPreference.kind, MailPreference.mode).where(
        MailPreference.user_id == user_id)).all())
    return {kind: chosen.get(kind, DEFAULT_MODES[kind]) for kind in MailKind}


def set_mode(session: Session, user_id: int, kind: MailKind, mode: MailMode) -> None:
    """Store the choice (or remove the row when it is the default). The caller commits."""
    session.execute(delete(MailPreference).where(MailPreference.user_id == user_id,
                                                 MailPreference.kind == kind))
    if mode != DEFAULT_MODES[kind]:
        session.add(MailPreference(user_id=user_id, kind=kind, mode=mode))


def set_modes(session: Session, user_id: int, modes: dict[MailKind, MailMode]) -> None:
    for kind, mode in modes.items():
        set_mode(session, user_id, MailKind(kind), MailMode(mode))


def recipients_with_mode(session: Session, user_ids: Iterable[int], kind: MailKind, *,
                         mailable_only: bool = False) -> list[tuple[User, MailMode]]:
    """(account, mode for `kind`) of these people, in one query (`mailable_only`: only those
    who may receive mail)."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    query = select(User, MailPreference.mode).outerjoin(MailPreference, and_(
        MailPreference.user_id == User.id, MailPreference.kind == kind)).where(User.id.in_(ids))
    if mailable_only:
        query = query.where(User.email_verified_at.is_not(None), User.suspended_at.is_(None))
    rows = session.execute(query).all()
    return [(user, mode or DEFAULT_MODES[kind]) for user, mode in rows]
