"""The short links of letters and flyers: /c/<campaign code> (a flyer) and
/c/<campaign code>/<reference> (a target's letter) lead to the campaign's questionnaire, the
reference carried along so that an answer marks that target answered. Open to anyone; an
unknown reference still leads to the questionnaire (a letter of an earlier draw), without it."""
from __future__ import annotations

from flask import abort, redirect, url_for
from sqlalchemy import select

from app.census import refs
from app.census.blueprint import links_bp
from app.census.outreach import target_by_ref
from models import Campaign, CensusFrame, db


def _campaign(code: str) -> Campaign:
    code = refs.normalise(code, refs.CAMPAIGN_CODE_LENGTH)
    campaign = db.session.scalar(select(Campaign).join(
        CensusFrame, CensusFrame.campaign_id == Campaign.id).where(
        CensusFrame.short_code == code)) if code else None
    if campaign is None:
        abort(404)
    return campaign


@links_bp.route("/<code>")
def campaign(code: str):
    return redirect(url_for("campaigns.answer", token=_campaign(code).token))


@links_bp.route("/<code>/<ref>")
def target(code: str, ref: str):
    found = _campaign(code)
    ref = refs.normalise(ref, refs.REF_LENGTH)
    if target_by_ref(db.session, found, ref) is None:
        return redirect(url_for("campaigns.answer", token=found.token))
    return redirect(url_for("campaigns.answer", token=found.token, ref=ref))
