"""Mails at once: a short mail per notification (what happened, a link to it, a link to stop
that kind), queued in the notification's transaction for the recipients whose mode for its
kind is "at once" and who may receive mail (app/mailprefs/preferences.py: `mailable`)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.mail import queue_mail
from app.mail.compose import absolute_url
from app.mailprefs.links import unsubscribe_context
from app.mailprefs.preferences import NOTIFICATION_MAIL_KIND, mailable, recipients_with_mode
from app.notification_targets import target_endpoint
from models import NOT_AT_ONCE, MailMode, Network, Notification, NotificationKind, User


def notification_context(session: Session, n: Notification) -> dict:
    """What the mail templates need to say what happened (mail/_what.txt)."""
    from app.moderation.forms import OUTCOME_LABELS, REASON_LABELS  # (it imports this, lazily)
    actor = session.get(User, n.actor_id) if n.actor_id else None
    network = session.get(Network, n.network_id) if n.network_id else None
    return {"kind": str(n.kind), "actor": actor.display_name if actor else None,
            "detail": n.detail or "", "network": network.name if network else None,
            "until": n.until,
            "outcome": OUTCOME_LABELS.get(n.detail) if n.kind == NotificationKind.REPORT_HANDLED
            else None,
            "reason": REASON_LABELS.get(n.detail) if n.kind == NotificationKind.REPORT_FILED
            else None}


def mail_at_once(session: Session, notifications: list[Notification]) -> int:
    """Queue the mails of these new notifications (one kind, one per recipient); how many."""
    if not notifications:
        return 0
    kind = NOTIFICATION_MAIL_KIND[notifications[0].kind]
    if kind in NOT_AT_ONCE:  # told at most daily, by the digest
        return 0
    by_user = {n.user_id: n for n in notifications}
    queued = 0
    for user, mode in recipients_with_mode(session, by_user, kind, mailable_only=True):
        if mode != MailMode.NOW or not mailable(user):
            continue
        n = by_user[user.id]
        endpoint, values = target_endpoint(n)
        context, headers = unsubscribe_context(user.id, kind)
        queue_mail(session, user.email, "notification", {
            **context, "name": user.display_name, "n": notification_context(session, n),
            "url": absolute_url(endpoint, **values)}, kind=f"notify:{n.kind}"[:40],
            user=user, headers=headers)
        queued += 1
    return queued

