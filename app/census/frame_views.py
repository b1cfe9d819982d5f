"""Setting a campaign's frame (organisers): territory, deadline, texts of the letters and the
flyer; then a referent and the answers aimed at for each EPCI of the territory."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.census.access import organiser_access
from app.census.blueprint import bp
from app.census.forms import FrameForm, epci_form
from app.census.frame import (
    EpciSetting,
    epci_settings,
    frame_for,
    save_epcis,
    save_frame,
    territory,
    territory_epcis,
)
from app.demand import labels as demand_labels
from app.forms import explain_csrf_failure
from app.security import csrf_in_form
from app.territory.gazetteer import commune_labels
from models import Epci, Track, db


@bp.route("/<id:campaign_id>/frame", methods=["GET", "POST"])
@login_required
@csrf_in_form
def frame(campaign_id: int):
    access = organiser_access(db.session, current_user, campaign_id)
    campaign = access.campaign
    found = frame_for(db.session, campaign)
    form = FrameForm(campaign=campaign)
    form.epci_codes.choices = [(e.code, e.name) for e in db.session.scalars(
        select(Epci).order_by(Epci.name))]
    if request.method == "GET":
        form.epci_codes.data = list(campaign.epci_codes or [])
        names = commune_labels(db.session, list(found.commune_codes or []))
        form.communes.data = ", ".join(names.get(c, c) for c in found.commune_codes or [])
        form.deadline.data = campaign.ends_on
        form.letter_text.data = found.letter_text
        form.flyer_text.data = found.flyer_text
    if form.validate_on_submit():
        save_frame(db.session, campaign, found, current_user,
                   epci_codes=form.epci_codes.data or [], commune_codes=form.commune_codes,
                   deadline=form.deadline.data, letter_text=form.letter_text.data or "",
                   flyer_text=form.flyer_text.data or "")
        db.session.commit()
        flash(_("Frame saved. Now name a referent and the answers aimed at for each community "
                "of communes."), "success")
        return redirect(url_for("census.epcis", campaign_id=campaign_id))
    explain_csrf_failure(form)
    db.session.commit()  # the frame, made the first time
    return render_template("census/frame.html", c=campaign, form=form), \
        422 if form.errors else 200


def _tracks(campaign) -> list[tuple[Track, str]]:
    wanted = [t for t in campaign.tracks if t in demand_labels.TRACK_LABELS] \
        or list(demand_labels.TRACK_LABELS)
    return [(Track(t), _("Answers aimed at: %(track)s",
                         track=demand_labels.TRACK_LABELS[t])) for t in wanted]


@bp.route("/<id:campaign_id>/epcis", methods=["GET", "POST"])
@login_required
@csrf_in_form
def epcis(campaign_id: int):
    access = organiser_access(db.session, current_user, campaign_id)
    campaign = access.campaign
    found = frame_for(db.session, campaign)
    listed = territory_epcis(db.session, territory(db.session, campaign, found))
    tracks = _tracks(campaign)
    form = epci_form(listed, tracks)()
    stored = epci_settings(db.session, campaign, listed)
    if request.method == "GET":
        for epci in listed:
            setting = stored[epci.code]
            form[f"referent_{epci.code}"].data = setting.referent.email if setting.referent else ""
            for track, _label in tracks:
                form[f"{track}_{epci.code}"].data = str(setting.answers.get(track, 0))
    if form.validate_on_submit():
        settings = {}
        for code, (referent, answers) in form.parsed.items():
            kept = dict(stored[code].answers)
            kept.update({Track(t): n for t, n in answers.items()})
            settings[code] = EpciSetting(code, referent, kept)
        save_epcis(db.session, campaign, current_user, settings)
        db.session.commit()
        flash(_("Referents and targets saved."), "success")
        return redirect(url_for("census.campaign", campaign_id=campaign_id))
    explain_csrf_failure(form)
    db.session.commit()
    return render_template("census/epcis.html", c=campaign, form=form, epcis=listed,
                           tracks=tracks), 422 if form.errors else 200
