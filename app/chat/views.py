"""Chat pages. They work without JavaScript (a form that reloads); static/js/chat.js turns them
live over the `/chat` socket (docs/realtime.md)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.chat import bp, service
from app.chat.forms import GroupForm, MessageForm
from app.chat.service import ChatError
from app.forms import explain_csrf_failure, int_or_none
from app.security import csrf_in_form
from models import (
    GROUP_MAX_PEOPLE,
    Connection,
    ConnectionStatus,
    Membership,
    MemberStatus,
    Network,
    Room,
    RoomKind,
    User,
    db,
)
from realtime.chat import error_text


def chat():
    return current_app.extensions["maillage.chat"]


def _room_or_404(room_id: int) -> Room:
    room = service.readable_room(db.session, current_user.id, room_id)
    if room is None:
        abort(404)
    return room


@bp.route("/")
@login_required
def index():
    rooms = service.room_summaries(db.session, current_user.id)
    db.session.commit()  # network rooms opened for the first time
    return render_template("chat/index.html", rooms=rooms)


@bp.route("/<id:room_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def room(room_id: int):
    room = _room_or_404(room_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            stored = service.find_resend(db.session, current_user.id, form.client_id.data, room.id)
            if stored is None:
                retry_after = chat().rate_limited(current_user.id)
                if retry_after:
                    raise ChatError("rate_limited")
                stored, created = service.post_message(db.session, room, current_user.id,
                                                       form.body.data, form.client_id.data)
                db.session.commit()
                if created:
                    chat().announce(db.session, room, stored, current_user.display_name)
            return redirect(url_for("chat.room", room_id=room.id, _anchor=f"m{stored.id}"))
        except ChatError as exc:
            db.session.rollback()
            form.body.errors = [*form.body.errors, error_text(exc.code)]
    explain_csrf_failure(form)
    status = 422 if form.errors else 200
    before = int_or_none(request.args.get("before"))
    messages = service.history(db.session, room.id, before if before and before > 0 else None)
    read_before = service.last_read(db.session, room.id, current_user.id)
    if messages and not before:
        service.mark_read(db.session, room, current_user.id, messages[-1].id)
        db.session.commit()
    rooms = service.room_summaries(db.session, current_user.id)
    db.session.commit()
    if not form.errors:
        form.body.data = ""
    form.fresh()
    title = service.room_title(db.session, room, current_user.id)
    people = _people(room)
    from app.moderation.service import can_moderate
    moderator = can_moderate(db.session, current_user, room.network_id, None)
    return render_template("chat/room.html", room=room, title=title, messages=messages,
                           can_moderate=moderator,
                           form=form, rooms=rooms, read_before=read_before, before=before,
                           people=people, has_older=bool(messages) and len(messages) == service.HISTORY_PAGE,
                           serialize=service.serialize), status


def _people(room: Room) -> list[tuple[int, str]]:
    ids = service.people_ids(db.session, room)
    if room.kind == RoomKind.NETWORK.value and len(ids) > 200:
        ids = ids[:200]
    return list(db.session.execute(select(User.id, User.display_name)
                                   .where(User.id.in_(ids)).order_by(User.display_name)))


@bp.route("/network/<id:network_id>")
@login_required
def network(network_id: int):
    """The chat of a network, for its active members (the room is made on first use)."""
    found = db.session.get(Network, network_id)
    if found is None or db.session.scalar(select(Membership.id).where(
            Membership.network_id == network_id, Membership.user_id == current_user.id,
            Membership.status == MemberStatus.ACTIVE.value)) is None:
        abort(404)
    room = service.network_room(db.session, found)
    db.session.commit()
    return redirect(url_for("chat.room", room_id=room.id))


@bp.post("/<id:room_id>/leave")
@login_required
def leave(room_id: int):
    room = _room_or_404(room_id)
    if room.kind != RoomKind.GROUP.value:
        abort(404)
    service.leave_group(db.session, room, current_user.id)
    db.session.commit()
    flash(_("You left the conversation."), "success")
    return redirect(url_for("chat.index"))


@bp.post("/with/<id:user_id>")
@login_required
def direct(user_id: int):
    other = db.session.get(User, user_id)
    if other is None:
        abort(404)
    try:
        room = service.direct_room(db.session, current_user, other)
        db.session.commit()
    except ChatError as exc:
        db.session.rollback()
        flash(error_text(exc.code), "error")
        return redirect(url_for("people.profile", profile_id=other.profile.id)
                        if other.profile else url_for("chat.index"))
    return redirect(url_for("chat.room", room_id=room.id))


def _connections(user_id: int) -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Connection).where(
        ((Connection.low_id == user_id) | (Connection.high_id == user_id)),
        Connection.status == ConnectionStatus.ACCEPTED.value))
    ids = {c.other_id(user_id) for c in rows}
    return [(uid, name) for uid, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)).order_by(User.display_name))]


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
def new_group():
    form = GroupForm()
    form.people.choices = _connections(current_user.id)
    if form.validate_on_submit():
        chosen = db.session.scalars(select(User).where(User.id.in_(form.people.data))).all()
        if len(chosen) + 1 > GROUP_MAX_PEOPLE:
            form.people.errors.append(_("A group has at most %(n)d people, you included.",
                                        n=GROUP_MAX_PEOPLE))
        else:
            try:
                room = service.create_group(db.session, current_user, form.name.data, list(chosen))
                db.session.commit()
                return redirect(url_for("chat.room", room_id=room.id))
            except ChatError as exc:
                db.session.rollback()
                form.people.errors.append(error_text(exc.code) if exc.code == "not_allowed"
                                          else _("Choose at least one person."))
    explain_csrf_failure(form)
    return render_template("chat/new.html", form=form), 422 if form.errors else 200
