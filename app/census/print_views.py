"""What is printed or downloaded: a target's letter, the letters of every target still to
contact (one PDF), the flyer, and the targets as XLSX and French CSV. Organisers get every
EPCI's; a referent their EPCIs' only."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.census.access import access_for, target_or_404
from app.census.blueprint import bp
from app.census.exports import summary_table, targets_table
from app.census.letters import flyer_html, letters_html
from app.census.queries import target_rows
from app.census.suppression import find
from app.organisers.report import report_pdf
from app.organisers.spreadsheets import french_csv_response, xlsx_response
from app.organisers.tables import paris_today
from models import CensusTarget, OutreachStatus, db
from models.types import utcnow


def _pdf(html: str, filename: str) -> Response:
    return Response(report_pdf(html, request.host_url), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<id:campaign_id>/targets/<id:target_id>/letter.pdf")
@login_required
def letter(campaign_id: int, target_id: int):
    access = access_for(db.session, current_user, campaign_id)
    found = target_or_404(db.session, access, target_id)
    if find(db.session, siret=found.siret, user_id=found.user_id) is not None:
        flash(_("This target is on the do-not-contact list: no letter."), "error")
        return redirect(url_for("census.target", campaign_id=campaign_id, target_id=target_id))
    html = letters_html(db.session, access.campaign, [found], paris_today(utcnow()))
    db.session.commit()  # the frame, made the first time
    return _pdf(html, f"lettre-{access.campaign.id}-{found.id}.pdf")


@bp.route("/<id:campaign_id>/letters.pdf")
@login_required
def letters(campaign_id: int):
    """One letter per target still to contact (of one EPCI with ?epci=), none to those on the
    do-not-contact list."""
    access = access_for(db.session, current_user, campaign_id)
    epci = request.args.get("epci", "")[:9] or None
    rows = target_rows(db.session, access, status=OutreachStatus.TO_CONTACT, epci=epci)
    targets: list[CensusTarget] = [r.target for r in rows
                                   if find(db.session, siret=r.target.siret,
                                           user_id=r.target.user_id) is None]
    if not targets:
        flash(_("No target is left to contact: no letter to print."), "info")
        return redirect(url_for("census.campaign", campaign_id=campaign_id))
    html = letters_html(db.session, access.campaign, targets, paris_today(utcnow()))
    db.session.commit()
    return _pdf(html, f"lettres-{access.campaign.id}.pdf")


@bp.route("/<id:campaign_id>/flyer.pdf")
@login_required
def flyer(campaign_id: int):
    access = access_for(db.session, current_user, campaign_id)
    html = flyer_html(db.session, access.campaign, paris_today(utcnow()))
    db.session.commit()
    return _pdf(html, f"affiche-{access.campaign.id}.pdf")


@bp.route("/<id:campaign_id>/export/targets.xlsx")
@login_required
def export_xlsx(campaign_id: int):
    access = access_for(db.session, current_user, campaign_id)
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    rows = target_rows(db.session, access)
    tables = [targets_table(rows), summary_table(rows, threshold)]
    return xlsx_response(tables, f"cibles-{campaign_id}.xlsx", access.campaign.title,
                         current_app.config["ORGANISATION_NAME"])


@bp.route("/<id:campaign_id>/export/targets-fr.csv")
@login_required
def export_csv(campaign_id: int):
    access = access_for(db.session, current_user, campaign_id)
    return french_csv_response(targets_table(target_rows(db.session, access)),
                               f"cibles-{campaign_id}.csv")
