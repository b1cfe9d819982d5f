"""Writing the audit log. Every moderated change goes through `audit()` in the same transaction
(models/moderation.py refuses a flush that changes a moderated field without one)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import AuditEntry, User


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
