"""Field mode's pages (app/census/field.py): the form an organiser, referent or animator fills
in for a person met in the field (offline through the outbox), their list of answers entered,
and an answer's receipt with the claim link and its QR code to hand over."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.census.access import FieldAccess, field_access
from app.census.blueprint import bp
from app.census.field import consent_text, enter_answer, field_entries
from app.census.forms import FieldAnswerForm
from app.census.letters import qr_svg
from app.census.queries import target_rows
from app.demand import labels as DL
from app.demand.service import version_fields
from app.forms import explain_csrf_failure
from app.idempotency import idempotent
from app.mail.compose import absolute_url
from app.security import csrf_in_form
from models import CensusAnswer, CensusTarget, OutreachStatus, db
from models.census import SUPPRESSING


def _access(campaign_id: int) -> FieldAccess:
    return field_access(db.session, current_user, campaign_id)


def _target_choices(access: FieldAccess) -> list[tuple[str, str]]:
    if not access.links_targets:
        return [("", "")]
    rows = [r for r in target_rows(db.session, access.census())
            if r.target.status not in (OutreachStatus.ANSWERED, *SUPPRESSING)]
    return [("", _("None"))] + [
        (str(r.target.id), " — ".join(p for p in (r.name or _("Target #%(id)d", id=r.target.id),
                                                  r.commune) if p)) for r in rows]


@bp.route("/<id:campaign_id>/field", methods=["GET", "POST"])
@login_required
@csrf_in_form
@idempotent
def field(campaign_id: int):
    access = _access(campaign_id)
    campaign = access.campaign
    form = FieldAnswerForm()
    form.target.choices = _target_choices(access)
    tracks = [t for t in campaign.tracks if t in DL.TRACK_LABELS] or list(DL.TRACK_LABELS)
    if request.method == "GET":
        form.track.data = request.args.get("track") if request.args.get("track") in tracks \
            else tracks[0]
    if form.is_submitted() and form.track.data not in tracks:
        form.track.data = tracks[0]
    consent = consent_text(campaign, current_app.config["ORGANISATION_NAME"])
    form.consent.description = consent  # shown beside the box, and stored with the answer
    is_open = campaign.is_open(date.today())
    if form.validate_on_submit():
        if not is_open:
            form.consent.errors.append(_("The campaign is closed: answers can no longer be "
                                         "entered."))
        else:
            target = None
            if form.target.data:
                target = db.session.get(CensusTarget, int(form.target.data))
            answer = enter_answer(
                db.session, campaign, version_fields(form), current_user, consent=consent,
                target=target, contact_name=form.contact_name.data or "",
                contact_email=form.contact_email.data or "",
                contact_consent=bool(form.contact_consent.data))
            db.session.commit()
            flash(_("Answer recorded. Hand over the claim code to the person."), "success")
            return redirect(url_for("census.field_answer", campaign_id=campaign.id,
                                    answer_id=answer.id))
    explain_csrf_failure(form)
    entries = field_entries(db.session, campaign, entered_by=current_user.id)
    return render_template("census/field.html", access=access, c=campaign, form=form,
                           tracks=tracks, consent=consent, entries=entries, is_open=is_open), \
        422 if form.errors else 200


@bp.route("/<id:campaign_id>/field/<id:answer_id>")
@login_required
def field_answer(campaign_id: int, answer_id: int):
    """An answer's receipt: the claim link, its QR code and its short form, for the person.
    Only whoever entered it (and organisers) see it."""
    access = _access(campaign_id)
    answer = db.session.get(CensusAnswer, answer_id)
    if answer is None or answer.campaign_id != campaign_id or (
            not access.organiser and answer.entered_by_id != current_user.id):
        abort(404)
    entry = field_entries(db.session, access.campaign, ids=[answer.id])[0]
    link = absolute_url("campaigns.claim_answer", claim_token=entry.claim_token) \
        if entry.claim_token and not entry.claimed else ""
    qr = qr_svg(link, _("Claim link")) if link else None
    return render_template("census/field_answer.html", access=access, c=access.campaign,
                           entry=entry, link=link, qr=qr)
