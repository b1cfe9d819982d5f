"""Queueing a mail: one outbox row, added to the caller's session, committed (or rolled back)
with the event that causes it. Nothing is sent here: the sender (app/mail/sender.py) does it
after the commit, so a rolled-back event sends nothing and a committed one loses nothing."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.mail.compose import new_message_id, recipient_locale, render
from models import MailStatus, OutboxMessage
from models.types import utcnow


def queue_mail(session: Session, to: str, template: str, context: dict, kind: str | None = None,
               *, user=None, locale: str | None = None,
               headers: dict | None = None) -> OutboxMessage:
    """Render `templates/mail/<template>.*` in the recipient's language and add the row to the
    session (the caller commits). `user`: the account it concerns (its language, and the row
    goes when the account is erased)."""
    subject, text, html = render(template, context, locale or recipient_locale(user))
    if user is not None and user.id is None:
        session.flush()  # a new account: its id for the row
    now = utcnow()
    row = OutboxMessage(message_id=new_message_id(), to_address=to, subject=subject, text=text,
                        html=html, kind=kind or template, headers=dict(headers or {}),
                        user_id=user.id if user is not None else None,
                        status=MailStatus.QUEUED, attempts=0, next_attempt_at=now,
                        created_at=now, last_error="")
    session.add(row)
    return row


def render_only(template: str, context: dict, locale: str | None = None) -> None:
    """The work of `queue_mail` without the row: for an answer that must take as long whether
    or not there was someone to write to (the password reset form)."""
    render(template, context, locale or recipient_locale())
    new_message_id()
