"""The census's pages: the campaigns one works on, a campaign's sample and outreach (a referent
sees their EPCIs' targets only), a target's page with its status form and history."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.census import labels as L
from app.census.access import access_for, field_campaigns, my_campaigns, target_or_404
from app.census.blueprint import bp
from app.census.forms import StatusForm, SwapForm
from app.census.frame import frame_for, territory, territory_epcis
from app.census.letters import campaign_link
from app.census.outreach import set_status
from app.census.queries import target_rows
from app.census.render import target_page
from app.census.sample import may_draw_again
from app.forms import explain_csrf_failure
from app.security import csrf_in_form
from models import CensusDraw, CensusTarget, Epci, OutreachStatus, db


@bp.app_context_processor
def _labels():
    return {"census_labels": L, "census_detail": L.readable_detail}


@bp.route("/")
@login_required
def index():
    campaigns = my_campaigns(db.session, current_user)
    mine = {c.id for c, _codes in campaigns}
    field_only = [c for c in field_campaigns(db.session, current_user, date.today())
                  if c.id not in mine]
    if not campaigns and not field_only and not current_user.is_organiser:
        abort(403)
    names = dict(db.session.execute(select(Epci.code, Epci.name)).all())
    campaigns = [(c, [names.get(code, code) for code in codes]) for c, codes in campaigns]
    return render_template("census/index.html", campaigns=campaigns, field_only=field_only,
                           today=date.today())


@bp.route("/<id:campaign_id>/")
@login_required
def campaign(campaign_id: int):
    access = access_for(db.session, current_user, campaign_id)
    frame = frame_for(db.session, access.campaign)
    places = territory(db.session, access.campaign, frame)
    epcis = [e for e in territory_epcis(db.session, places) if access.sees_epci(e.code)]
    status = request.args.get("status", "")[:20]
    epci = request.args.get("epci", "")[:9]
    rows = target_rows(db.session, access, status=status or None, epci=epci or None)
    swapped = target_rows(db.session, access, in_sample=False)
    draw = db.session.scalar(select(CensusDraw).where(
        CensusDraw.campaign_id == campaign_id).order_by(CensusDraw.id.desc()).limit(1))
    counts = dict(db.session.execute(
        select(CensusTarget.status, func.count()).where(
            CensusTarget.campaign_id == campaign_id, CensusTarget.swapped_out_at.is_(None),
            access.targets()).group_by(CensusTarget.status)).all())
    db.session.commit()  # the frame, made the first time (its short code)
    names = {e.code: e.name for e in epcis}
    strata = [s for s in (draw.strata if draw else []) if access.sees_epci(s["epci"])]
    return render_template(
        "census/campaign.html", access=access, c=access.campaign, frame=frame, rows=rows,
        swapped=swapped, draw=draw, strata=strata, epcis=epcis, epci_names=names,
        counts=counts, status=status, epci=epci, territory_size=len(places),
        link=campaign_link(frame), may_draw=may_draw_again(db.session, campaign_id))


@bp.route("/<id:campaign_id>/targets/<id:target_id>", methods=["GET", "POST"])
@login_required
@csrf_in_form
def target(campaign_id: int, target_id: int):
    access = access_for(db.session, current_user, campaign_id)
    found = target_or_404(db.session, access, target_id)
    form = StatusForm()
    if request.method == "GET":
        form.status.data = found.status
        form.note.data = found.note
    if form.validate_on_submit():
        if found.swapped_out_at is not None:
            flash(_("This target was swapped out of the sample: its status no longer "
                    "changes."), "error")
            return redirect(url_for("census.target", campaign_id=campaign_id,
                                    target_id=target_id))
        if set_status(db.session, found, OutreachStatus(form.status.data), form.note.data,
                      current_user):
            db.session.commit()
            flash(_("Status saved."), "success")
        return redirect(url_for("census.campaign", campaign_id=campaign_id) + f"#t{found.id}")
    explain_csrf_failure(form)
    return target_page(access, found, form, SwapForm(prefix="swap")), \
        422 if form.errors else 200
