"""Letters to targets and the market-stall flyer, as A4 PDFs made by WeasyPrint (the council
report's `report_pdf`: nothing is fetched). Each letter carries the organiser's text, the
campaign's short link with the target's anonymous reference, and that link as a QR code drawn
here by segno (an inline SVG: no image file, no service). The flyer carries the campaign's
short link without a reference.

What a letter says of its recipient is what SIRENE publishes today (an establishment that has
become non-diffusible gets a letter without name or address) or a member's name and commune."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.census.frame import frame_for
from app.mail.compose import absolute_url
from app.text import render_markdown
from models import (
    Campaign,
    CensusEpci,
    CensusFrame,
    CensusTarget,
    CensusUnit,
    Commune,
    SireneEstablishment,
    User,
)


def campaign_link(frame: CensusFrame) -> str:
    return absolute_url("census_links.campaign", code=frame.short_code)


def target_link(frame: CensusFrame, target: CensusTarget) -> str:
    return absolute_url("census_links.target", code=frame.short_code, ref=target.ref)


def qr_svg(url: str, title: str) -> Markup:
    """The link as a QR code (error correction M: a crease or a stain still reads), an inline
    SVG sized by the stylesheet."""
    import segno  # here: importing it took a twentieth of a process's start
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr",
                                  lineclass=None, title=title))


@dataclass
class Letter:
    target: CensusTarget
    name: str  # "" when SIRENE does not let us name it
    address: str
    commune: str
    referent: str
    link: str
    qr: Markup


def default_letter_text(campaign: Campaign) -> str:
    return _("We are preparing a coworking place (a *tiers-lieu*) near you and want to know "
             "what the independent workers, companies and associations of the territory would "
             "need: a desk now and then, a meeting room, good internet, company.\n\n"
             "Your answer takes about ten minutes and helps decide where and how the place "
             "opens. You were chosen among the establishments and members of the territory "
             "so that every part of it, rural communes first, is heard.")


def letters(session: Session, campaign: Campaign, targets: list[CensusTarget]) -> list[Letter]:
    frame = frame_for(session, campaign)
    sirets = [t.siret for t in targets if t.siret]
    establishments = {e.siret: e for e in session.scalars(select(SireneEstablishment).where(
        SireneEstablishment.siret.in_(sirets)))} if sirets else {}
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_([t.user_id for t in targets if t.user_id])))}
    communes = dict(session.execute(select(Commune.insee, Commune.name).where(
        Commune.insee.in_(sorted({t.commune_insee for t in targets})))).all()) if targets else {}
    referents = dict(session.execute(
        select(CensusEpci.epci_code, User.display_name)
        .join(User, User.id == CensusEpci.referent_id)
        .where(CensusEpci.campaign_id == campaign.id)).all())
    out = []
    for target in targets:
        name = address = ""
        if target.unit == CensusUnit.ESTABLISHMENT:
            found = establishments.get(target.siret)
            if found is not None and found.diffusible:
                name, address = found.name, found.address
        elif target.user_id in users:
            name = users[target.user_id].display_name
        link = target_link(frame, target)
        out.append(Letter(target, name, address, communes.get(target.commune_insee, ""),
                          referents.get(target.epci_code, ""), link,
                          qr_svg(link, _("Link to the questionnaire"))))
    return out


def letters_html(session: Session, campaign: Campaign, targets: list[CensusTarget],
                 today: date) -> str:
    frame = frame_for(session, campaign)
    text = frame.letter_text.strip() or default_letter_text(campaign)
    return render_template("census/letter.html", campaign=campaign, today=today,
                           letters=letters(session, campaign, targets),
                           body=render_markdown(text),
                           organisation=current_app.config["ORGANISATION_NAME"])


def flyer_html(session: Session, campaign: Campaign, today: date) -> str:
    frame = frame_for(session, campaign)
    link = campaign_link(frame)
    text = frame.flyer_text.strip() or campaign.description.strip()
    return render_template("census/flyer.html", campaign=campaign, today=today, link=link,
                           qr=qr_svg(link, _("Link to the questionnaire")),
                           body=render_markdown(text) if text else "",
                           organisation=current_app.config["ORGANISATION_NAME"])
