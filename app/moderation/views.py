"""Moderation pages: report, the queue, one target's page (its reports, its history, the action
form), my reports and appeals, the audit log (with its CSV export)."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.args import page_arg
from app.auth.redirects import safe_next
from app.chat.messages import HISTORY_PAGE, history
from app.chat.rooms import readable_room
from app.csvexport import csv_response
from app.forms import explain_csrf_failure, int_or_none
from app.moderation import audit, investigation, reports
from app.moderation.actions import offered_actions, perform
from app.moderation.forms import (
    ACTION_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    REASON_LABELS,
    ActionForm,
    AppealForm,
    AuditFilterForm,
    InvestigationForm,
    ReportForm,
    error_text,
)
from app.moderation.scope import can_moderate, in_network, is_moderator
from app.moderation.targets import ModerationError, Target, record, resolve, visible_to
from app.security import csrf_in_form
from models import AuditEntry, Network, Room, RoomKind, RoomMember, TargetKind, User, db

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
PAGE_SIZE = 50


@bp.app_context_processor
def _labels():
    return {"moderation_actions": ACTION_LABELS, "moderation_reasons": REASON_LABELS,
            "moderation_kinds": KIND_LABELS, "moderation_outcomes": OUTCOME_LABELS}


def _require_moderator() -> None:
    if not is_moderator(db.session, current_user):
        abort(403)


# -- reporting --------------------------------------------------------------------------------

@bp.route("/report/<kind>/<id:target_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def report(kind: str, target_id: int):
    try:
        target = resolve(db.session, kind, target_id)
    except ModerationError:
        abort(404)
    if target.kind == "appeal" or target.hidden \
            or not visible_to(db.session, current_user, target):
        abort(404)  # hidden content is already handled, and its text shown to nobody
    back = safe_next(url_for("main.home"))
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        if reports.already_reported(db.session, current_user.id, target):
            flash(_("You already reported this: the moderators will look at it."), "info")
            return redirect(back)
        if not reports.within_rate_limit(current_app, current_user.id):
            form.reason.errors = [*form.reason.errors, error_text("rate_limited")]
            status = 429
        else:
            try:
                reports.report(db.session, current_user, target, form.reason.data,
                               form.note.data or "")
                db.session.commit()
            except ModerationError as error:
                db.session.rollback()
                form.note.errors = [*form.note.errors, error_text(error.code)]
                status = 422
            else:
                flash(_("Thank you. The moderators will look at it; you will be told the outcome "
                        "(see “My reports”)."), "success")
                return redirect(back)
    explain_csrf_failure(form)
    if form.errors and status == 200:
        status = 422
    return render_template("moderation/report.html", form=form, target=target, back=back), status


# -- the queue ---------------------------------------------------------------------------------

@bp.route("/")
@login_required
def queue():
    _require_moderator()
    handled = request.args.get("show") == "handled"
    return render_template("moderation/queue.html",
                           items=reports.queue(db.session, current_user, handled),
                           appeals=reports.open_appeals(db.session, current_user),
                           handled=handled)


# -- one target: what it is, its reports, its history, the actions ------------------------------

def _target_or_404(kind: str, target_id: int, network_id=None) -> Target:
    """The target of a moderator's page, the actor's scope checked first (as `perform` does):
    outside it, or for an id that does not exist, a moderator who is not an organiser gets the
    same 403, so that the page tells nothing about other networks (their posts, messages,
    members, or whether they exist). Organisers moderate everywhere: they get 404s."""
    if not is_moderator(db.session, current_user):
        abort(403)  # before any lookup
    outside = 404 if current_user.is_organiser else 403
    if network_id is not None:
        if not can_moderate(db.session, current_user, network_id, None):
            abort(403)
        if db.session.get(Network, network_id) is None:
            abort(404)  # only an organiser gets here: an animator's network exists
    try:
        target = resolve(db.session, kind, target_id)
    except ModerationError:
        abort(outside)
    if kind == TargetKind.PROFILE and network_id is not None:
        # Only a person of that network (member, banned, asking to join) is moderated there;
        # the network is in the actor's scope, so its members are theirs to know.
        if not in_network(db.session, network_id, target.author_id):
            abort(404)
        target.network_id = network_id
    if not can_moderate(db.session, current_user, target.network_id, target.place_id):
        abort(403)
    if target.kind == TargetKind.MESSAGE and current_user.is_organiser:
        # A private room's message: reported (then with its immediate context only) or under
        # an investigation access; otherwise the 404 of a message that does not exist.
        g.message_sight = investigation.message_sight(db.session, current_user, target.obj)
        if g.message_sight is None:
            abort(404)
    return target


def _message_view(target: Target) -> dict:
    """What the target page shows of a chat message: everything, or (reported in a private
    room) the message with its immediate context, and a link to the investigation page."""
    if target.kind != TargetKind.MESSAGE:
        return {}
    sight = g.get("message_sight", investigation.FULL)
    participant = readable_room(db.session, current_user.id, target.obj.room_id) is not None
    return {"sight": sight, "participant": participant,
            "context": investigation.context(db.session, target.obj)
            if sight == investigation.CONTEXT_ONLY else []}


@bp.route("/<kind>/<id:target_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def target(kind: str, target_id: int):
    network_id = int_or_none(request.values.get("network"))
    found = _target_or_404(kind, target_id, network_id)
    form = ActionForm()
    form.action.choices = [(a, str(ACTION_LABELS[a]))
                           for a in offered_actions(current_user, found, network_id)]
    form.network.data = str(network_id) if network_id else ""
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcome = perform(
                    db.session, current_user, form.action.data, found.kind, found.id,
                    form.reason.data, minutes=form.minutes.data, network_id=network_id)
                db.session.commit()
            except ModerationError as error:
                db.session.rollback()
                if error.status in (401, 404):
                    abort(error.status)
                form.action.errors = [*form.action.errors, error_text(error.code)]
            else:
                flash(_("Done: %(action)s. It is in the audit log.",
                        action=ACTION_LABELS[outcome.action]), "success")
                if outcome.action == "delete" and kind != TargetKind.MESSAGE:
                    return redirect(url_for("moderation.queue"))
                return redirect(url_for("moderation.target", kind=kind, target_id=target_id,
                                        network=network_id))
        explain_csrf_failure(form)
        status = 422
        db.session.expire_all()
        found = _target_or_404(kind, target_id, network_id)
    return render_template("moderation/target.html", target=found, form=form,
                           network_id=network_id, **_message_view(found),
                           **record(db.session, current_user, found)), status


# -- investigation access to a private conversation ---------------------------------------------

@bp.route("/rooms/<id:room_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def room(room_id: int):
    """For organisers and admins: ask for an investigation access to a conversation (a reason,
    audited, told to its people, valid ACCESS_HOURS), then read its history while it lasts."""
    if not current_user.is_organiser:
        abort(403)
    found = db.session.get(Room, room_id)
    if found is None:
        abort(404)
    access = investigation.active_access(db.session, current_user.id, found.id)
    form = InvestigationForm()
    status = 200
    if access is None and request.method == "POST":
        if form.validate_on_submit():
            investigation.open_access(db.session, current_user, found, form.reason.data)
            db.session.commit()
            flash(_("Investigation access opened for %(hours)d hours. It is in the audit log "
                    "and the people of the conversation are told.",
                    hours=investigation.ACCESS_HOURS), "success")
            return redirect(url_for("moderation.room", room_id=found.id))
        explain_csrf_failure(form)
        status = 422
    messages, before = [], None
    if access is not None:
        before = int_or_none(request.args.get("before"))
        messages = history(db.session, found.id, before if before and before > 0 else None)
    return render_template("moderation/room.html", room=found, access=access, form=form,
                           messages=messages, before=before,
                           has_older=len(messages) == HISTORY_PAGE,
                           # Who is in it is part of what the access opens: nothing of the
                           # conversation before a reason is given and audited.
                           people=_room_people(found) if access is not None else None,
                           hours=investigation.ACCESS_HOURS), status


def _room_people(room: Room) -> list[str]:
    if room.kind == RoomKind.NETWORK:
        return [room.network.name]
    return list(db.session.scalars(select(User.display_name).join(
        RoomMember, RoomMember.user_id == User.id).where(RoomMember.room_id == room.id)
        .order_by(User.display_name)))


# -- my reports and appeals ---------------------------------------------------------------------

@bp.route("/mine")
@login_required
def mine(form: AppealForm | None = None, failed: tuple[str, int] | None = None, status: int = 200):
    return render_template("moderation/mine.html", **reports.mine(db.session, current_user.id),
                           form=form or AppealForm(), failed=failed), status


@bp.post("/appeal/<kind>/<id:target_id>")
@login_required
@csrf_in_form
def appeal(kind: str, target_id: int):
    form = AppealForm()
    try:
        target = resolve(db.session, kind, target_id)
    except ModerationError:
        abort(404)
    if target.author_id != current_user.id:
        abort(404)
    if form.validate_on_submit():
        try:
            reports.appeal(db.session, current_user, target, form.body.data)
            db.session.commit()
        except ModerationError as error:
            db.session.rollback()
            form.body.errors = [*form.body.errors, error_text(error.code)]
        except IntegrityError:  # a double click: the first one is the appeal
            db.session.rollback()
            form.body.errors = [*form.body.errors, error_text("appealed")]
        else:
            flash(_("Your appeal is sent. You will be told the decision."), "success")
            return redirect(url_for("moderation.mine"))
    explain_csrf_failure(form)
    return mine(form, (kind, target_id), 422)


# -- the audit log -----------------------------------------------------------------------------

def _audit_filters(form: AuditFilterForm) -> dict:
    """The form's filters for audit.entries; a malformed number or date is its field's error."""
    filters = {"action": form.action.data, "kind": form.kind.data, "actor": form.actor.data}
    network_id = int_or_none(form.network.data or "")
    if form.network.data and network_id is None:
        form.network.errors = [_("A network number is digits only.")]
    filters["network_id"] = network_id
    for name, end in (("since", False), ("until", True)):
        field = getattr(form, name)
        if field.data:
            filters[name] = audit.parse_day(field.data, end)
            if filters[name] is None:
                field.errors = [_("Write the date as YYYY-MM-DD, e.g. 2026-11-26.")]
    return filters


@bp.route("/audit")
@login_required
def audit_log():
    _require_moderator()
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("All"))] + [(k, str(v)) for k, v in ACTION_LABELS.items()]
    form.kind.choices = [("", _("All"))] + [(k, str(v)) for k, v in KIND_LABELS.items()]
    form.validate()
    query = audit.entries(db.session, current_user, **_audit_filters(form))
    if request.args.get("format") == "csv":
        return csv_response(audit.csv_rows(db.session, query), "maillage-audit.csv")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page_arg(), 1), pages)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc())
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template("moderation/audit.html", form=form, entries=entries, total=total,
                           page=page, pages=pages), 422 if form.errors else 200
