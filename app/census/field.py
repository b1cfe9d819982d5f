"""Field mode: an organiser, a campaign's referent or an animator of a place of its territory
(app/census/access.py: `field_access`) enters the answers of a person met in the field, on a
phone or a tablet, offline if need be (the form goes through the browser's outbox, sent once
thanks to its idempotency key, app/idempotency.py).

Each answer is an anonymous declaration of the campaign (as if given through its link) with a
claim token, and a `census_answer` row saying it was entered in the field, by whom, and the
consent the person gave then (the text shown beside the required checkbox, and the time). It may
be linked to a target of the sample, which is then marked answered. The person can later make
it their declaration with the claim link the animator hands over (shown with a QR code and a
short code to copy on paper): the existing campaign claim (`campaigns.claim_answer`).

What is audited: "census_field_answer" on the answer (target kind "answer": the column holds
10 characters) and, when linked, on the target (its status set to answered). The log names who
entered it, never what was answered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.census.outreach import mark_answered, target_label
from app.demand.service import add_version, new_claim_token
from app.moderation.audit import audit
from models import (
    AnswerChannel,
    Campaign,
    CensusAnswer,
    CensusTarget,
    Declaration,
    DeclarationVersion,
    User,
)
from models.types import utcnow


def consent_text(campaign: Campaign, organisation: str) -> str:
    """What the person agrees to, shown beside the checkbox and stored with the answer."""
    return _("I agree that the person in front of me enters my answers to “%(title)s” for "
             "%(organisation)s. They count, without my name, in the census's results. I can "
             "make them mine with the claim code I am given, or ask %(organisation)s to "
             "delete them.", title=campaign.title, organisation=organisation)


def enter_answer(session: Session, campaign: Campaign, fields: dict, actor: User, *,
                 consent: str, target: CensusTarget | None = None, contact_name: str = "",
                 contact_email: str = "", contact_consent: bool = False) -> CensusAnswer:
    """The answer entered for a person who consented (the caller checked the box and the
    target's access). The caller commits."""
    declaration = Declaration(claim_token=new_claim_token(), contact_name=contact_name.strip(),
                              contact_email=contact_email.strip().lower(),
                              contact_consent=contact_consent)
    add_version(session, declaration, fields, campaign_id=campaign.id)
    session.flush()
    answer = CensusAnswer(campaign_id=campaign.id, declaration_id=declaration.id,
                          target_id=target.id if target else None, channel=AnswerChannel.FIELD,
                          entered_by_id=actor.id, consent_text=consent, consented_at=utcnow())
    session.add(answer)
    session.flush()
    label = target_label(target) if target else ""
    audit(session, actor, "census_field_answer", "answer", answer.id,
          label=f"{campaign.title} · {label}".strip(" ·"), detail="consent given")
    if target is not None:
        mark_answered(session, target, actor, "census_field_answer")
    return answer


@dataclass
class FieldEntry:
    answer: CensusAnswer
    track: str
    entered_by: str
    target: str  # the target's label, "" without one
    claimed: bool
    claim_token: str | None
    created_at: datetime


def field_entries(session: Session, campaign: Campaign, *, entered_by: int | None = None,
                  ids: list[int] | None = None) -> list[FieldEntry]:
    """The campaign's field answers, newest first: `entered_by`'s only when given."""
    by = aliased(User)
    query = (select(CensusAnswer, DeclarationVersion.track, by.display_name, CensusTarget,
                    Declaration.user_id, Declaration.claim_token)
             .outerjoin(Declaration, Declaration.id == CensusAnswer.declaration_id)
             .outerjoin(DeclarationVersion, (DeclarationVersion.declaration_id == Declaration.id)
                        & DeclarationVersion.is_current)
             .outerjoin(by, by.id == CensusAnswer.entered_by_id)
             .outerjoin(CensusTarget, CensusTarget.id == CensusAnswer.target_id)
             .where(CensusAnswer.campaign_id == campaign.id,
                    CensusAnswer.channel == AnswerChannel.FIELD)
             .order_by(CensusAnswer.id.desc()))
    if entered_by is not None:
        query = query.where(CensusAnswer.entered_by_id == entered_by)
    if ids is not None:
        query = query.where(CensusAnswer.id.in_(ids))
    return [FieldEntry(answer, track or "", name or "", target_label(target) if target else "",
                       user_id is not None or (answer.declaration_id is not None
                                               and token is None), token, answer.created_at)
            for answer, track, name, target, user_id, token in session.execute(query)]

