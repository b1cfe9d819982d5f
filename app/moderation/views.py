"""Moderation pages: report, the queue, one target's page (its reports, its history, the action
form), my reports and appeals, the audit log (with its CSV export)."""
from __future__ import annotations

from datetime import datetime, time, timezone

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
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.csvexport import csv_response
from app.forms import explain_csrf_failure, int_or_none
from app.moderation import service
from app.moderation.forms import (
    ACTION_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    REASON_LABELS,
    ActionForm,
    AppealForm,
    AuditFilterForm,
    ReportForm,
    error_text,
)
from app.people.views import page_arg
from app.security import csrf_in_form, is_safe_path
from models import (
    Appeal,
    AppealStatus,
    AuditEntry,
    Membership,
    MemberStatus,
    Network,
    NetworkVisibility,
    Report,
    ReportStatus,
    Room,
    TargetKind,
    User,
    db,
)

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
PAGE_SIZE = 50
CSV_MAX = 100_000


def _is_moderator() -> bool:
    """For the header's link, once per request."""
    if "is_moderator" not in g:
        g.is_moderator = service.is_moderator(db.session, current_user)
    return g.is_moderator


@bp.app_context_processor
def _labels():
    return {"moderation_actions": ACTION_LABELS, "moderation_reasons": REASON_LABELS,
            "moderation_kinds": KIND_LABELS, "moderation_outcomes": OUTCOME_LABELS,
            "is_moderator": _is_moderator}


def _require_moderator() -> None:
    if not service.is_moderator(db.session, current_user):
        abort(403)


def _safe_next(default: str) -> str:
    target = request.values.get("next", "")
    return target if is_safe_path(target) else default


# -- reporting --------------------------------------------------------------------------------

def visible_to(user, target: service.Target) -> bool:
    """Whether this person can see what they report (no reporting by id guessing)."""
    session = db.session
    if target.kind in (TargetKind.POST.value, TargetKind.COMMENT.value, TargetKind.NETWORK.value):
        network = session.get(Network, target.network_id if target.kind != "network" else target.id)
        membership = session.scalar(select(Membership).where(
            Membership.network_id == network.id, Membership.user_id == user.id))
        if membership is not None and membership.status == MemberStatus.BANNED.value:
            return False
        if target.kind == TargetKind.NETWORK.value:
            return not network.is_private or membership is not None
        return network.visibility == NetworkVisibility.OPEN.value or (
            membership is not None and membership.is_active)
    if target.kind == TargetKind.MESSAGE.value:
        from app.chat.service import readable_room
        return readable_room(session, user.id, target.obj.room_id) is not None \
            and target.obj.deleted_at is None
    return True  # profiles (members see members' profiles) and places are shown to members


def _report_limiter():
    ext = current_app.extensions.setdefault("maillage.report_limiter", {})
    if "limiter" not in ext:
        ext["limiter"] = MovingWindowRateLimiter(
            storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"]))
    return ext["limiter"]


@bp.route("/report/<kind>/<id:target_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def report(kind: str, target_id: int):
    try:
        target = service.resolve(db.session, kind, target_id)
    except service.ModerationError:
        abort(404)
    if target.kind == "appeal" or target.hidden or not visible_to(current_user, target):
        abort(404)  # hidden content is already handled, and its text shown to nobody
    back = _safe_next(url_for("main.home"))
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        already = db.session.scalar(select(Report.id).where(
            Report.reporter_id == current_user.id, Report.target_kind == target.kind,
            Report.target_id == target.id, Report.status == ReportStatus.OPEN.value))
        if already:
            flash(_("You already reported this: the moderators will look at it."), "info")
            return redirect(back)
        limit = parse(current_app.config["REPORT_RATE_LIMIT"])
        if not _report_limiter().hit(limit, "report", str(current_user.id)):
            form.reason.errors = [*form.reason.errors, error_text("rate_limited")]
            status = 429
        else:
            try:
                service.report(db.session, current_user, target, form.reason.data,
                               form.note.data or "")
                db.session.commit()
            except service.ModerationError as error:
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
    session = db.session
    scope = service.scope_filter(session, current_user, Report.network_id, Report.place_id)
    handled = request.args.get("show") == "handled"
    wanted = (Report.status != ReportStatus.OPEN.value) if handled \
        else (Report.status == ReportStatus.OPEN.value)
    # One line per reported thing: how many reports, which reasons, since when.
    rows = session.execute(
        select(Report.target_kind, Report.target_id, func.count(), func.min(Report.created_at),
               func.max(Report.id), func.group_concat(Report.reason.distinct())
               if session.get_bind().dialect.name == "sqlite"
               else func.string_agg(Report.reason.distinct(), ","))
        .where(wanted, scope)
        .group_by(Report.target_kind, Report.target_id)
        .order_by(func.max(Report.id).desc()).limit(200)).all()
    items = []
    for kind, target_id, count, since, _last, reasons in rows:
        try:
            target = service.resolve(session, kind, target_id)
        except service.ModerationError:
            target = None  # deleted since
        items.append({"kind": kind, "id": target_id, "count": count, "since": since,
                      "reasons": sorted(set((reasons or "").split(","))), "target": target})
    appeals = list(session.scalars(
        select(Appeal).where(Appeal.status == AppealStatus.OPEN.value,
                             service.scope_filter(session, current_user, Appeal.network_id))
        .order_by(Appeal.id)))
    return render_template("moderation/queue.html", items=items, appeals=appeals,
                           handled=handled)


# -- one target: what it is, its reports, its history, the actions ------------------------------

def _action_choices(target: service.Target, network_id) -> list[tuple[str, str]]:
    actions = [a for a in service.ACTIONS_FOR[target.kind]
               if (a != "suspend" or current_user.is_admin)]
    if target.kind == TargetKind.PROFILE.value:
        if network_id is None:
            actions = [a for a in actions if a not in service.NEEDS_NETWORK]
        elif not current_user.is_organiser:
            actions = [a for a in actions if a != "dismiss"]  # profile reports: organisers'
    if target.kind in service.CONTENT_KINDS:
        actions = [a for a in actions if a != ("restore" if not target.hidden else "hide")]
        if target.network_id is None:
            actions = [a for a in actions if a not in service.NEEDS_NETWORK]
    return [(a, str(ACTION_LABELS[a])) for a in actions]


def _target_or_404(kind: str, target_id: int, network_id=None) -> service.Target:
    try:
        target = service.resolve(db.session, kind, target_id)
    except service.ModerationError:
        abort(404)
    if kind == TargetKind.PROFILE.value and network_id is not None:
        # Only a person of that network (member, banned, asking to join) is moderated there.
        if not service.in_network(db.session, network_id, target.author_id):
            abort(404)
        target.network_id = network_id
    return target


@bp.route("/<kind>/<id:target_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def target(kind: str, target_id: int):
    network_id = int_or_none(request.values.get("network"))
    if network_id is not None and db.session.get(Network, network_id) is None:
        abort(404)
    found = _target_or_404(kind, target_id, network_id)
    if not service.can_moderate(db.session, current_user, found.network_id, found.place_id):
        abort(403)
    form = ActionForm()
    form.action.choices = _action_choices(found, network_id)
    form.network.data = str(network_id) if network_id else ""
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcome = service.perform(
                    db.session, current_user, form.action.data, found.kind, found.id,
                    form.reason.data, minutes=form.minutes.data, network_id=network_id)
                db.session.commit()
            except service.ModerationError as error:
                db.session.rollback()
                if error.status in (401, 404):
                    abort(error.status)
                form.action.errors = [*form.action.errors, error_text(error.code)]
            else:
                flash(_("Done: %(action)s. It is in the audit log.",
                        action=ACTION_LABELS[outcome.action]), "success")
                if outcome.action == "delete" and kind != TargetKind.MESSAGE.value:
                    return redirect(url_for("moderation.queue"))
                return redirect(url_for("moderation.target", kind=kind, target_id=target_id,
                                        network=network_id))
        explain_csrf_failure(form)
        status = 422
        db.session.expire_all()
        found = _target_or_404(kind, target_id, network_id)
    return _render_target(found, form, network_id), status


def _render_target(found: service.Target, form: ActionForm, network_id):
    session = db.session
    reports = select(Report).where(Report.target_kind == found.kind,
                                   Report.target_id == found.id)
    history = select(AuditEntry).where(AuditEntry.target_kind == found.kind,
                                       AuditEntry.target_id == found.id)
    if found.kind == TargetKind.PROFILE.value and not current_user.is_organiser:
        # An animator sees a person's record in their network only.
        reports = reports.where(Report.network_id == found.network_id)
        history = history.where(AuditEntry.network_id == found.network_id)
    reports = list(session.scalars(reports.order_by(Report.id.desc()).limit(100)))
    history = list(session.scalars(history.order_by(AuditEntry.id.desc()).limit(100)))
    membership = network = None
    if found.network_id is not None:
        network = session.get(Network, found.network_id)
        if found.author_id is not None:
            membership = session.scalar(select(Membership).where(
                Membership.network_id == found.network_id,
                Membership.user_id == found.author_id))
    author = session.get(User, found.author_id) if found.author_id else None
    room = session.get(Room, found.obj.room_id) if found.kind == "message" else None
    return render_template("moderation/target.html", target=found, form=form, reports=reports,
                           history=history, network=network, membership=membership,
                           author=author, room=room, network_id=network_id)


# -- my reports and appeals ---------------------------------------------------------------------

@bp.route("/mine")
@login_required
def mine(form: AppealForm | None = None, failed: tuple[str, int] | None = None, status: int = 200):
    session = db.session
    reports = list(session.scalars(select(Report).where(Report.reporter_id == current_user.id)
                                   .order_by(Report.id.desc()).limit(100)))
    hidden = service.hidden_content_of(session, current_user.id)
    appeals = {(a.target_kind, a.target_id): a for a in session.scalars(
        select(Appeal).where(Appeal.author_id == current_user.id))}
    return render_template("moderation/mine.html", reports=reports, hidden=hidden,
                           appeals=appeals, form=form or AppealForm(), failed=failed), status


@bp.post("/appeal/<kind>/<id:target_id>")
@login_required
@csrf_in_form
def appeal(kind: str, target_id: int):
    form = AppealForm()
    try:
        target = service.resolve(db.session, kind, target_id)
    except service.ModerationError:
        abort(404)
    if target.author_id != current_user.id:
        abort(404)
    if form.validate_on_submit():
        try:
            service.appeal(db.session, current_user, target, form.body.data)
            db.session.commit()
        except service.ModerationError as error:
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

def _day(value: str, end: bool = False):
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)


def _audit_query(form: AuditFilterForm):
    session = db.session
    query = select(AuditEntry).where(service.scope_filter(session, current_user,
                                                          AuditEntry.network_id))
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.kind.data:
        query = query.where(AuditEntry.target_kind == form.kind.data)
    if (form.actor.data or "").strip():
        query = query.where(AuditEntry.actor_name.ilike(
            "%" + form.actor.data.strip()[:80].replace("%", "").replace("_", "") + "%"))
    network_id = int_or_none(form.network.data or "")
    if form.network.data and network_id is None:
        form.network.errors = [_("A network number is digits only.")]
    elif network_id is not None:
        query = query.where(AuditEntry.network_id == network_id)
    for name, end in (("since", False), ("until", True)):
        field = getattr(form, name)
        if field.data:
            moment = _day(field.data, end)
            if moment is None:
                field.errors = [_("Write the date as YYYY-MM-DD, e.g. 2026-11-26.")]
            else:
                query = query.where(AuditEntry.created_at <= moment if end
                                    else AuditEntry.created_at >= moment)
    return query


@bp.route("/audit")
@login_required
def audit_log():
    _require_moderator()
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("All"))] + [(k, str(v)) for k, v in ACTION_LABELS.items()]
    form.kind.choices = [("", _("All"))] + [(k, str(v)) for k, v in KIND_LABELS.items()]
    form.validate()
    query = _audit_query(form)
    if request.args.get("format") == "csv":
        rows = [["id", "time_utc", "actor", "action", "target_kind", "target_id", "target",
                 "network_id", "reason", "detail"]]
        for e in db.session.scalars(query.order_by(AuditEntry.id).limit(CSV_MAX)):
            rows.append([e.id, e.created_at.isoformat(), e.actor_name or "cli", e.action,
                         e.target_kind, e.target_id or "", e.target_label, e.network_id or "",
                         e.reason, e.detail])
        return csv_response(rows, "maillage-audit.csv")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page_arg(), 1), pages)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc())
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template("moderation/audit.html", form=form, entries=entries, total=total,
                           page=page, pages=pages), 422 if form.errors else 200
