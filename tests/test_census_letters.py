"""Issue 24, must show 2: a target's letter (A4 PDF by WeasyPrint) whose QR code, rendered to
PNG by pdftoppm and read by zbarimg, is the campaign's short link with the target's reference;
answering through it marks that target answered, while the aggregate views (the campaign's
answers, the organisers' overview) say nothing of which target answered what. The flyer's code
is the campaign's link, with no reference."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.census.sample import Options, draw
from models import (
    AuditEntry,
    CensusAnswer,
    CensusTarget,
    Declaration,
    DeclarationVersion,
    OutreachStatus,
    SireneEstablishment,
    db,
)
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.census import insert_establishments, make_campaign, synthetic_rows
from tests.helpers.demand import INDEPENDENT

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-artefacts"


def pdf_text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def qr_codes(pdf: bytes, name: str) -> list[str]:
    """The QR codes of page 1: pdftoppm renders it, zbarimg reads it (skipped without them:
    `make report-tools` installs them as root)."""
    if not shutil.which("pdftoppm") or not shutil.which("zbarimg"):
        pytest.skip("pdftoppm or zbarimg is missing (Debian's poppler-utils and zbar-tools; "
                    "`make test` installs them as root)")
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                    str(ARTEFACTS / f"{name}.pdf"), str(ARTEFACTS / name)], check=True,
                   timeout=60)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                            str(ARTEFACTS / f"{name}.png")], capture_output=True, text=True,
                           timeout=60)
    assert found.returncode == 0, found.stderr
    return found.stdout.split()


@pytest.fixture
def world(app, client, make_user):
    """An organiser logged in, 300 establishments, a campaign and a sample of 5."""
    organiser = make_user("orga@example.org", role="organiser")
    insert_establishments(synthetic_rows(300, seed=4))
    campaign = make_campaign(tracks=("independent", "company"))
    draw(db.session, campaign, Options(size=5, seed="2027", include_members=False), organiser)
    db.session.commit()
    login_as(client, organiser)
    return campaign


def test_a_letters_qr_code_leads_to_the_questionnaire_and_marks_its_target(app, client, world):
    campaign = world
    target = db.session.scalars(select(CensusTarget).order_by(CensusTarget.id)).first()
    establishment = db.session.get(SireneEstablishment, target.siret)
    response = client.get(f"/census/{campaign.id}/targets/{target.id}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert len(reader.pages) == 1
    text = pdf_text(pdf)
    short_code = db.session.scalar(select(db.text("short_code FROM census_frame")))
    link = f"http://localhost/c/{short_code}/{target.ref}"
    assert link in text.replace(" ", "") or link in text
    assert establishment.name in text and establishment.address in text
    assert "SIRENE" in text and "Recensement 2027" in text

    codes = qr_codes(pdf, "census-letter")
    assert codes == [link]

    # A visitor scans it: the short link leads to the questionnaire with the reference.
    visitor = app.test_client()
    path = urlsplit(codes[0]).path
    hop = visitor.get(path)
    assert hop.status_code == 302
    answer_url = hop.headers["Location"]
    assert answer_url == f"/campaigns/answer/{campaign.token}?ref={target.ref}"
    page = visitor.get(answer_url)
    assert page.status_code == 200
    assert f'action="/campaigns/answer/{campaign.token}?ref={target.ref}"' in page.get_data(
        as_text=True)
    sent = visitor.post(answer_url, data={**INDEPENDENT, "csrf_token": csrf_from(
        page.get_data(as_text=True))})
    assert sent.status_code == 302 and "/campaigns/thanks/" in sent.headers["Location"]

    db.session.expire_all()
    target = db.session.get(CensusTarget, target.id)
    assert target.status == OutreachStatus.ANSWERED and target.answered_at is not None
    assert target.status_by_id is None
    linked = db.session.scalars(select(CensusAnswer)).all()
    assert [(a.target_id, a.channel) for a in linked] == [(target.id, "link")]
    declaration = db.session.get(Declaration, linked[0].declaration_id)
    assert declaration.current.campaign_id == campaign.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "census_answered"))
    assert entry.target_id == target.id and entry.actor_id is None
    assert entry.detail == "to_contact -> answered"
    # The other targets are untouched.
    others = db.session.scalars(select(CensusTarget.status).where(
        CensusTarget.id != target.id)).all()
    assert set(others) == {OutreachStatus.TO_CONTACT}

    # The aggregate views count the answer and say nothing of the target.
    secrets = [target.ref, target.siret, establishment.name]
    for url in (f"/campaigns/{campaign.id}", f"/organisers/?campaign={campaign.id}",
                "/organisers/export/communes.csv", "/organisers/export/communes-fr.csv",
                "/organisers/export/declarations-fr.csv"):
        body = client.get(url).get_data(as_text=True)
        assert not any(s in body for s in secrets), url
    shown = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "1 réponse" in shown.replace("\u00a0", " ") or "1 answer" in shown
    # The audit log tells that the target answered through its link, by nobody named.
    audit = client.get("/moderation/audit?action=census_answered").get_data(as_text=True)
    assert "la personne, par son lien" in audit and INDEPENDENT["activity"] not in audit
    # The census's own list says who answered (that is its job), not what.
    listing = client.get(f"/census/{campaign.id}/").get_data(as_text=True)
    assert "Répondu" in listing and INDEPENDENT["activity"] not in listing


def test_answering_twice_through_the_link_links_once_and_an_unknown_reference_nothing(
        app, client, world, make_user):
    campaign = world
    target = db.session.scalars(select(CensusTarget).order_by(CensusTarget.id)).first()
    url = f"/campaigns/answer/{campaign.token}?ref={target.ref.lower()}"  # typed leniently
    member = app.test_client()
    person = make_user("lea@example.org", display_name="Léa")
    login_as(member, person)
    for _ in range(2):
        page = member.get(url).get_data(as_text=True)
        assert member.post(url, data={**INDEPENDENT, "csrf_token": csrf_from(page)}
                           ).status_code == 302
    linked = db.session.scalars(select(CensusAnswer)).all()
    assert len(linked) == 1
    assert db.session.get(Declaration, linked[0].declaration_id).user_id == person.id
    assert db.session.scalar(select(db.func.count()).where(
        AuditEntry.action == "census_answered")) == 1
    # A reference of no target (a letter of an earlier draw): an answer like any other.
    stranger = app.test_client()
    bogus = f"/campaigns/answer/{campaign.token}?ref=ZZZZZZZZ"
    page = stranger.get(bogus).get_data(as_text=True)
    assert stranger.post(bogus, data={**INDEPENDENT, "csrf_token": csrf_from(page)}
                         ).status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(CensusAnswer)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(DeclarationVersion).where(
        DeclarationVersion.campaign_id == campaign.id)) == 3
    # A short link with an unknown reference still leads to the questionnaire, without it.
    code = db.session.scalar(select(db.text("short_code FROM census_frame")))
    hop = stranger.get(f"/c/{code.lower()}/ZZZZZZZZ")
    assert hop.status_code == 302 and hop.headers["Location"] == \
        f"/campaigns/answer/{campaign.token}"
    assert stranger.get("/c/AAAAAA").status_code == 404


def test_the_flyers_qr_code_is_the_campaigns_link(app, client, world):
    campaign = world
    response = client.get(f"/census/{campaign.id}/flyer.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    code = db.session.scalar(select(db.text("short_code FROM census_frame")))
    assert qr_codes(response.data, "census-flyer") == [f"http://localhost/c/{code}"]
    hop = app.test_client().get(f"/c/{code}")
    assert hop.headers["Location"] == f"/campaigns/answer/{campaign.token}"


def test_the_letters_of_every_target_to_contact_in_one_pdf(app, client, world):
    campaign = world
    targets = db.session.scalars(select(CensusTarget).order_by(CensusTarget.id)).all()
    first = targets[0]
    page = client.get(f"/census/{campaign.id}/targets/{first.id}").get_data(as_text=True)
    assert client.post(f"/census/{campaign.id}/targets/{first.id}", data={
        "status": "declined", "note": "Pas intéressé",
        "csrf_token": csrf_from(page)}).status_code == 302
    response = client.get(f"/census/{campaign.id}/letters.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 4  # one page per target still to contact
    text = pdf_text(response.data)
    assert first.ref not in text and all(t.ref in text for t in targets[1:])
    # No letter for someone on the do-not-contact list.
    refused = client.get(f"/census/{campaign.id}/targets/{first.id}/letter.pdf")
    assert refused.status_code == 302
