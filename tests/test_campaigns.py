"""Census campaigns: an anonymous answer through the shareable link, claimed after signing
up (must show 2); the organiser's counts; who may see what."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from models import Campaign, Declaration, DeclarationVersion, db
from tests.helpers.apps import AuthActions, csrf_from, login_as
from tests.helpers.demand import COMPANY, INDEPENDENT


def make_campaign(**fields) -> Campaign:
    today = date.today()
    campaign = Campaign(title="Recensement du Ségala", starts_on=today - timedelta(days=1),
                        ends_on=today + timedelta(days=30), tracks=["company", "independent"],
                        **fields)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def answer(client, campaign, data, track="independent"):
    url = f"/campaigns/answer/{campaign.token}?track={track}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(f"/campaigns/answer/{campaign.token}", data={**data, "csrf_token": token})


def test_answer_without_account_then_claim_after_signing_up(app, client):
    campaign = make_campaign()
    r = answer(client, campaign, {**INDEPENDENT, "contact_name": "Léa",
                                  "contact_email": "lea@example.org", "contact_consent": "y"})
    assert r.status_code == 302
    thanks = client.get(r.headers["Location"]).get_data(as_text=True)
    claim_url = re.search(r'data-claim-url>[^<]*(/campaigns/claim/[\w-]+)', thanks).group(1)
    anonymous = db.session.scalar(select(Declaration))
    assert anonymous.user_id is None and anonymous.contact_consent
    assert anonymous.current.campaign_id == campaign.id

    # Same browser: signing up, the pending answer is offered on the interest page.
    AuthActions(client).register("lea@example.org", "Léa Marty")
    page = client.get("/interest/").get_data(as_text=True)
    assert claim_url in page
    r = client.post(claim_url, data={"csrf_token": csrf_from(client.get(claim_url).get_data(as_text=True))})
    assert r.status_code == 302
    db.session.expire_all()
    claimed = db.session.get(Declaration, anonymous.id)
    assert claimed.user_id is not None and claimed.claim_token is None
    assert client.get(claim_url).status_code == 404  # claimed once


def test_claim_into_an_existing_declaration_adds_a_version(app, client, make_user):
    campaign = make_campaign()
    stranger = app.test_client()
    answer(stranger, campaign, INDEPENDENT)
    token = db.session.scalar(select(Declaration.claim_token))
    user = make_user("member@example.org")
    login_as(client, user)
    client.post("/interest/new", data={**COMPANY, "csrf_token": csrf_from(
        client.get("/interest/new?track=company").get_data(as_text=True))})
    url = f"/campaigns/claim/{token}"
    client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    mine = db.session.scalar(select(Declaration).where(Declaration.user_id == user.id))
    assert [v.track for v in mine.versions] == ["company", "independent"]
    assert db.session.scalar(select(func.count(Declaration.id))) == 1


def test_a_member_answering_updates_their_declaration(client, make_user):
    campaign = make_campaign()
    login_as(client, make_user("m@example.org"))
    assert answer(client, campaign, INDEPENDENT).status_code == 302
    version = db.session.scalar(select(DeclarationVersion))
    assert version.campaign_id == campaign.id and version.declaration.user_id is not None


def test_bad_answer_keeps_what_was_typed(client):
    campaign = make_campaign()
    r = answer(client, campaign, {**INDEPENDENT, "budget_eur_month": "-3",
                                  "contact_email": "not an email", "contact_consent": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="budget_eur_month-error"' in html
    assert 'id="contact_email-error"' in html and 'value="not an email"' in html
    assert db.session.scalar(select(func.count(Declaration.id))) == 0


def test_closed_or_unknown_campaign(client):
    campaign = make_campaign()
    campaign.ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert client.get(f"/campaigns/answer/{campaign.token}").status_code == 410
    assert client.get("/campaigns/answer/nope").status_code == 404
    assert client.get("/campaigns/claim/nope").status_code == 302  # log in first


def test_organiser_dashboard_counts(app, client, make_user):
    campaign = make_campaign()
    for data, track in ((INDEPENDENT, "independent"), (INDEPENDENT, "independent"),
                        (COMPANY, "company")):
        answer(app.test_client(), campaign, data, track)
    member = app.test_client()
    login_as(member, make_user("m@example.org"))
    assert member.get(f"/campaigns/{campaign.id}").status_code == 403
    assert member.get("/campaigns/new").status_code == 403
    login_as(client, make_user("orga@example.org", role="organiser"))
    html = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert campaign.token in html
    sections = {m.group(1): m.group(2) for m in re.finditer(
        r'<h2 id="(\w+)-title">.*?</h2>(.*?)</section>', html, re.S)}
    def counts(section):
        return [int(n) for n in re.findall(r'<td>(?:<meter[^>]*>\d+</meter> )?(\d+)</td>',
                                           sections[section])]
    assert counts("track") == [1, 2]  # company, then self-employed
    assert sum(counts("epci")) == 3 and len(counts("epci")) == 2  # Rodez's and Rignac's EPCI
    assert counts("day") == [3]


def test_organiser_creates_a_campaign(client, make_user):
    login_as(client, make_user("orga@example.org", role="organiser"))
    page = client.get("/campaigns/new").get_data(as_text=True)
    r = client.post("/campaigns/new", data={
        "title": "Recensement", "starts_on": "2026-12-01", "ends_on": "2026-11-01",
        "tracks": ["company"], "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "Recensement" in r.get_data(as_text=True)
    r = client.post("/campaigns/new", data={
        "title": "Recensement", "starts_on": "2026-12-01", "ends_on": "2027-01-31",
        "tracks": ["company"], "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert db.session.scalar(select(Campaign)).tracks == ["company"]


def test_a_pending_answer_is_not_offered_to_the_next_person_logging_in(client, make_user):
    campaign = make_campaign()
    answer(client, campaign, {**INDEPENDENT, "contact_name": "Léa", "contact_email":
                              "lea@example.org", "contact_consent": "y"})
    make_user("next@example.org")
    AuthActions(client).login("next@example.org")  # someone else, on the same computer
    assert "/campaigns/claim/" not in client.get("/interest/").get_data(as_text=True)


def test_counts_are_respondents_not_versions(app, client, make_user):
    campaign = make_campaign()
    member = app.test_client()
    login_as(member, make_user("m@example.org"))
    for budget in ("100", "120", "140"):
        answer(member, campaign, {**INDEPENDENT, "budget_eur_month": budget})
    login_as(client, make_user("orga@example.org", role="organiser"))
    html = client.get("/campaigns/").get_data(as_text=True)
    assert re.search(r"\b1 réponse\b|\b1 answer\b", html)


def test_anonymous_answers_are_rate_limited(app, client):
    app.config["CAMPAIGN_ANSWER_RATE_LIMIT"] = "2 per hour"
    campaign = make_campaign()
    codes = [answer(client, campaign, INDEPENDENT).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_an_organisation_answers_for_its_company(client, make_user):
    campaign = make_campaign()
    user = make_user("scop@example.org", kind="company")
    login_as(client, user)
    answer(client, campaign, INDEPENDENT)
    answer(client, campaign, COMPANY, track="company")
    rows = db.session.execute(select(Declaration.for_company, func.count())
                              .group_by(Declaration.for_company)).all()
    assert sorted(rows) == [(False, 1), (True, 1)]
