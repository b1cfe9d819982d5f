"""Admin pages: the outbox (recent rows, one row's plain text) and issuing a recovery link."""
from __future__ import annotations

import re

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.admin.blueprint import bp
from app.args import page_arg
from app.auth.forms import RecoveryLinkForm
from app.auth.mails import recovery_url
from app.forms import explain_csrf_failure
from app.mailprefs.chat_unread import MAIL_KIND as CHAT_UNREAD_KIND
from app.moderation.audit import audit
from models import MailStatus, OutboxMessage, User, db
from models.types import matches_value

PAGE_SIZE = 50
# Links that act for the person they were mailed to (a new password, a confirmed address, a
# finished sign-up, an unsubscription): an admin reading the outbox must not be able to follow
# them. Recovery goes through /admin/recovery, which is audited.
_ACTING_LINK = re.compile(
    r"https?://[^\s<>\"]*/(?:auth/(?:reset|verify|email/confirm|register/confirm)|mail/unsubscribe)"
    r"/[^\s<>\"]+")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Mails that quote private conversations (issue 20: staff do not read them): their address,
# status and errors are shown, never their subject or text.
PRIVATE_KINDS = frozenset({CHAT_UNREAD_KIND})


@bp.route("/mail")
def mail_list():
    status = request.args.get("status", "")
    query = select(OutboxMessage)
    if status:
        query = query.where(matches_value(OutboxMessage.status, status))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page_arg(), 1), pages)
    rows = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)).all()
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status)).all())
    return render_template("admin/mail.html", rows=rows, page=page, pages=pages, total=total,
                           counts={s: counts.get(s, 0) for s in MailStatus}, status=status,
                           private_kinds=PRIVATE_KINDS), \
        200, NO_STORE


@bp.route("/mail/<id:row_id>")
def mail_show(row_id: int):
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        abort(404)
    private = row.kind in PRIVATE_KINDS
    text = (_("[This mail quotes a private conversation: only its recipient reads it.]")
            if private else _ACTING_LINK.sub(_("[link hidden: it acts for its recipient]"),
                                             row.text))
    subject = _("Unread messages (private conversation)") if private else row.subject
    return render_template("admin/mail_show.html", row=row, text=text, subject=subject), \
        200, NO_STORE


@bp.route("/recovery", methods=["GET", "POST"])
def recovery():
    """The CSRF token is checked before the view (app/security.py): a non-admin's POST gets a
    400 or a 403, never a link."""
    form = RecoveryLinkForm()
    link = member = None
    if form.validate_on_submit():
        member = db.session.scalar(
            select(User).where(User.email == User.normalise_email(form.email.data)))
        if member is None:
            form.email.errors.append(_("No account uses this address."))
        else:
            link = recovery_url(member)
            audit(db.session, current_user, "recovery_link", "profile",
                  member.profile.id if member.profile else None, label=member.display_name,
                  reason=form.reason.data)
            db.session.commit()
    explain_csrf_failure(form)
    return render_template("admin/recovery.html", form=form, link=link, member=member), \
        422 if form.errors else 200, NO_STORE
