"""Notifications, connections, blocks and suggestions pages."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.redirects import safe_next
from app.confirm import confirm_page
from app.forms import explain_csrf_failure
from app.notification_targets import target_endpoint
from app.people.queries import load_profiles
from app.security import csrf_in_form
from app.social.blueprint import bp
from app.social.connections import (
    ConnectionError_,
    ask,
    block,
    connection_between,
    respond,
    unblock,
    withdraw,
)
from app.social.forms import ConnectForm
from app.social.suggestions import offers_for_needs, same_skill
from models import Block, Connection, ConnectionStatus, Notification, User, db
from models.types import utcnow

NOTIFICATIONS_PAGE = 50
CONNECTION_ERRORS = {
    "self": lambda: _("You cannot connect with yourself."),
    "blocked": lambda: _("You cannot connect with this person."),
    "not_pending": lambda: _("This request was already answered or withdrawn."),
    "not_yours": lambda: _("This request is not yours."),
}


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _back(default: str):
    return redirect(safe_next(default))


@bp.route("/notifications")
@login_required
def notifications():
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .options(selectinload(Notification.actor), selectinload(Notification.network))
        .order_by(Notification.id.desc()).limit(NOTIFICATIONS_PAGE)).all()
    return render_template("social/notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def read_all():
    db.session.execute(update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("social.notifications"))


@bp.post("/notifications/<id:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    found = db.session.get(Notification, notification_id)
    if found is None or found.user_id != current_user.id:
        abort(404)
    found.read_at = found.read_at or utcnow()
    db.session.commit()
    return redirect(notification_target(found))


def notification_target(n: Notification) -> str:
    endpoint, values = target_endpoint(n)
    return url_for(endpoint, **values)


@bp.route("/connections")
@login_required
def connections():
    me = current_user.id
    rows = db.session.scalars(select(Connection).where(
        or_(Connection.low_id == me, Connection.high_id == me))
        .order_by(Connection.created_at.desc())).all()
    others = {c.other_id(me) for c in rows}
    profiles = {p.user_id: p for p in load_profiles_for_users(others)}
    accepted = [c for c in rows if c.status == ConnectionStatus.ACCEPTED]
    incoming = [c for c in rows if c.status == ConnectionStatus.PENDING and c.requester_id != me]
    sent = [c for c in rows if c.status != ConnectionStatus.ACCEPTED and c.requester_id == me]
    blocked = db.session.scalars(select(Block).where(Block.blocker_id == me)).all()
    blocked_profiles = {p.user_id: p for p in load_profiles_for_users({b.blocked_id for b in blocked})}
    return render_template("social/connections.html", accepted=accepted, incoming=incoming,
                           sent=sent, profiles=profiles, me=me, blocked=blocked,
                           blocked_profiles=blocked_profiles)


def load_profiles_for_users(user_ids: set[int]):
    from models import Profile
    if not user_ids:
        return []
    ids = list(db.session.scalars(select(Profile.id).where(Profile.user_id.in_(user_ids))))
    return load_profiles(db.session, ids)


@bp.route("/connections/<id:user_id>/ask", methods=["GET", "POST"])
@login_required
@csrf_in_form
def ask_connection(user_id: int):
    other = _user_or_404(user_id)
    profile = next(iter(load_profiles(db.session, [other.profile.id])), None)
    form = ConnectForm()
    if form.validate_on_submit():
        try:
            connection = ask(db.session, current_user.id, other.id, form.message.data or "")
            db.session.commit()
        except ConnectionError_ as error:
            db.session.rollback()
            flash(CONNECTION_ERRORS[str(error)](), "error")
            return redirect(url_for("people.profile", profile_id=other.profile.id))
        except IntegrityError:  # both asked at the same instant: the other request stands
            db.session.rollback()
            connection = connection_between(db.session, current_user.id, other.id)
        if connection is not None and connection.status == ConnectionStatus.ACCEPTED:
            flash(_("You are now connected with %(name)s.", name=other.display_name), "success")
        else:
            flash(_("Your request is sent to %(name)s.", name=other.display_name), "success")
        return redirect(url_for("people.profile", profile_id=other.profile.id))
    explain_csrf_failure(form)
    return render_template("social/ask.html", form=form, other=other, profile=profile), \
        422 if form.errors else 200


def _connection_or_404(connection_id: int) -> Connection:
    found = db.session.get(Connection, connection_id)
    if found is None or current_user.id not in (found.low_id, found.high_id):
        abort(404)
    return found


@bp.route("/connections/<id:connection_id>/<any(accept, decline, withdraw):action>",
          methods=["GET", "POST"])
@login_required
def answer_connection(connection_id: int, action: str):
    connection = _connection_or_404(connection_id)
    if request.method == "GET":  # withdrawing asks first; the others are one click
        if action != "withdraw":
            abort(405)
        other = _user_or_404(connection.other_id(current_user.id))
        if connection.status == ConnectionStatus.ACCEPTED:
            return confirm_page(_("Remove your connection with %(name)s?", name=other.display_name),
                                _("Remove the connection"), url_for("social.connections"))
        return confirm_page(_("Withdraw your request to connect with %(name)s?",
                              name=other.display_name),
                            _("Withdraw the request"), url_for("social.connections"))
    try:
        if action == "withdraw":
            withdraw(db.session, connection, current_user.id)
        else:
            respond(db.session, connection, current_user.id, accept=action == "accept")
        db.session.commit()
    except ConnectionError_ as error:
        db.session.rollback()
        flash(CONNECTION_ERRORS[str(error)](), "error")
        return _back(url_for("social.connections"))
    flash({"accept": _("Connection accepted."), "decline": _("Request declined."),
           "withdraw": _("Done.")}[action], "success")
    return _back(url_for("social.connections"))


@bp.route("/blocks/<id:user_id>", methods=["GET", "POST"])
@login_required
def block_user(user_id: int):
    other = _user_or_404(user_id)
    if request.method == "GET":
        return confirm_page(
            _("Block %(name)s? You will not be suggested to each other, and they cannot ask to "
              "connect with you. You can unblock them later from your connections.",
              name=other.display_name),
            _("Block"), url_for("social.connections"))
    try:
        block(db.session, current_user.id, other.id)
        db.session.commit()
    except ConnectionError_ as error:
        db.session.rollback()
        flash(CONNECTION_ERRORS[str(error)](), "error")
        return _back(url_for("social.connections"))
    except IntegrityError:  # blocked twice at once
        db.session.rollback()
    flash(_("%(name)s is blocked: you will not be suggested to each other, and they cannot ask "
            "to connect with you.", name=other.display_name), "success")
    return _back(url_for("social.connections"))


@bp.post("/blocks/<id:user_id>/remove")
@login_required
def unblock_user(user_id: int):
    other = _user_or_404(user_id)
    unblock(db.session, current_user.id, other.id)
    db.session.commit()
    flash(_("%(name)s is no longer blocked.", name=other.display_name), "success")
    return _back(url_for("social.connections"))


@bp.route("/suggestions")
@login_required
def suggestions():
    near = same_skill(db.session, current_user)
    needs = offers_for_needs(db.session, current_user)
    profiles = {p.id: p for p in load_profiles(
        db.session, list({s.profile_id for s in near} | {s.profile_id for s in needs}))}
    return render_template("social/suggestions.html", near=near, needs=needs, profiles=profiles)
