"""A campaign's progress (organisers; a referent: their EPCIs), closing it by hand (organisers)
and its restitution PDF once closed (organisers). See app/census/progress.py."""
from __future__ import annotations

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.census.access import access_for, organiser_access
from app.census.blueprint import bp
from app.census.progress import close, closing_entry, is_closed, method_tables, progress
from app.organisers.data import Filters
from app.organisers.report import council, report_html, report_pdf
from app.organisers.tables import display_value, paris_today
from models import db
from models.types import utcnow


@bp.route("/<id:campaign_id>/progress")
@login_required
def progress_page(campaign_id: int):
    access = access_for(db.session, current_user, campaign_id)
    today = date.today()
    if is_closed(access.campaign, today) and close(db.session, access.campaign, None, today):
        db.session.commit()  # past the deadline, first seen here before the periodic job
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    found = progress(db.session, access, threshold, today)
    return render_template("census/progress.html", access=access, c=access.campaign,
                           p=found, threshold=threshold, display=display_value,
                           closing=closing_entry(db.session, access.campaign))


@bp.route("/<id:campaign_id>/close", methods=["POST"])
@login_required
def close_campaign(campaign_id: int):
    """Close now (global CSRF: the page's form carries the token)."""
    access = organiser_access(db.session, current_user, campaign_id)
    if close(db.session, access.campaign, current_user, date.today()):
        db.session.commit()
        flash(_("The campaign is closed: it takes no more answers, and its restitution is "
                "ready."), "success")
    return redirect(url_for("census.progress_page", campaign_id=campaign_id))


@bp.route("/<id:campaign_id>/restitution.pdf")
@login_required
def restitution(campaign_id: int):
    """The council report limited to the campaign's answers, with the sample's method and the
    response rates; once the campaign is closed."""
    access = organiser_access(db.session, current_user, campaign_id)
    campaign = access.campaign
    if not is_closed(campaign, date.today()):
        flash(_("The restitution is made once the campaign is closed."), "error")
        return redirect(url_for("census.progress_page", campaign_id=campaign_id))
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    now = utcnow()
    found = council(db.session, Filters(campaign_id=campaign.id), now, args={}, k=0,
                    sheet=False, map_events=False)
    tables = method_tables(db.session, campaign, threshold) + \
        progress(db.session, access, threshold, date.today()).tables
    census = {"title": campaign.title, "closed_on": campaign.ends_on, "tables": tables}
    pdf = report_pdf(report_html(db.session, found, census=census), request.host_url)
    name = f"maillage-restitution-{campaign.id}-{paris_today(now).isoformat()}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
