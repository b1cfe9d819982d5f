"""Governance of a projected place: members propose names and themes, the place's animators
moderate the proposals, members vote once per poll until it closes; results are public."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from app.forms import explain_csrf_failure
from app.places.access import can_edit, place_or_404
from app.places.blueprint import bp
from app.places.forms import PollForm, ProposalForm
from app.places.rendering import render_place
from app.security import csrf_in_form
from models import Place, PlaceStatus, Poll, Proposal, ProposalStatus, Vote, db
from models.textkey import fold
from models.types import utcnow


def _poll_or_404(place: Place, poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.place_id != place.id:
        abort(404)
    return poll


def _back(place: Place, poll: Poll | None = None):
    return redirect(url_for("places.show", place_id=place.id,
                            _anchor=f"poll-{poll.id}" if poll else "governance"))


@bp.post("/<id:place_id>/polls")
@login_required
@csrf_in_form
def new_poll(place_id: int):
    place = place_or_404(place_id)
    if not can_edit(place):
        abort(403)
    if place.status != PlaceStatus.PROJECT:
        flash(_("Polls are for projected places."), "error")
        return _back(place)
    form = PollForm()
    if not form.validate():
        explain_csrf_failure(form)
        return render_place(place, poll_form=form, status=422)
    poll = Poll(place_id=place.id, kind=form.kind.data, question=" ".join(form.question.data.split()),
                closes_at=utcnow() + timedelta(days=form.days_open), created_by_id=current_user.id)
    db.session.add(poll)
    db.session.commit()
    flash(_("The poll is open."), "success")
    return _back(place, poll)


@bp.post("/<id:place_id>/polls/<id:poll_id>/proposals")
@login_required
@csrf_in_form
def propose(place_id: int, poll_id: int):
    place = place_or_404(place_id)
    poll = _poll_or_404(place, poll_id)
    if not poll.is_open():
        flash(_("This poll is closed."), "error")
        return _back(place, poll)
    form = ProposalForm(prefix=f"p{poll.id}")
    if not form.validate():
        explain_csrf_failure(form)
        return render_place(place, failed=(poll.id, form), status=422)
    text = " ".join(form.text.data.split())
    editor = can_edit(place)
    db.session.add(Proposal(poll_id=poll.id, author_id=current_user.id, text=text,
                            text_key=fold(text)[:120], status=(ProposalStatus.APPROVED if editor
                                                         else ProposalStatus.PENDING)))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("This proposal is already there."), "error")
        return _back(place, poll)
    flash(_("Your proposal is added.") if editor else
          _("Thank you: your proposal will show once an animator of the place has read it."),
          "success")
    return _back(place, poll)


@bp.post("/<id:place_id>/proposals/<id:proposal_id>/<any(approve, reject):decision>")
@login_required
def moderate(place_id: int, proposal_id: int, decision: str):
    place = place_or_404(place_id)
    if not can_edit(place):
        abort(403)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.poll.place_id != place.id:
        abort(404)
    if proposal.status != ProposalStatus.PENDING or not proposal.poll.is_open():
        # Results must not change under the voters: a decision is final, a closed poll too.
        flash(_("This proposal was already moderated, or the poll is closed."), "error")
        return _back(place, proposal.poll)
    proposal.status = (ProposalStatus.APPROVED if decision == "approve"
                       else ProposalStatus.REJECTED)
    db.session.commit()
    return _back(place, proposal.poll)


@bp.post("/<id:place_id>/polls/<id:poll_id>/vote")
@login_required
def vote(place_id: int, poll_id: int):
    place = place_or_404(place_id)
    poll = _poll_or_404(place, poll_id)
    if not poll.is_open():
        flash(_("This poll is closed: votes are no longer accepted."), "error")
        return _back(place, poll)
    proposal_id = request.form.get("proposal", "")
    proposal = next((p for p in poll.proposals if str(p.id) == proposal_id
                     and p.status == ProposalStatus.APPROVED), None)
    if proposal is None:
        flash(_("Choose one of the proposals."), "error")
        return _back(place, poll)
    db.session.add(Vote(poll_id=poll.id, user_id=current_user.id, proposal_id=proposal.id))
    try:
        db.session.commit()
    except IntegrityError:  # the primary key (poll, member): one vote each, even in a race
        db.session.rollback()
        flash(_("You have already voted in this poll: one vote per member."), "error")
        return _back(place, poll)
    flash(_("Your vote for “%(text)s” is counted.", text=proposal.text), "success")
    return _back(place, poll)
