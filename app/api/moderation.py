"""JSON for moderators: act (the same rules as the pages and the socket), the open reports of
one's scope, and the audit log (keyset pagination)."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.args import int_arg
from app.auth import two_factor
from app.jsonbody import json_body
from app.moderation import audit, reports
from app.moderation.actions import perform
from app.moderation.forms import error_text
from app.moderation.scope import is_moderator
from app.moderation.targets import ModerationError
from models import AuditEntry, db
from models.types import ID_MAX


def act(data) -> tuple[dict, int]:
    """One moderation action from a JSON object (also the socket's `moderate` event):
    {"action", "kind", "target", "reason", "minutes"?, "network"?}."""
    if not isinstance(data, dict):
        data = {}
    if two_factor.staff_blocked(current_user):  # the socket's `moderate` too (README, Security)
        return {"ok": False, "error": {"code": "two_factor_required", "message": _(
            "Organisers and administrators set up two-step login before using the staff "
            "pages.")}}, 403
    try:
        outcome = perform(db.session, current_user, data.get("action"), data.get("kind"),
                          data.get("target"), data.get("reason"),
                          minutes=data.get("minutes"), network_id=data.get("network"))
        db.session.commit()
    except ModerationError as error:
        db.session.rollback()
        return {"ok": False, "error": {"code": error.code, "message": error_text(error.code)}}, \
            error.status
    return {"ok": True, "action": outcome.action, "audit_id": outcome.audit_id,
            "reports_closed": outcome.closed_reports}, 200


# The JSON types each field of an action may have (a number may also come as digits in a string).
ACTION_FIELDS = {"action": (str,), "kind": (str,), "target": (int, str), "reason": (str,),
                 "minutes": (int, str, type(None)), "network": (int, str, type(None))}


@bp.post("/moderation/actions")
@contract(response=schemas.ModerationResult, body=schemas.ModerationAction,
          summary="A moderation action (CSRF header; no token)", scope=None, login="moderator",
          tags=("moderation",))
def moderation_action():
    """CSRF: the X-CSRFToken header (the token of any page's <meta name="csrf-token">). A body
    that is not such a JSON object is a 400 (app/jsonbody.py)."""
    return act(json_body(ACTION_FIELDS))


def _moderator_or_abort():
    if not current_user.is_authenticated:
        abort(401)
    if not is_moderator(db.session, current_user):
        abort(403)


@bp.route("/moderation/reports")
@contract(response=schemas.ModerationReports, summary="Open reports of my scope", scope=None,
          login="moderator", tags=("moderation",))
def moderation_reports():
    _moderator_or_abort()
    rows = reports.open_reports(db.session, current_user, limit=500)
    return {"items": [{"id": r.id, "kind": r.target_kind, "target": r.target_id,
                       "network": r.network_id, "place": r.place_id, "reason": r.reason,
                       "note": r.note, "excerpt": r.excerpt,
                       "created_at": r.created_at.isoformat()} for r in rows], "next": None}


@bp.route("/moderation/audit")
@contract(response=schemas.AuditEntries, summary="The audit log of my scope", scope=None, login="moderator",
          query={"before": int, "limit": int}, tags=("moderation",))
def moderation_audit():
    """Newest first; `?before=<id>` for the next page, `?limit=` 1-200."""
    _moderator_or_abort()
    query = audit.entries(db.session, current_user)
    before = cursor_arg("before") or int_arg("before", 0, 0, ID_MAX)
    if before:
        query = query.where(AuditEntry.id < before)
    limit = int_arg("limit", 50, 1, 200)
    rows = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
    return {"items": [{"id": e.id, "created_at": e.created_at.isoformat(),
                       "actor": {"id": e.actor_id, "name": e.actor_name or None},
                       "action": e.action, "target": {"kind": e.target_kind, "id": e.target_id,
                                                      "label": e.target_label},
                       "network": e.network_id, "reason": e.reason, "detail": e.detail}
                      for e in rows],
            "next_before": rows[-1].id if len(rows) == limit else None,
            "next": next_cursor("before", rows[-1].id if len(rows) == limit else None)}
