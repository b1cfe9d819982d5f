"""Drawing a campaign's sample and swapping a target (organisers)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.census.access import organiser_access, target_or_404
from app.census.blueprint import bp
from app.census.forms import DrawForm, SwapForm
from app.census.frame import frame_for, territory
from app.census.outreach import NoReplacement, swap
from app.census.render import target_page
from app.census.sample import DrawRefused, Options, draw, may_draw_again, new_seed
from app.demand.naf import naf_divisions
from app.forms import explain_csrf_failure
from app.security import csrf_in_form
from models import CensusDraw, CensusTarget, db


@bp.route("/<id:campaign_id>/draw", methods=["GET", "POST"])
@login_required
@csrf_in_form
def draw_sample(campaign_id: int):
    access = organiser_access(db.session, current_user, campaign_id)
    campaign = access.campaign
    allowed = may_draw_again(db.session, campaign_id)
    last = db.session.scalar(select(CensusDraw).where(CensusDraw.campaign_id == campaign_id)
                             .order_by(CensusDraw.id.desc()).limit(1))
    form = DrawForm()
    if request.method == "GET":
        form.size.data = str(last.size) if last else "20"
        form.include_members.data = last.include_members if last else True
        if last:
            form.naf_include.data = ", ".join(last.naf_include)
            form.naf_exclude.data = ", ".join(last.naf_exclude)
    if form.is_submitted() and not allowed:
        form.size.errors = list(form.size.errors) + [_(
            "Outreach has started (a target was contacted, answered or swapped): the sample "
            "can no longer be drawn again. Swap targets one by one instead.")]
    elif form.validate_on_submit():
        p = form.parsed
        options = Options(size=p["size"], seed=p["seed"] or new_seed(),
                          naf_include=tuple(p["naf_include"]),
                          naf_exclude=tuple(p["naf_exclude"]),
                          include_members=bool(form.include_members.data))
        try:
            record = draw(db.session, campaign, options, current_user)
        except DrawRefused:
            db.session.rollback()
            flash(_("Outreach has started: the sample can no longer be drawn again."), "error")
            return redirect(url_for("census.campaign", campaign_id=campaign_id))
        drawn = db.session.scalar(select(func.count()).where(
            CensusTarget.campaign_id == campaign_id)) or 0
        db.session.commit()
        flash(_("%(n)d targets drawn with the seed %(seed)s (out of %(frame)d that could be).",
                n=drawn, seed=record.seed, frame=record.frame_size), "success")
        return redirect(url_for("census.campaign", campaign_id=campaign_id))
    explain_csrf_failure(form)
    places = territory(db.session, campaign, frame_for(db.session, campaign))
    db.session.commit()
    return render_template("census/draw.html", c=campaign, form=form, last=last,
                           allowed=allowed, territory_size=len(places),
                           divisions=naf_divisions()), 422 if form.errors else 200


@bp.route("/<id:campaign_id>/targets/<id:target_id>/swap", methods=["POST"])
@login_required
@csrf_in_form
def swap_target(campaign_id: int, target_id: int):
    access = organiser_access(db.session, current_user, campaign_id)
    found = target_or_404(db.session, access, target_id)
    form = SwapForm(prefix="swap")
    if found.swapped_out_at is not None:
        form.reason.errors = [_("This target was already swapped out.")]
    elif form.validate_on_submit():
        try:
            new = swap(db.session, access.campaign, found, form.reason.data, current_user,
                       siret=getattr(form, "clean", None))
        except NoReplacement:
            db.session.rollback()
            found = target_or_404(db.session, access, target_id)
            field = form.siret if getattr(form, "clean", None) else form.reason
            field.errors = list(field.errors) + [
                _("This establishment cannot be drawn: it is closed, non-diffusible, outside "
                  "the territory or the draw's activities, on the do-not-contact list, "
                  "already declared, or already a target.") if field is form.siret else
                _("Nobody else is left to draw in this stratum: give a SIRET.")]
        else:
            db.session.commit()
            flash(_("Target swapped."), "success")
            return redirect(url_for("census.target", campaign_id=campaign_id,
                                    target_id=new.id))
    explain_csrf_failure(form)
    return target_page(access, found, None, form), 422
