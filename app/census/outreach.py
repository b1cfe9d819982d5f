"""Outreach: a target's status (who set it, when, a short note), swaps, and answers that came
through a target's link. Plain functions over a session; the views commit. Every change is
written in the audit log ("census" entries name the target by SIRET or account number only)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.census import suppression
from app.census.sample import add_replacement, replacement
from app.moderation.audit import audit
from models import (
    AnswerChannel,
    Campaign,
    CensusAnswer,
    CensusTarget,
    CensusUnit,
    Declaration,
    OutreachStatus,
    SuppressionReason,
    User,
)
from models.census import SUPPRESSING
from models.types import utcnow

NOTE_MAX = 280


def target_label(target: CensusTarget) -> str:
    if target.unit == CensusUnit.ESTABLISHMENT:
        return f"SIRET {target.siret}"
    return f"user {target.user_id}"


def set_status(session: Session, target: CensusTarget, status: OutreachStatus, note: str,
               actor: User) -> bool:
    """A new status (or note) for a target; False when nothing changed. Declined and "do not
    contact" put the target on the do-not-contact list."""
    note = " ".join((note or "").split())[:NOTE_MAX]
    if status == target.status and note == target.note:
        return False
    old = target.status
    target.status = status
    target.note = note
    target.status_at = utcnow()
    target.status_by_id = actor.id
    if status == OutreachStatus.ANSWERED and target.answered_at is None:
        target.answered_at = target.status_at
    audit(session, actor, "census_status", "census", target.id, label=target_label(target),
          detail=f"{old} -> {status}", reason=note)
    if status in SUPPRESSING:
        reason = SuppressionReason.DECLINED if status == OutreachStatus.DECLINED \
            else SuppressionReason.DO_NOT_CONTACT
        suppression.suppress(session, actor, reason, siret=target.siret,
                             user_id=target.user_id, note=note, campaign_id=target.campaign_id)
    return True


class NoReplacement(Exception):
    """Nobody may take the target's place (or the SIRET given may not)."""


def swap(session: Session, campaign: Campaign, target: CensusTarget, reason: str, actor: User,
         siret: str | None = None) -> CensusTarget:
    """Take a target out of the sample for another: the SIRET given, else the next of its
    stratum in the draw's order. The old one stays, out of the sample, with the reason."""
    found = replacement(session, target, campaign, siret=siret)
    if found is None:
        raise NoReplacement
    unit, key = found
    new = add_replacement(session, campaign, target, unit, key)
    target.swapped_out_at = utcnow()
    target.swap_reason = " ".join(reason.split())[:NOTE_MAX]
    target.replaced_by_id = new.id
    audit(session, actor, "census_swap", "census", target.id, label=target_label(target),
          detail=f"#{target.id} -> #{new.id} ({target_label(new)})", reason=target.swap_reason)
    return new


def target_by_ref(session: Session, campaign: Campaign, ref: str | None) -> CensusTarget | None:
    if not ref:
        return None
    return session.scalar(select(CensusTarget).where(CensusTarget.campaign_id == campaign.id,
                                                     CensusTarget.ref == ref))


def record_answer(session: Session, campaign: Campaign, ref: str | None,
                  declaration: Declaration) -> CensusTarget | None:
    """An answer given through a target's link: the target is marked answered (once; the log
    says it came through the link, never who the respondent is) and the answer is linked to it
    in `census_answer`, which no aggregate view reads. An unknown reference changes nothing:
    the answer counts for the campaign like any other."""
    target = target_by_ref(session, campaign, ref)
    if target is None:
        return None
    session.flush()  # the declaration's id
    linked = session.scalar(select(CensusAnswer.id).where(
        CensusAnswer.target_id == target.id, CensusAnswer.declaration_id == declaration.id))
    if linked is None:
        session.add(CensusAnswer(campaign_id=campaign.id, target_id=target.id,
                                 declaration_id=declaration.id, channel=AnswerChannel.LINK))
    mark_answered(session, target, None, "census_answered")
    return target


def mark_answered(session: Session, target: CensusTarget, actor: User | None,
                  action: str) -> None:
    """The target answered (once): through its link ("census_answered", `actor` None: the log
    never says who the respondent is) or in the field ("census_field_answer", `actor`: who
    entered it)."""
    if target.status == OutreachStatus.ANSWERED:
        return
    old = target.status
    target.status = OutreachStatus.ANSWERED
    target.status_at = target.answered_at = utcnow()
    target.status_by_id = actor.id if actor else None
    audit(session, actor, action, "census", target.id, label=target_label(target),
          detail=f"{old} -> {OutreachStatus.ANSWERED}")
