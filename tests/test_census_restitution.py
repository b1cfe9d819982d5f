"""Issue 24, progress and restitution: per EPCI and track, answers against targets; the
sample's response rate per EPCI; days left. At the deadline (the mail loop's periodic job, or
the first view of the progress page after it) or by hand, the campaign closes, audited, and
the restitution PDF is made: the council report limited to the campaign's answers, with the
sample's method and per-EPCI response rates, every count under the small-cell rule (must show
4). A referent sees their EPCI's progress only; members and visitors none (must show 5)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.census.access import CensusAccess
from app.census.outreach import record_answer
from app.census.progress import close_due, method_tables, progress
from app.census.sample import Options, draw
from app.demand.service import add_version, new_claim_token
from app.jobs import JOBS
from app.organisers.tables import INT, Hidden
from models import (
    AuditEntry,
    Campaign,
    CensusQuota,
    CensusTarget,
    Declaration,
    Epci,
    Track,
    db,
)
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.census import MILLAU, RODEZ, surveyed_campaign

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-artefacts"
FEWER = "moins de 3"


def lines_of(pdf: bytes) -> list[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [re.sub(r"[ \u00a0\u202f]+", " ", line).strip() for line in text.splitlines()]


def answer(campaign: Campaign, commune: str, ref: str | None = None) -> None:
    declaration = Declaration(claim_token=new_claim_token())
    add_version(db.session, declaration, {
        "track": "independent", "activity": "x", "home_commune_insee": commune,
        "acceptable_communes": [commune], "days_per_week": 2, "formula": "permanent",
        "budget_eur_month": 120, "horizon": "now"}, campaign_id=campaign.id)
    record_answer(db.session, campaign, ref, declaration)


@pytest.fixture
def world(app, make_user):
    """Rodez's and Millau's EPCIs, a sample of 20 drawn with seed 4242; in Rodez's EPCI 4
    targets answered and 2 more answers, in Millau's 1 target answered: a small cell."""
    people = surveyed_campaign(make_user, establishments=1_500, seed=12, days=20)
    campaign, rodez, millau = people["campaign"], people["rodez"], people["millau"]
    for epci, aim in ((rodez, 10), (millau, 6)):
        db.session.add(CensusQuota(campaign_id=campaign.id, epci_code=epci,
                                   track=Track.INDEPENDENT, answers=aim))
    draw(db.session, campaign, Options(size=20, seed="4242", include_members=False),
         people["organiser"])
    db.session.commit()
    targets = {e: db.session.scalars(select(CensusTarget).where(
        CensusTarget.epci_code == e).order_by(CensusTarget.id)).all() for e in (rodez, millau)}
    assert len(targets[rodez]) >= 5 and len(targets[millau]) >= 2
    for t in targets[rodez][:4]:
        answer(campaign, RODEZ, t.ref)
    answer(campaign, RODEZ)
    answer(campaign, RODEZ)
    answer(campaign, MILLAU, targets[millau][0].ref)
    db.session.commit()
    names = dict(db.session.execute(select(Epci.code, Epci.name)).all())
    return {**people, "targets": targets, "names": names}


def test_progress_per_epci_and_track_with_days_left(app, client, world):
    campaign = world["campaign"]
    login_as(client, world["organiser"])
    page = client.get(f"/census/{campaign.id}/progress")
    assert page.status_code == 200
    html = page.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")
    assert "21 jours restants" in html  # today included
    rodez, millau = world["names"][world["rodez"]], world["names"][world["millau"]]
    in_sample = len(world["targets"][world["rodez"]])
    # Rodez: 6 answers against 10; its sample answered 4 of its targets.
    assert re.search(rf"{re.escape(rodez)}</th><td>Indépendant[^<]*</td><td>6</td><td>10</td>"
                     r"<td>60 %</td>", html), html
    rate = f"{round(100 * 4 / in_sample)} %"
    assert re.search(rf"{re.escape(rodez)}</th><td>{in_sample}</td><td>4</td><td>{rate}</td>",
                     html)
    # Millau: one answer, one target answered: fewer than 3, and no rate.
    assert re.search(rf"{re.escape(millau)}</th><td>Indépendant[^<]*</td><td>{FEWER}</td>"
                     r"<td>6</td><td>non montré", html)
    # The total would give Millau away: "N or more".
    assert "7 ou plus" in html or "6 ou plus" in html


def test_closing_by_hand_makes_the_restitution_pdf(app, client, world):
    campaign = world["campaign"]
    login_as(client, world["organiser"])
    # Not closed yet: no restitution.
    early = client.get(f"/census/{campaign.id}/restitution.pdf")
    assert early.status_code == 302
    page = client.get(f"/census/{campaign.id}/progress").get_data(as_text=True)
    # Without the CSRF token nothing closes.
    assert client.post(f"/census/{campaign.id}/close").status_code == 400
    closed = client.post(f"/census/{campaign.id}/close", data={"csrf_token": csrf_from(page)})
    assert closed.status_code == 302
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.ends_on == date.today() - timedelta(days=1)
    assert not campaign.is_open(date.today())
    [entry] = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "census_close")).all()
    assert entry.actor_id == world["organiser"].id and entry.target_id == campaign.id
    assert entry.detail.startswith("by hand")
    # Closed: the link takes no more answers.
    assert client.get(f"/campaigns/answer/{campaign.token}").status_code == 410

    response = client.get(f"/census/{campaign.id}/restitution.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    lines = lines_of(pdf)
    text = " ".join(lines)
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "census-restitution.pdf").write_bytes(pdf)
    (ARTEFACTS / "census-restitution.txt").write_text("\n".join(lines))
    # The council report, limited to the campaign, and the census's section.
    assert "Rapport pour le conseil" in text and "Restitution du recensement" in text
    assert "Recensement 2027" in text and "Campagne Recensement 2027" in text
    assert "Le recensement : échantillon et taux de réponse" in text
    # The sample's method: seed, size, allocation rule, strata.
    for words in ("Graine 4242", "Taille demandée 20", "Règle de répartition",
                  "plus forts restes", "Strates de l’échantillon", "rurale (moins de 2 000"):
        assert words in text, words
    # Per-EPCI response rates: Rodez's shown, Millau's a small cell.
    rodez, millau = world["names"][world["rodez"]], world["names"][world["millau"]]
    in_sample = len(world["targets"][world["rodez"]])
    rate = f"{round(100 * 4 / in_sample)} %"
    assert "Taux de réponse de l’échantillon, par communauté de communes" in text
    assert f"{rodez} {in_sample} 4 {rate}" in text, [ln for ln in lines if rodez in ln]
    in_millau = len(world["targets"][world["millau"]])
    assert f"{millau} {in_millau} {FEWER} non montré (moins de 3 personnes)" in text
    assert re.search(rf"{re.escape(millau)} Indépendant[^0-9]* {FEWER} 6 non montré", text)
    assert not re.search(rf"{re.escape(millau)} (\d+ )?[12] ", text)

    if shutil.which("pdftoppm"):
        target = ARTEFACTS / "census-restitution-page-1"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(ARTEFACTS / "census-restitution.pdf"), str(target)], check=True,
                       timeout=60)
        assert target.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Closing again changes nothing and logs nothing.
    client.post(f"/census/{campaign.id}/close", data={"csrf_token": csrf_from(page)})
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "census_close")) == 1


def test_no_count_under_the_threshold_in_the_restitutions_tables(app, world):
    """Every count of the census's tables (page and PDF): 0, at least 3, "fewer than 3", or
    "N or more"; every rate over a small count not shown."""
    campaign = world["campaign"]
    threshold = app.config["ORGANISER_MIN_CELL"]
    with app.test_request_context():
        access = CensusAccess(campaign, True, frozenset())
        tables = method_tables(db.session, campaign, threshold) + \
            progress(db.session, access, threshold, date.today()).tables
        hidden = 0
        for table in tables:
            for r, row in enumerate(table.rows):
                for c, value in enumerate(row):
                    if table.kind(r, c) == INT and value is not None:
                        hidden += isinstance(value, Hidden)
                        assert isinstance(value, Hidden) or (
                            "ou plus" in value if isinstance(value, str)
                            else value == 0 or value >= threshold), (table.title, row)
        assert hidden >= 2  # Millau's answers and its answered target at least
        rates = next(t for t in tables if t.name == "Response rates" or "Taux" in t.name)
        millau = next(row for row in rates.rows if row[0] == world["names"][world["millau"]])
        assert isinstance(millau[2], Hidden) and isinstance(millau[3], Hidden)


def test_at_the_deadline_the_periodic_job_closes_the_campaign_once(app, client, world):
    assert ("census_close", "CENSUS_CLOSE_EVERY", "app.census.progress:close_due") in {
        (job.name, job.every_key, job.target) for job in JOBS}
    campaign = world["campaign"]
    assert close_due(db.session) == 0  # not due yet
    campaign.ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert close_due(db.session) == 1
    db.session.commit()
    assert close_due(db.session) == 0
    [entry] = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "census_close")).all()
    assert entry.actor_id is None and entry.detail.startswith("deadline")
    login_as(client, world["organiser"])
    page = client.get(f"/census/{campaign.id}/progress").get_data(as_text=True)
    assert "data-closed" in page and "à l’échéance" in page and "restitution.pdf" in page
    assert client.get(f"/census/{campaign.id}/restitution.pdf").status_code == 200


def test_past_the_deadline_the_first_view_closes_it(app, client, world):
    campaign = world["campaign"]
    campaign.ends_on = date.today() - timedelta(days=2)
    db.session.commit()
    login_as(client, world["referent"])
    assert client.get(f"/census/{campaign.id}/progress").status_code == 200
    assert db.session.scalar(select(AuditEntry.detail).where(
        AuditEntry.action == "census_close")).startswith("deadline")


# --- must show 5: who sees progress and the restitution ---------------------------------------

def test_a_referent_sees_only_their_epcis_progress(app, client, world):
    campaign = world["campaign"]
    rodez, millau = world["names"][world["rodez"]], world["names"][world["millau"]]
    login_as(client, world["referent"])
    html = client.get(f"/census/{campaign.id}/progress").get_data(as_text=True)
    assert rodez in html and millau not in html
    assert "Total" not in html and "Clore la campagne" not in html
    page = client.get(f"/census/{campaign.id}/").get_data(as_text=True)
    assert client.post(f"/census/{campaign.id}/close",
                       data={"csrf_token": csrf_from(page)}).status_code == 403
    assert client.get(f"/census/{campaign.id}/restitution.pdf").status_code == 403
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "census_close")) is None


def test_members_and_visitors_see_no_progress_nor_restitution(app, client, world):
    campaign = world["campaign"]
    urls = [f"/census/{campaign.id}/progress", f"/census/{campaign.id}/restitution.pdf",
            f"/census/{campaign.id}/field"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(f"/census/{campaign.id}/close").status_code in (302, 400)
    login_as(client, world["member"])
    for url in urls:
        assert client.get(url).status_code == 403, url
    page = client.get("/").get_data(as_text=True)
    assert client.post(f"/census/{campaign.id}/close",
                       data={"csrf_token": csrf_from(page)}).status_code == 403
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "census_close")) is None
