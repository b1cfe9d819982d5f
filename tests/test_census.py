"""Issue 24: the census's frame, outreach, do-not-contact list, exports and access (must show
5: a referent sees only their EPCI's targets; members and visitors see none, on pages, letters
and exports). Every state change is audited and needs the CSRF token."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from app.census.sample import Options, draw
from models import (
    AuditEntry,
    CensusEpci,
    CensusQuota,
    CensusSuppression,
    CensusTarget,
    OutreachStatus,
    SireneEstablishment,
    db,
)
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.census import RODEZ, epci_of, make_campaign, surveyed_campaign


def post_form(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, (page_url or url, page.status_code)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def world(app, make_user):
    """Two EPCIs surveyed (Rodez's and Millau's), 1,500 establishments, a sample of 12; an
    organiser, a referent for Rodez's EPCI, a plain member."""
    world = surveyed_campaign(make_user, establishments=1_500, seed=12)
    draw(db.session, world["campaign"], Options(size=12, seed="5", include_members=False),
         world["organiser"])
    db.session.commit()
    return world


def targets_in(epci: str) -> list[CensusTarget]:
    return db.session.scalars(select(CensusTarget).where(CensusTarget.epci_code == epci)
                              .order_by(CensusTarget.id)).all()


# --- must show 5: access ----------------------------------------------------------------------

def test_a_referent_sees_only_their_epcis_targets(app, client, world):
    campaign, rodez, millau = world["campaign"], world["rodez"], world["millau"]
    mine, theirs = targets_in(rodez), targets_in(millau)
    assert mine and theirs
    login_as(client, world["referent"])
    page = client.get(f"/census/{campaign.id}/").get_data(as_text=True)
    for t in mine:
        assert f'data-target-id="{t.id}"' in page
    for t in theirs:
        assert f'data-target-id="{t.id}"' not in page
        assert client.get(f"/census/{campaign.id}/targets/{t.id}").status_code == 404
        assert client.get(f"/census/{campaign.id}/targets/{t.id}/letter.pdf").status_code == 404
        assert client.post(f"/census/{campaign.id}/targets/{t.id}", data={
            "status": "answered", "csrf_token": csrf_from(page)}).status_code == 404
    # The exports and the letters: their EPCI only.
    sheet = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/census/{campaign.id}/export/targets.xlsx").data))
    sirets = {row[2] for row in sheet.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert sirets == {t.siret for t in mine}
    text = client.get(f"/census/{campaign.id}/export/targets-fr.csv").data.decode("utf-8-sig")
    assert all(t.siret in text for t in mine) and not any(t.siret in text for t in theirs)
    letters = client.get(f"/census/{campaign.id}/letters.pdf")
    assert letters.status_code == 200
    from pypdf import PdfReader
    assert len(PdfReader(io.BytesIO(letters.data)).pages) == len(mine)
    # Outreach on their own targets works; managing the campaign does not.
    assert post_form(client, f"/census/{campaign.id}/targets/{mine[0].id}",
                     {"status": "contacted_phone", "note": "Rappeler mardi"}).status_code == 302
    for url in (f"/census/{campaign.id}/frame", f"/census/{campaign.id}/epcis",
                f"/census/{campaign.id}/draw", "/census/do-not-contact"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/census/{campaign.id}/targets/{mine[1].id}/swap", data={
        "swap-reason": "x", "swap-csrf_token": csrf_from(page)}).status_code == 403
    # The organiser role is for that campaign only.
    other = make_campaign("Une autre campagne")
    assert client.get(f"/census/{other.id}/").status_code == 403
    index = client.get("/census/").get_data(as_text=True)
    assert campaign.title in index and "Une autre campagne" not in index


def test_members_and_visitors_see_no_target(app, client, world):
    campaign = world["campaign"]
    target = targets_in(world["rodez"])[0]
    urls = ["/census/", f"/census/{campaign.id}/", f"/census/{campaign.id}/targets/{target.id}",
            f"/census/{campaign.id}/targets/{target.id}/letter.pdf",
            f"/census/{campaign.id}/letters.pdf", f"/census/{campaign.id}/flyer.pdf",
            f"/census/{campaign.id}/export/targets.xlsx",
            f"/census/{campaign.id}/export/targets-fr.csv", f"/census/{campaign.id}/frame",
            f"/census/{campaign.id}/epcis", f"/census/{campaign.id}/draw",
            "/census/do-not-contact"]
    visitor = app.test_client()
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    login_as(client, world["member"])
    for url in urls:
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/interest/new").get_data(as_text=True))
    assert client.post(f"/census/{campaign.id}/targets/{target.id}", data={
        "status": "declined", "csrf_token": token}).status_code == 403
    assert client.post(f"/census/{campaign.id}/draw", data={
        "size": "3", "csrf_token": token}).status_code == 403
    # Nothing changed, and no page of the API names a target.
    assert db.session.get(CensusTarget, target.id).status == OutreachStatus.TO_CONTACT
    for url in ("/api/v1/profiles", "/api/v1/places", "/api/v1/search?q=Etablissement"):
        assert target.siret not in client.get(url).get_data(as_text=True)


def test_organisers_without_two_step_login_are_sent_to_set_it_up(app, client, world):
    app.config["STAFF_2FA_REQUIRED"] = True
    login_as(client, world["organiser"])
    response = client.get(f"/census/{world['campaign'].id}/")
    assert response.status_code == 302 and "two-factor/setup" in response.headers["Location"]
    # A referent (a member) is no staff: they go on.
    referent = app.test_client()
    login_as(referent, world["referent"])
    assert referent.get(f"/census/{world['campaign'].id}/").status_code == 200


# --- outreach, the do-not-contact list, the log ------------------------------------------------

def test_outreach_statuses_are_audited_and_a_refusal_suppresses(app, client, world):
    campaign = world["campaign"]
    target = targets_in(world["rodez"])[0]
    login_as(client, world["referent"])
    url = f"/census/{campaign.id}/targets/{target.id}"
    # No CSRF token: refused, nothing changes.
    assert client.post(url, data={"status": "declined"}).status_code in (400, 422)
    assert db.session.get(CensusTarget, target.id).status == OutreachStatus.TO_CONTACT
    assert post_form(client, url, {"status": "contacted_letter", "note": ""}).status_code == 302
    assert post_form(client, url, {"status": "declined",
                                   "note": "Ne souhaite pas participer"}).status_code == 302
    db.session.expire_all()
    found = db.session.get(CensusTarget, target.id)
    assert found.status == OutreachStatus.DECLINED and found.status_by_id == world["referent"].id
    assert found.note == "Ne souhaite pas participer"
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_kind == "census", AuditEntry.target_id == target.id)
        .order_by(AuditEntry.id)).all()
    assert [e.detail for e in entries] == ["to_contact -> contacted_letter",
                                           "contacted_letter -> declined"]
    assert all(e.actor_id == world["referent"].id for e in entries)
    assert entries[0].target_label == f"SIRET {target.siret}"
    entry = db.session.scalar(select(CensusSuppression).where(
        CensusSuppression.siret == target.siret))
    assert entry is not None and entry.reason == "declined"
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "census_suppress")).target_id == entry.id
    # Its page says so, its history reads in words, and it gets no letter.
    page = client.get(url).get_data(as_text=True)
    assert "Ne souhaite pas participer" in page
    assert client.get(url + "/letter.pdf").status_code == 302
    # A bad status is refused with the form again, the note kept.
    bad = post_form(client, url, {"status": "won", "note": "gardé"})
    assert bad.status_code == 422 and "gardé" in bad.get_data(as_text=True)


def test_the_do_not_contact_list_by_hand(app, client, world):
    login_as(client, world["organiser"])
    establishment = db.session.scalars(select(SireneEstablishment).where(
        SireneEstablishment.diffusible).limit(1)).first()
    # A mistyped SIRET: a clear error, everything typed kept.
    bad = post_form(client, "/census/do-not-contact", {
        "siret": "123 456 789 00000", "reason": "do_not_contact", "note": "Appel du 3 mars"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "123 456 789 00000" in body and "Appel du 3 mars" in body
    # The synthetic SIRETs are not Luhn-valid: the list takes a real one.
    real = "80000000253065"
    assert post_form(client, "/census/do-not-contact", {
        "siret": real, "reason": "do_not_contact", "note": "Appel du 3 mars"}).status_code == 302
    entry = db.session.scalar(select(CensusSuppression).where(CensusSuppression.siret == real))
    assert entry.reason == "do_not_contact" and establishment is not None
    entry_id = entry.id
    removal = f"/census/do-not-contact/{entry_id}/remove"
    refused = post_form(client, removal, {"reason": ""})
    assert refused.status_code == 422
    assert post_form(client, removal, {"reason": "D'accord pour être rappelé"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CensusSuppression, entry_id) is None
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_kind == "suppressed")).all()
    assert actions == ["census_suppress", "census_unsuppress"]


def test_a_swap_needs_a_reason_and_is_audited(app, client, world):
    campaign = world["campaign"]
    target = targets_in(world["millau"])[0]
    login_as(client, world["organiser"])
    url = f"/census/{campaign.id}/targets/{target.id}"
    page = client.get(url).get_data(as_text=True)
    token = csrf_from(page)
    assert 'name="swap-csrf_token"' in page
    refused = client.post(url + "/swap", data={"swap-reason": "", "swap-siret": "12",
                                                "swap-csrf_token": token})
    assert refused.status_code == 422
    assert db.session.get(CensusTarget, target.id).swapped_out_at is None
    done = client.post(url + "/swap", data={"swap-reason": "Fermé depuis janvier",
                                             "swap-siret": "", "swap-csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    old = db.session.get(CensusTarget, target.id)
    assert old.swapped_out_at and old.replaced_by_id and old.swap_reason == "Fermé depuis janvier"
    new = db.session.get(CensusTarget, old.replaced_by_id)
    assert new.epci_code == old.epci_code and new.size_class == old.size_class
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "census_swap"))
    assert entry.reason == "Fermé depuis janvier" and entry.target_id == old.id
    # The sample now counts the new one, not the old.
    listing = client.get(f"/census/{campaign.id}/").get_data(as_text=True)
    assert f'data-target-id="{new.id}"' in listing and f'data-target-id="{old.id}"' not in listing
    # Outreach has started: no new draw.
    again = post_form(client, f"/census/{campaign.id}/draw", {"size": "12", "seed": "5"})
    assert again.status_code == 422
    assert db.session.get(CensusTarget, new.id) is not None


# --- the frame ---------------------------------------------------------------------------------

def test_what_was_typed_is_quoted_as_text_in_the_form_errors(app, client, world):
    """An unknown commune is quoted back in the field's error and the summary: as text, never
    as markup (the message is a lazy translation, which Jinja took for safe HTML)."""
    login_as(client, world["organiser"])
    url = f"/census/{world['campaign'].id}/frame"
    bad = post_form(client, url, {"epci_codes": [world["rodez"]],
                                  "communes": "<b>gras</b>, <script>alert(1)</script>",
                                  "deadline": "", "letter_text": "", "flyer_text": ""})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "<b>gras</b>" not in body and "<script>alert(1)</script>" not in body
    assert body.count("&lt;b&gt;gras&lt;/b&gt;") >= 2  # the field's error and the summary


def test_the_frame_form_keeps_what_was_typed_and_saves_with_the_log(app, client, world):
    campaign = world["campaign"]
    login_as(client, world["organiser"])
    url = f"/census/{campaign.id}/frame"
    early = (campaign.starts_on - timedelta(days=3)).isoformat()
    bad = post_form(client, url, {"epci_codes": [world["rodez"]], "communes": "Rignak, Belcastel",
                                  "deadline": early, "letter_text": "Bonjour **à vous**",
                                  "flyer_text": ""})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Rignak, Belcastel" in body and "Bonjour **à vous**" in body
    assert "Rignak" in body and "avant l’ouverture" in body.replace("'", "’") or \
        "before the campaign opens" in body
    deadline = date.today() + timedelta(days=90)
    ok = post_form(client, url, {"epci_codes": [world["rodez"]], "communes": "Rignac, Belcastel",
                                 "deadline": deadline.isoformat(),
                                 "letter_text": "Bonjour **à vous**", "flyer_text": ""})
    assert ok.status_code == 302
    db.session.expire_all()
    saved = db.session.get(type(campaign), campaign.id)
    assert saved.epci_codes == [world["rodez"]] and saved.ends_on == deadline
    # Millau's EPCI left the territory (Rignac and Belcastel are not in it): its rows went.
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "census_frame")) == "census_frame"

    # Referents and answer targets per EPCI: an unknown address is an error, typed kept.
    url = f"/census/{campaign.id}/epcis"
    page = client.get(url).get_data(as_text=True)
    codes = sorted({epci_of(RODEZ), epci_of("12199")})  # Rodez's and Rignac's EPCIs
    for code in codes:
        assert f'name="referent_{code}"' in page
    bad = client.post(url, data={
        f"referent_{codes[0]}": "nobody@example.org", f"company_{codes[0]}": "12",
        f"independent_{codes[0]}": "douze", "csrf_token": csrf_from(page)})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "nobody@example.org" in body and "douze" in body
    done = client.post(url, data={
        f"referent_{codes[0]}": "MEMBER@example.org ", f"company_{codes[0]}": "12",
        f"independent_{codes[0]}": "8", "csrf_token": csrf_from(page)})
    assert done.status_code == 302
    assert db.session.get(CensusEpci, (campaign.id, codes[0])).referent_id == world["member"].id
    quotas = {(q.epci_code, q.track): q.answers for q in db.session.scalars(select(CensusQuota))}
    assert quotas == {(codes[0], "company"): 12, (codes[0], "independent"): 8}
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_kind == "campaign")).all()
    assert "census_referent" in actions and "census_quota" in actions
    # The member named is now a referent of that EPCI.
    member = app.test_client()
    login_as(member, world["member"])
    assert member.get(f"/census/{campaign.id}/").status_code == 200


def test_the_draw_form(app, client, world):
    campaign = make_campaign("Tout le territoire")
    login_as(client, world["organiser"])
    url = f"/census/{campaign.id}/draw"
    bad = post_form(client, url, {"size": "vingt", "seed": "a b", "naf_include": "62, 99",
                                  "naf_exclude": ""})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "vingt" in body and "62, 99" in body
    ok = post_form(client, url, {"size": "6", "seed": "", "naf_include": "62, 70",
                                 "naf_exclude": ""})
    assert ok.status_code == 302
    targets = db.session.scalars(select(CensusTarget).where(
        CensusTarget.campaign_id == campaign.id)).all()
    assert len(targets) == 6
    nafs = {db.session.get(SireneEstablishment, t.siret).naf_code[:2] for t in targets}
    assert nafs <= {"62", "70"}
    seed = db.session.scalar(select(AuditEntry.detail).where(
        AuditEntry.action == "census_draw", AuditEntry.target_id == campaign.id))
    assert seed.startswith("seed ")
    page = client.get(f"/census/{campaign.id}/").get_data(as_text=True)
    assert seed.split()[1].rstrip(",") in page  # the seed is shown


# --- exports -----------------------------------------------------------------------------------

def test_exports_neutralise_formulas_and_hide_small_counts(app, client, world):
    campaign = world["campaign"]
    target = targets_in(world["rodez"])[0]
    establishment = db.session.get(SireneEstablishment, target.siret)
    establishment.name = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    login_as(client, world["organiser"])
    assert post_form(client, f"/census/{campaign.id}/targets/{target.id}",
                     {"status": "answered", "note": "+33 5 65 00 00 00"}).status_code == 302
    text = client.get(f"/census/{campaign.id}/export/targets-fr.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Catégorie", "Nom", "SIRET"]
    row = next(r for r in rows if r[2] == target.siret)
    assert row[1].startswith("'=HYPERLINK") and row[10] == "'+33 5 65 00 00 00"
    assert row[7] == "Répondu"
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/census/{campaign.id}/export/targets.xlsx").data))
    summary = book.worksheets[1]
    values = list(summary.iter_rows(min_row=2, values_only=True))
    answered = [v[4] for v in values if v[0]]
    assert "moins de 3" in answered  # one answer in Rodez's EPCI: not shown as 1
    assert all(v[4] != 1 for v in values)
