"""The audit log. Writing: every moderated change goes through `audit()` in the same transaction
(models/moderation.py refuses a flush that changes a moderated field without one). Reading: the
entries of a moderator's scope, filtered, for the page, its CSV export and the JSON API."""
from __future__ import annotations

from datetime import datetime, time, timezone

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.moderation.scope import scope_filter
from models import AuditEntry, User

CSV_MAX = 100_000


def audit(session: Session, actor: User | None, action: str, target_kind: str,
          target_id: int | None, *, label: str = "", network_id: int | None = None,
          reason: str = "", detail: str = "") -> AuditEntry:
    """Append one entry. `actor` None is the command line."""
    entry = AuditEntry(actor_id=actor.id if actor else None,
                       actor_name=actor.display_name if actor else "",
                       action=action, target_kind=target_kind, target_id=target_id,
                       target_label=label[:200], network_id=network_id,
                       reason=reason.strip(), detail=detail[:300])
    session.add(entry)
    return entry


def parse_day(value: str, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as the first (or, `end`, the last) moment of that UTC day."""
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)


def entries(session: Session, viewer, *, action: str | None = None, kind: str | None = None,
            actor: str | None = None, network_id: int | None = None,
            since: datetime | None = None, until: datetime | None = None) -> Select:
    """The entries of the networks this person moderates (all for organisers), unordered;
    `actor` matches part of the actor's name."""
    query = select(AuditEntry).where(scope_filter(session, viewer, AuditEntry.network_id))
    if action:
        query = query.where(AuditEntry.action == action)
    if kind:
        query = query.where(AuditEntry.target_kind == kind)
    actor = (actor or "").strip()
    if actor:
        query = query.where(AuditEntry.actor_name.ilike(
            "%" + actor[:80].replace("%", "").replace("_", "") + "%"))
    if network_id is not None:
        query = query.where(AuditEntry.network_id == network_id)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at <= until)
    return query


def csv_rows(session: Session, query: Select) -> list[list]:
    """The export: a header, then the entries oldest first (CSV_MAX at most)."""
    rows: list[list] = [["id", "time_utc", "actor", "action", "target_kind", "target_id",
                         "target", "network_id", "reason", "detail"]]
    for e in session.scalars(query.order_by(AuditEntry.id).limit(CSV_MAX)):
        rows.append([e.id, e.created_at.isoformat(),
                     e.actor_name or ("link" if e.action == "census_answered" else "cli"), e.action,
                     e.target_kind, e.target_id or "", e.target_label, e.network_id or "",
                     e.reason, e.detail])
    return rows
