"""Reports and appeals, the people's side of moderation: filing a report (one open report per
person and target, a rate limit per person), the moderators' queue, appeals against hidden
content, and what a person sees of their own reports and hidden content."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.moderation.scope import other_moderators, scope_filter
from app.moderation.targets import CONTENT_KINDS, ModerationError, Target, resolve
from app.social.notify import notify
from models import (
    Appeal,
    AppealStatus,
    AuditEntry,
    Comment,
    Message,
    NotificationKind,
    Post,
    Report,
    ReportReason,
    ReportStatus,
    TargetKind,
    User,
)

NOTE_MAX = 1000
APPEAL_MAX = 2000


# -- filing a report ---------------------------------------------------------------------------

def already_reported(session: Session, reporter_id: int, target: Target) -> bool:
    """Whether this person has an open report on it (a second one would say nothing new)."""
    return bool(session.scalar(select(Report.id).where(
        Report.reporter_id == reporter_id, Report.target_kind == target.kind,
        Report.target_id == target.id, Report.status == ReportStatus.OPEN)))


def within_rate_limit(app: Flask, reporter_id: int) -> bool:
    """Counts one report against REPORT_RATE_LIMIT; False once this person has used it up."""
    ext = app.extensions.setdefault("maillage.report_limiter", {})
    if "limiter" not in ext:
        ext["limiter"] = MovingWindowRateLimiter(
            storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    return ext["limiter"].hit(parse(app.config["REPORT_RATE_LIMIT"]), "report", str(reporter_id))


def report(session: Session, reporter: User, target: Target, reason: str, note: str) -> Report:
    if reason not in set(ReportReason):
        raise ModerationError("invalid")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ModerationError("too_long")
    if target.author_id == reporter.id:
        raise ModerationError("self")
    found = Report(reporter_id=reporter.id, target_kind=target.kind, target_id=target.id,
                   network_id=target.network_id, place_id=target.place_id, reason=reason,
                   note=note, excerpt=target.excerpt[:300])
    session.add(found)
    session.flush()
    # The moderators in scope hear of it (and get a mail if they chose so); not who reported it.
    notify(session, other_moderators(session, target.network_id, target.place_id, reporter.id,
                                     target.author_id),
           NotificationKind.REPORT_FILED, None, network_id=target.network_id, detail=reason)
    return found


# -- the moderators' queue ---------------------------------------------------------------------

def queue(session: Session, moderator, handled: bool = False) -> list[dict]:
    """One line per reported thing in this moderator's scope: how many reports, which reasons,
    since when; open reports, or (`handled`) the answered ones."""
    scope = scope_filter(session, moderator, Report.network_id, Report.place_id)
    wanted = (Report.status != ReportStatus.OPEN) if handled \
        else (Report.status == ReportStatus.OPEN)
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
            target = resolve(session, kind, target_id)
        except ModerationError:
            target = None  # deleted since
        items.append({"kind": kind, "id": target_id, "count": count, "since": since,
                      "reasons": sorted(set((reasons or "").split(","))), "target": target})
    return items


def open_reports(session: Session, moderator, limit: int = 500) -> list[Report]:
    """The open reports of this moderator's scope, newest first, one by one (for the API)."""
    return list(session.scalars(select(Report).where(
        Report.status == ReportStatus.OPEN,
        scope_filter(session, moderator, Report.network_id, Report.place_id))
        .order_by(Report.id.desc()).limit(limit)))


def open_appeals(session: Session, moderator) -> list[Appeal]:
    return list(session.scalars(
        select(Appeal).where(Appeal.status == AppealStatus.OPEN,
                             scope_filter(session, moderator, Appeal.network_id))
        .order_by(Appeal.id)))


# -- appeals -----------------------------------------------------------------------------------

def hider_of(session: Session, kind: str, target_id: int) -> int | None:
    """Who hid this content last (from the audit log)."""
    return session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.target_kind == kind, AuditEntry.target_id == target_id,
        AuditEntry.action == "hide").order_by(AuditEntry.id.desc()).limit(1))


def appeal(session: Session, author: User, target: Target, body: str) -> Appeal:
    """Once per piece of content, by its author, while it is hidden."""
    if target.kind not in CONTENT_KINDS or target.author_id != author.id or not target.hidden:
        raise ModerationError("not_found")
    body = (body or "").strip()
    if not body:
        raise ModerationError("reason_required")
    if len(body) > APPEAL_MAX:
        raise ModerationError("too_long")
    if session.scalar(select(exists().where(Appeal.target_kind == target.kind,
                                            Appeal.target_id == target.id))):
        raise ModerationError("appealed")
    found = Appeal(author_id=author.id, target_kind=target.kind, target_id=target.id,
                   network_id=target.network_id, body=body,
                   first_moderator_id=hider_of(session, target.kind, target.id))
    session.add(found)
    session.flush()
    return found


def open_appeal(session: Session, target: Target) -> Appeal | None:
    return session.scalar(select(Appeal).where(
        Appeal.target_kind == target.kind, Appeal.target_id == target.id,
        Appeal.status == AppealStatus.OPEN))


def hidden_content_of(session: Session, user_id: int) -> list[Target]:
    """What a moderator hid of this person's, newest first (for their appeals)."""
    rows: list[tuple[datetime, Target]] = []
    for model, kind in ((Post, TargetKind.POST), (Comment, TargetKind.COMMENT),
                        (Message, TargetKind.MESSAGE)):
        for obj in session.scalars(select(model).where(model.author_id == user_id,
                                                       model.hidden_at.is_not(None))
                                   .order_by(model.hidden_at.desc()).limit(50)):
            rows.append((obj.hidden_at, resolve(session, kind, obj.id)))
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [target for _, target in rows]


def mine(session: Session, user_id: int) -> dict:
    """A person's own page: the reports they filed, their hidden content and their appeals
    (by (kind, id) of the content)."""
    reports = list(session.scalars(select(Report).where(Report.reporter_id == user_id)
                                   .order_by(Report.id.desc()).limit(100)))
    appeals = {(a.target_kind, a.target_id): a for a in session.scalars(
        select(Appeal).where(Appeal.author_id == user_id))}
    return {"reports": reports, "hidden": hidden_content_of(session, user_id),
            "appeals": appeals}
