"""Chat pages. They work without JavaScript (a form that reloads); static/js/chat.js turns them
live over the `/chat` socket (docs/realtime.md)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.chat.blueprint import bp
from app.chat.forms import GroupForm, MessageForm
from app.chat.messages import (
    HISTORY_PAGE,
    history,
    last_read,
    mark_read,
    serialize,
)
from app.chat.rooms import (
    create_group,
    direct_room,
    leave_group,
    network_room,
    people_ids,
    readable_room,
    room_summaries,
    room_title,
)
from app.chat.sending import send_message
from app.confirm import confirm_page
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
from realtime.limits import send_wait
from realtime.protocol import ChatError, error_text


def fanout():
    return current_app.extensions["maillage.chat"]


def _room_or_404(room_id: int) -> Room:
    room = readable_room(db.session, current_user.id, room_id)
    if room is None:
        abort(404)
    return room


@bp.route("/")
@login_required
def index():
    rooms = room_summaries(db.session, current_user.id)
    db.session.commit()  # network rooms opened for the first time
    return render_template("chat/index.html", rooms=rooms)


@bp.route("/<id:room_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def room(room_id: int):
    room = _room_or_404(room_id)
    form = MessageForm()
    if form.validate_on_submit():
        # The socket's `send` without JavaScript: the same function, checks and rate limit.
        sent = send_message(db.session, current_user.get_id(), room.id, form.body.data,
                            form.client_id.data, send_wait)
        if sent.error:
            db.session.rollback()
            form.body.errors = [*form.body.errors, error_text(sent.error)]
        else:
            db.session.commit()
            if sent.created:
                fanout().broadcast(sent.message, sent.room_kind)
            return redirect(url_for("chat.room", room_id=sent.message["room"],
                                    _anchor=f"m{sent.message['id']}"))
    explain_csrf_failure(form)
    status = 422 if form.errors else 200
    before = int_or_none(request.args.get("before"))
    messages = history(db.session, room.id, before if before and before > 0 else None)
    read_before = last_read(db.session, room.id, current_user.id)
    if messages and not before:
        mark_read(db.session, room, current_user.id, messages[-1].id)
        db.session.commit()
    rooms = room_summaries(db.session, current_user.id)
    db.session.commit()
    if not form.errors:
        form.body.data = ""
    form.fresh()
    title = room_title(db.session, room, current_user.id)
    people = _people(room)
    from app.moderation.scope import can_moderate
    moderator = can_moderate(db.session, current_user, room.network_id, None)
    return render_template("chat/room.html", room=room, title=title, messages=messages,
                           can_moderate=moderator,
                           form=form, rooms=rooms, read_before=read_before, before=before,
                           people=people, has_older=bool(messages) and len(messages) == HISTORY_PAGE,
                           serialize=serialize), status


def _people(room: Room) -> list[tuple[int, str]]:
    ids = people_ids(db.session, room)
    if room.kind == RoomKind.NETWORK and len(ids) > 200:
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
            Membership.status == MemberStatus.ACTIVE)) is None:
        abort(404)
    room = network_room(db.session, found)
    db.session.commit()
    return redirect(url_for("chat.room", room_id=room.id))


@bp.route("/<id:room_id>/leave", methods=["GET", "POST"])
@login_required
def leave(room_id: int):
    """A group conversation; a GET asks first (app/confirm.py), only the POST leaves."""
    room = _room_or_404(room_id)
    if room.kind != RoomKind.GROUP:
        abort(404)
    if request.method == "GET":
        return confirm_page(_("Leave the conversation %(name)s? You will no longer see it nor "
                              "receive its messages, and you cannot come back to it.",
                              name=room_title(db.session, room, current_user.id)),
                            _("Leave the conversation"), url_for("chat.room", room_id=room.id))
    leave_group(db.session, room, current_user.id)
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
        room = direct_room(db.session, current_user, other)
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
        Connection.status == ConnectionStatus.ACCEPTED))
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
                room = create_group(db.session, current_user, form.name.data, list(chosen))
                db.session.commit()
                return redirect(url_for("chat.room", room_id=room.id))
            except ChatError as exc:
                db.session.rollback()
                form.people.errors.append(error_text(exc.code) if exc.code == "not_allowed"
                                          else _("Choose at least one person."))
    explain_csrf_failure(form)
    return render_template("chat/new.html", form=form), 422 if form.errors else 200
