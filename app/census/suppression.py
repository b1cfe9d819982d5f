"""The do-not-contact list: establishments (by SIRET) and members (by account) that declined or
asked not to be contacted. Kept apart from the SIRENE rows, so that no import touches it; every
frame of every draw leaves them out (app/census/sample.py). Entries are added by an outreach
status (declined, do not contact) or by hand, and removed only by an organiser with a reason;
both are written in the audit log."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.moderation.audit import audit
from models import CensusSuppression, SuppressionReason, User


def entry_label(entry: CensusSuppression) -> str:
    """What the audit log names: the SIRET (public), or the account's number."""
    return f"SIRET {entry.siret}" if entry.siret else f"user {entry.user_id}"


def find(session: Session, *, siret: str | None = None,
         user_id: int | None = None) -> CensusSuppression | None:
    if siret:
        return session.scalar(select(CensusSuppression).where(CensusSuppression.siret == siret))
    if user_id is not None:
        return session.scalar(select(CensusSuppression).where(
            CensusSuppression.user_id == user_id))
    return None


def suppress(session: Session, actor: User | None, reason: SuppressionReason, *,
             siret: str | None = None, user_id: int | None = None, note: str = "",
             campaign_id: int | None = None) -> CensusSuppression:
    """Put an establishment or a member on the list (once: an entry already there stays as it
    is)."""
    if bool(siret) == (user_id is not None):
        raise ValueError("a SIRET or an account, one of them")
    found = find(session, siret=siret, user_id=user_id)
    if found is not None:
        return found
    entry = CensusSuppression(siret=siret or None, user_id=user_id, reason=reason,
                              note=note.strip()[:280], campaign_id=campaign_id,
                              created_by_id=actor.id if actor else None)
    session.add(entry)
    session.flush()
    audit(session, actor, "census_suppress", "suppressed", entry.id, label=entry_label(entry),
          reason=note, detail=str(reason))
    return entry


def unsuppress(session: Session, actor: User, entry: CensusSuppression, reason: str) -> None:
    audit(session, actor, "census_unsuppress", "suppressed", entry.id, label=entry_label(entry),
          reason=reason)
    session.delete(entry)
