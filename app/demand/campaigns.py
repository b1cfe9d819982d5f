"""Census campaigns: organisers create them and follow the answers; anyone answers through the
shareable link; a respondent who signs up later claims their answer."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.census import refs
from app.census.outreach import record_answer
from app.demand import labels as L
from app.demand.blueprint import campaigns_bp as bp
from app.demand.claims import remember_claim
from app.demand.forms import CampaignAnswerForm, DeclarationForm, MultiCheckboxField
from app.demand.service import (
    add_version,
    claim,
    may_declare_for_company,
    new_claim_token,
    own_declaration,
    version_fields,
)
from app.extensions import limiter
from app.forms import BaseForm, explain_csrf_failure, has_letters
from app.security import csrf_in_form
from app.territory.gazetteer import commune_labels
from models import (
    AnswerChannel,
    Campaign,
    CensusAnswer,
    Commune,
    Declaration,
    DeclarationVersion,
    Epci,
    User,
    db,
)

ANSWER_RATE_LIMIT = "30 per hour"  # per address, for answers without an account


class CampaignForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=140), has_letters])
    description = TextAreaField(_l("Introduction shown to respondents"),
                                validators=[Length(max=5000)])
    epci_codes = SelectMultipleField(_l("Communities of communes surveyed"), choices=[],
                                     description=_l("None selected: the whole territory."))
    starts_on = DateField(_l("Opens on"), validators=[DataRequired(message=_l("Give a date."))])
    ends_on = DateField(_l("Closes on"), validators=[DataRequired(message=_l("Give a date."))])
    tracks = MultiCheckboxField(_l("Questionnaires"), choices=list(L.TRACK_LABELS.items()),
                                validators=[DataRequired(message=_l("Choose at least one."))])

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The campaign must close after it opens."))
        if field.data and self.starts_on.data and field.data - self.starts_on.data > timedelta(days=730):
            raise ValidationError(_l("Two years at most."))


def _require_organiser() -> None:
    if not current_user.is_organiser:
        abort(403)


@bp.route("/")
@login_required
def index():
    _require_organiser()
    rows = db.session.execute(
        select(Campaign, func.count(DeclarationVersion.declaration_id.distinct()))
        .outerjoin(DeclarationVersion, DeclarationVersion.campaign_id == Campaign.id)
        .group_by(Campaign.id).order_by(Campaign.starts_on.desc())).all()
    return render_template("campaigns/index.html", rows=rows, today=date.today())


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
def create():
    _require_organiser()
    form = CampaignForm()
    form.epci_codes.choices = [(e.code, e.name) for e in db.session.scalars(
        select(Epci).order_by(Epci.name))]
    if request.method == "GET":
        form.starts_on.data = date.today()
        form.ends_on.data = date.today() + timedelta(days=60)
        form.tracks.data = list(L.TRACK_LABELS)
    if form.validate_on_submit():
        campaign = Campaign(title=" ".join(form.title.data.split()),
                            description=form.description.data or "",
                            epci_codes=form.epci_codes.data or [], starts_on=form.starts_on.data,
                            ends_on=form.ends_on.data, tracks=form.tracks.data,
                            created_by_id=current_user.id)
        db.session.add(campaign)
        db.session.commit()
        flash(_("Campaign created. Share its link."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    explain_csrf_failure(form)
    return render_template("campaigns/new.html", form=form), 422 if form.errors else 200


@bp.route("/<id:campaign_id>")
@login_required
def show(campaign_id: int):
    """The organiser's view: answers per day, per track, per EPCI."""
    _require_organiser()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    # One answer per respondent: their latest version given through this campaign.
    latest = (select(func.max(DeclarationVersion.id))
              .where(DeclarationVersion.campaign_id == campaign.id)
              .group_by(DeclarationVersion.declaration_id))
    answers = select(DeclarationVersion).where(DeclarationVersion.id.in_(latest)).subquery()
    day = func.date(answers.c.created_at)
    per_day = db.session.execute(select(day, func.count()).group_by(day).order_by(day)).all()
    per_track = dict(db.session.execute(select(answers.c.track, func.count())
                                        .group_by(answers.c.track)).all())
    per_epci = db.session.execute(
        select(func.coalesce(Epci.name, ""), func.count())
        .select_from(answers).join(Commune, Commune.insee == answers.c.home_commune_insee)
        .outerjoin(Epci, Epci.code == Commune.epci_code)
        .group_by(Epci.name).order_by(func.count().desc())).all()
    total = sum(per_track.values())
    return render_template("campaigns/show.html", campaign=campaign, per_day=per_day,
                           per_track=per_track, per_epci=per_epci, total=total,
                           today=date.today())


def _campaign_by_token(token: str) -> Campaign:
    found = db.session.scalar(select(Campaign).where(Campaign.token == token[:64]))
    if found is None:
        abort(404)
    return found


@bp.route("/answer/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("CAMPAIGN_ANSWER_RATE_LIMIT", ANSWER_RATE_LIMIT),
               methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
@csrf_in_form
def answer(token: str):
    """The shareable link: the declaration's questions, with or without an account. `?ref=`
    is a census target's anonymous reference (its letter's short link, app/census/links.py):
    an answer given with it marks that target answered."""
    campaign = _campaign_by_token(token)
    ref = refs.normalise(request.args.get("ref"), refs.REF_LENGTH)
    if not campaign.is_open(date.today()):
        return render_template("campaigns/closed.html", campaign=campaign), 410
    member = current_user.is_authenticated
    form = DeclarationForm() if member else CampaignAnswerForm()
    tracks = [t for t in campaign.tracks if t in L.TRACK_LABELS] or list(L.TRACK_LABELS)
    if request.method == "GET":
        form.track.data = request.args.get("track") if request.args.get("track") in tracks \
            else tracks[0]
    if form.is_submitted() and form.track.data not in tracks:
        form.track.data = tracks[0]
    if form.validate_on_submit():
        fields = version_fields(form)
        if member:
            for_company = form.is_company and may_declare_for_company(current_user)
            declaration = own_declaration(db.session, current_user, for_company) or \
                Declaration(user_id=current_user.id, for_company=for_company)
            add_version(db.session, declaration, fields, campaign_id=campaign.id)
            record_answer(db.session, campaign, ref, declaration)
            try:
                db.session.commit()
            except IntegrityError:  # sent twice at once: the first answer stands
                db.session.rollback()
            flash(_("Thank you: your answer is recorded in your declaration."), "success")
            return redirect(url_for("demand.index"))
        declaration = Declaration(claim_token=new_claim_token(),
                                  contact_name=(form.contact_name.data or "").strip(),
                                  contact_email=(form.contact_email.data or "").strip().lower(),
                                  contact_consent=bool(form.contact_consent.data))
        add_version(db.session, declaration, fields, campaign_id=campaign.id)
        record_answer(db.session, campaign, ref, declaration)
        db.session.commit()
        remember_claim(declaration.claim_token)  # signing up right after offers it at once
        return redirect(url_for("campaigns.thanks", claim_token=declaration.claim_token))
    explain_csrf_failure(form)
    return render_template("campaigns/answer.html", campaign=campaign, form=form, tracks=tracks,
                           member=member, ref=ref), 422 if form.errors else 200


@bp.route("/thanks/<claim_token>")
def thanks(claim_token: str):
    found = db.session.scalar(select(Declaration).where(
        Declaration.claim_token == claim_token[:64]))
    if found is None:
        abort(404)
    return render_template("campaigns/thanks.html", claim_token=found.claim_token)


@bp.route("/claim/<claim_token>", methods=["GET", "POST"])
@login_required
def claim_answer(claim_token: str):
    """After signing up: the anonymous answer becomes the member's declaration."""
    found = db.session.scalar(select(Declaration).where(
        Declaration.claim_token == claim_token[:64], Declaration.user_id.is_(None)))
    if found is None:
        abort(404)
    if request.method == "GET":
        version = found.current
        entered = db.session.execute(
            select(User.display_name, CensusAnswer.consented_at).join(
                CensusAnswer, CensusAnswer.entered_by_id == User.id)
            .where(CensusAnswer.declaration_id == found.id,
                   CensusAnswer.channel == AnswerChannel.FIELD)).first()
        return render_template("campaigns/claim.html", claim_token=claim_token, version=version,
                               entered=entered,
                               communes=commune_labels(db.session, [version.home_commune_insee,
                                                                   *version.acceptable_communes]))
    try:
        mine = claim(db.session, found, current_user)
        db.session.commit()
    except IntegrityError:  # claimed twice at once: the first one stands
        db.session.rollback()
        abort(404)
    flash(_("The answer is now your declaration: you can edit it at any time."), "success")
    return redirect(url_for("demand.edit", declaration_id=mine.id))
