"""Moderation actions: one entry point, `perform`, for the pages, the JSON API and the socket.

It checks the actor's scope (scope.py) and the target's state (checks.py), writes the audit entry
first, then acts (effects.py), closes the reports on the target and tells the reporters. The
caller commits. Live effects (a hidden chat message leaving every open page, a banned member's
sockets leaving the room, a suspended account's sockets closing) follow the commit through
realtime/hooks.py, whatever code path made the change.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.moderation.audit import audit
from app.moderation.checks import CHECKS
from app.moderation.effects import EFFECTS
from app.moderation.investigation import message_sight
from app.moderation.scope import can_moderate, in_network, is_moderator
from app.moderation.targets import (
    CONTENT_KINDS,
    IMAGE_COLUMNS,
    ModerationError,
    Target,
    positive_int,
    resolve,
)
from app.social.notify import notify
from models import Network, NotificationKind, Report, ReportStatus, TargetKind
from models.types import utcnow

ACTIONS = ("dismiss", "hide", "restore", "delete", "warn", "mute", "unmute", "ban", "suspend",
           "appoint", "demote", "uphold", "overturn", "remove_image")
# Which actions apply to which kind of target.
ACTIONS_FOR = {
    TargetKind.POST: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban", "suspend"),
    TargetKind.COMMENT: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban", "suspend"),
    TargetKind.MESSAGE: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban", "suspend"),
    TargetKind.PROFILE: ("dismiss", "warn", "mute", "unmute", "ban", "suspend", "appoint",
                         "demote", "remove_image"),
    TargetKind.NETWORK: ("dismiss", "remove_image"),
    TargetKind.PLACE: ("dismiss", "remove_image"),
    "appeal": ("uphold", "overturn"),
}
NEEDS_NETWORK = ("mute", "unmute", "ban", "appoint", "demote")
# Actions on a person that are not bound to a network: organisers' and admins' only.
SITE_WIDE = ("dismiss", "suspend", "remove_image")

MUTE_MAX_MINUTES = 366 * 24 * 60
REASON_MAX = 1000


@dataclass
class Outcome:
    action: str
    target: Target
    audit_id: int
    closed_reports: int


def clean_reason(reason) -> str:
    if not isinstance(reason, str):
        raise ModerationError("reason_required")
    reason = " ".join(reason.split())
    if not reason:
        raise ModerationError("reason_required")
    if len(reason) > REASON_MAX:
        raise ModerationError("too_long")
    return reason


def clean_minutes(minutes) -> int:
    minutes = positive_int(minutes)
    if minutes is None or minutes > MUTE_MAX_MINUTES:
        raise ModerationError("duration")
    return minutes


def offered_actions(moderator, target: Target, network_id: int | None) -> list[str]:
    """The actions the target's page offers this moderator (perform still decides)."""
    actions = [a for a in ACTIONS_FOR[target.kind] if (a != "suspend" or moderator.is_admin)]
    if target.kind == TargetKind.PROFILE:
        if network_id is None:
            actions = [a for a in actions if a not in NEEDS_NETWORK]
        elif not moderator.is_organiser:
            actions = [a for a in actions if a not in SITE_WIDE]  # profile reports: organisers'
    if target.kind in IMAGE_COLUMNS and not getattr(target.obj, IMAGE_COLUMNS[target.kind]):
        actions = [a for a in actions if a != "remove_image"]
    if target.kind in CONTENT_KINDS:
        actions = [a for a in actions if a != ("restore" if not target.hidden else "hide")]
        if target.network_id is None:
            actions = [a for a in actions if a not in NEEDS_NETWORK]
    return actions


def resolve_in_scope(session: Session, actor, kind, target_id) -> Target:
    """The target, for a moderator. Someone who moderates everywhere (organisers, admins) learns
    that an id does not exist ("not_found"); anyone else gets "forbidden" for it, the answer they
    get for a target outside their scope, so that probing ids tells them nothing about other
    networks (their posts, messages, members)."""
    try:
        return resolve(session, kind, target_id)
    except ModerationError:
        if actor.is_organiser:
            raise
        raise ModerationError("forbidden") from None


def perform(session: Session, actor, action, kind, target_id, reason, *, minutes=None,
            network_id=None) -> Outcome:
    """Check, audit, act. Raises ModerationError with the reason of a refusal; changes nothing
    then. The order matters: who is asking, then the actor's scope, and only then anything
    about the target's state (checks.py), so that outside their scope every probe gets the same
    "forbidden"."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ModerationError("unauthorized")
    if not is_moderator(session, actor):
        raise ModerationError("forbidden")  # before any lookup: ids are not confirmed to them
    if action not in ACTIONS or (isinstance(kind, str) and kind in ACTIONS_FOR
                                 and action not in ACTIONS_FOR[kind]):
        raise ModerationError("invalid")  # from the request alone: says nothing of any target
    network_id = positive_int(network_id) if network_id not in (None, "") else None
    if kind == TargetKind.PROFILE and action in NEEDS_NETWORK and network_id is None:
        raise ModerationError("no_network")
    if kind == TargetKind.PROFILE and network_id is not None \
            and action not in SITE_WIDE \
            and not can_moderate(session, actor, network_id, None):
        # A member's page in a network outside the actor's scope: refused before the network,
        # the person or their membership is looked at (existence and membership stay unsaid).
        raise ModerationError("forbidden")
    target = resolve_in_scope(session, actor, kind, target_id)
    if target.kind == TargetKind.MESSAGE and actor.is_organiser \
            and message_sight(session, actor, target.obj) is None:
        # An unreported message of a private room, without an investigation access: as if it
        # did not exist (app/moderation/investigation.py).
        raise ModerationError("not_found")
    if target.kind == TargetKind.PROFILE:
        if network_id is not None and action not in SITE_WIDE:
            # A member's page in a network (in the actor's scope): the person's moderation there.
            if session.get(Network, network_id) is None:
                raise ModerationError("not_found")
            if action != "ban" and not in_network(session, network_id, target.author_id):
                raise ModerationError("not_member")
            target.network_id = network_id
    if action == "suspend":
        allowed = actor.is_admin
    else:
        allowed = can_moderate(session, actor, target.network_id, target.place_id)
    if not allowed:
        raise ModerationError("forbidden")
    reason = clean_reason(reason)
    if action in NEEDS_NETWORK and target.network_id is None:
        raise ModerationError("no_network")  # a direct conversation's message: no network
    if action in ("mute",):
        minutes = clean_minutes(minutes)
    check = CHECKS.get(action)
    if check:
        check(session, actor, target)
    detail = ""
    if action == "mute":
        detail = f"{minutes} min"
    entry = audit(session, actor, action, target.kind, target.id,
                  label=f"{target.label}: {target.excerpt}" if target.excerpt else target.label,
                  network_id=target.network_id, reason=reason, detail=detail)
    session.flush()
    EFFECTS[action](session, actor, target, reason, minutes)
    closed = _close_reports(session, actor, target, action)
    session.flush()
    return Outcome(action, target, entry.id, closed)


def _close_reports(session: Session, actor, target: Target, action: str) -> int:
    """Every open report on the target is answered by this action; each reporter hears of it."""
    if target.kind == "appeal":
        return 0
    reports = list(session.scalars(select(Report).where(
        Report.target_kind == target.kind, Report.target_id == target.id,
        Report.status == ReportStatus.OPEN)))
    now = utcnow()
    for report in reports:
        report.status = (ReportStatus.DISMISSED if action == "dismiss"
                         else ReportStatus.ACTIONED)
        report.outcome = action
        report.handled_by_id = actor.id
        report.handled_at = now
    reporters = {r.reporter_id for r in reports if r.reporter_id}
    if reporters:
        notify(session, reporters, NotificationKind.REPORT_HANDLED, None,
               network_id=target.network_id, detail=action)
    return len(reports)
