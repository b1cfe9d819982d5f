"""The place page as it is rendered by its own view and again, with the refused form, by the
poll views (so those two view modules need not import each other)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.demand.service import own_declaration
from app.places.access import can_edit
from app.places.forms import PollForm, ProposalForm
from app.places.sources import SOURCES
from models import Place, PlaceFollow, PlaceInterest, Poll, ProposalStatus, Vote, db


def render_place(place: Place, *, poll_form: PollForm | None = None,
                 failed: tuple[int, object] | None = None, status: int = 200):
    """The place page; after a refused poll or proposal, with that form and what was typed
    (`failed` is (poll id, proposal form))."""
    viewer = {}
    if current_user.is_authenticated:
        viewer = {
            "follows": db.session.get(PlaceFollow, (place.id, current_user.id)) is not None,
            "interested": db.session.get(PlaceInterest, (place.id, current_user.id)) is not None,
            "has_declaration": own_declaration(db.session, current_user, False) is not None,
        }
    counts = {
        "followers": db.session.scalar(select(func.count()).select_from(PlaceFollow).where(
            PlaceFollow.place_id == place.id)),
        "interested": db.session.scalar(select(func.count()).select_from(PlaceInterest).where(
            PlaceInterest.place_id == place.id)),
    }
    polls = db.session.scalars(select(Poll).where(Poll.place_id == place.id)
                               .options(selectinload(Poll.proposals))
                               .order_by(Poll.closes_at.desc())).all()
    contexts = [poll_context(p) for p in polls]
    for ctx in contexts:
        if failed and ctx["poll"].id == failed[0]:
            ctx["proposal_form"] = failed[1]
    return render_template("places/show.html", place=place, viewer=viewer, counts=counts,
                           polls=contexts, editable=can_edit(place),
                           source=SOURCES.get(place.source) if place.source else None,
                           poll_form=poll_form or PollForm()), status


def poll_context(poll: Poll) -> dict:
    """What the place page shows of a poll: approved proposals with their votes, the viewer's
    vote, the proposals waiting for moderation (editors only)."""
    counts = dict(db.session.execute(select(Vote.proposal_id, func.count())
                                     .where(Vote.poll_id == poll.id)
                                     .group_by(Vote.proposal_id)).all())
    approved_ids = {p.id for p in poll.proposals if p.status == ProposalStatus.APPROVED}
    counts = {pid: n for pid, n in counts.items() if pid in approved_ids}
    mine = None
    if current_user.is_authenticated:
        mine = db.session.scalar(select(Vote.proposal_id).where(
            Vote.poll_id == poll.id, Vote.user_id == current_user.id))
    approved = sorted((p for p in poll.proposals if p.status == ProposalStatus.APPROVED),
                      key=lambda p: (-counts.get(p.id, 0), p.id))
    return {"poll": poll, "open": poll.is_open(), "approved": approved, "counts": counts,
            "total": sum(counts.values()), "mine": mine,
            "pending": [p for p in poll.proposals if p.status == ProposalStatus.PENDING],
            "proposal_form": ProposalForm(prefix=f"p{poll.id}")}
