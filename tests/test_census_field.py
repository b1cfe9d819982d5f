"""Issue 24, field mode: an organiser, a campaign's referent or an animator of a place of its
territory enters the answers of a person met in the field, who consented (the text shown and
stored); an answer may be linked to a target (marked answered); it is sent once (idempotency
key); the person claims it later with the claim link handed over. Members and visitors: none of
it. Every entry is audited and needs the CSRF token."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.census.sample import Options, draw
from models import (
    AnswerChannel,
    AuditEntry,
    CensusAnswer,
    CensusTarget,
    Commune,
    Declaration,
    OutreachStatus,
    Place,
    db,
)
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.census import RODEZ, surveyed_campaign
from tests.helpers.demand import INDEPENDENT


@pytest.fixture
def world(app, make_user):
    world = surveyed_campaign(make_user, establishments=600, seed=3, others={
        "animator": ("anim@example.org", "Anaïs"), "far_animator": ("far@example.org", "Fabien")})
    campaign, rodez, millau = world["campaign"], world["rodez"], world["millau"]
    here = Place(name="Le Hangar", commune_insee=RODEZ)
    here.animators.append(world["animator"])
    outside = db.session.scalar(select(Commune.insee).where(
        Commune.epci_code.not_in([rodez, millau])).limit(1))
    far = Place(name="La Grange", commune_insee=outside)
    far.animators.append(world["far_animator"])
    db.session.add_all([here, far])
    draw(db.session, campaign, Options(size=8, seed="9", include_members=False),
         world["organiser"])
    db.session.commit()
    return world


def logout(client) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf_from(
        client.get("/").get_data(as_text=True))})


def field_url(campaign) -> str:
    return f"/census/{campaign.id}/field"


def post_field(client, campaign, data: dict, key: str | None = None):
    page = client.get(field_url(campaign))
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    form = {**INDEPENDENT, "consent": "y", "csrf_token": csrf_from(html), **data}
    form["idempotency_key"] = key or re.search(
        r'name="idempotency_key" value="([^"]+)"', html).group(1)
    return client.post(field_url(campaign), data=form)


def field_answers() -> list[CensusAnswer]:
    return db.session.scalars(select(CensusAnswer).where(
        CensusAnswer.channel == AnswerChannel.FIELD).order_by(CensusAnswer.id)).all()


def test_an_animator_enters_an_answer_for_a_person_who_consented(app, client, world):
    campaign = world["campaign"]
    login_as(client, world["animator"])
    assert "Le Hangar" not in client.get("/census/").get_data(as_text=True)
    assert f'href="/census/{campaign.id}/field"' in client.get("/census/").get_data(as_text=True)
    page = client.get(field_url(campaign)).get_data(as_text=True)
    assert "data-outbox" in page and 'name="idempotency_key"' in page
    # The consent text is shown beside the box; an animator links no target.
    hint = re.search(r'id="consent-hint">([^<]*)<', page).group(1)
    assert "Recensement 2027" in hint and 'aria-describedby="consent-hint"' in page
    assert 'name="target"' not in page

    sent = post_field(client, campaign, {"contact_name": "", "contact_email": ""})
    assert sent.status_code == 302
    [answer] = field_answers()
    assert answer.entered_by_id == world["animator"].id and answer.target_id is None
    assert answer.consented_at is not None and "Recensement 2027" in answer.consent_text
    declaration = db.session.get(Declaration, answer.declaration_id)
    assert declaration.user_id is None and declaration.claim_token
    assert declaration.current.campaign_id == campaign.id
    assert sent.headers["Location"] == f"/census/{campaign.id}/field/{answer.id}"

    # The receipt: the claim link, as text and as a QR code, and who entered it.
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f"/campaigns/claim/{declaration.claim_token}" in receipt
    assert "<svg" in receipt and "Anaïs" in receipt
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "census_field_answer"))
    assert entry.actor_id == world["animator"].id and entry.target_kind == "answer"
    assert entry.target_id == answer.id and INDEPENDENT["activity"] not in (
        entry.detail + entry.target_label + entry.reason)


def test_without_consent_nothing_is_stored_and_nothing_typed_is_lost(app, client, world):
    login_as(client, world["animator"])
    sent = post_field(client, world["campaign"], {"consent": ""})
    assert sent.status_code == 422
    body = sent.get_data(as_text=True)
    assert "consentement" in body.lower() or "consent" in body.lower()
    assert INDEPENDENT["activity"] in body
    assert field_answers() == []
    assert db.session.scalar(select(func.count()).select_from(Declaration)) == 0


def test_sent_twice_with_the_same_key_it_is_stored_once(app, client, world):
    login_as(client, world["animator"])
    first = post_field(client, world["campaign"], {}, key="field-key-1")
    again = post_field(client, world["campaign"], {}, key="field-key-1")
    assert first.status_code == 302 and again.status_code in (302, 303)
    assert again.headers["Location"].endswith(first.headers["Location"])
    assert len(field_answers()) == 1


def test_a_referent_links_an_answer_to_a_target_of_their_epci(app, client, world):
    campaign, rodez, millau = world["campaign"], world["rodez"], world["millau"]
    mine = db.session.scalars(select(CensusTarget).where(
        CensusTarget.epci_code == rodez)).first()
    theirs = db.session.scalars(select(CensusTarget).where(
        CensusTarget.epci_code == millau)).first()
    login_as(client, world["referent"])
    page = client.get(field_url(campaign)).get_data(as_text=True)
    assert f'value="{mine.id}"' in page and f'value="{theirs.id}"' not in page
    refused = post_field(client, campaign, {"target": str(theirs.id)})
    assert refused.status_code == 422 and field_answers() == []
    sent = post_field(client, campaign, {"target": str(mine.id)})
    assert sent.status_code == 302
    [answer] = field_answers()
    assert answer.target_id == mine.id
    db.session.expire_all()
    target = db.session.get(CensusTarget, mine.id)
    assert target.status == OutreachStatus.ANSWERED and target.status_by_id == \
        world["referent"].id
    logged = db.session.scalars(select(AuditEntry.target_kind).where(
        AuditEntry.action == "census_field_answer")).all()
    assert sorted(logged) == ["answer", "census"]
    # Answered: no longer offered.
    assert f'value="{mine.id}"' not in client.get(field_url(campaign)).get_data(as_text=True)


def test_the_person_claims_the_answer_and_it_stays_marked_entered_by(app, client, world,
                                                                     make_user):
    login_as(client, world["organiser"])
    sent = post_field(client, world["campaign"], {})
    [answer] = field_answers()
    token = db.session.get(Declaration, answer.declaration_id).claim_token
    logout(client)
    person = make_user("person@example.org", display_name="Paule")
    login_as(client, person)
    page = client.get(f"/campaigns/claim/{token}")
    assert page.status_code == 200 and "Oriane" in page.get_data(as_text=True)
    done = client.post(f"/campaigns/claim/{token}",
                       data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302
    db.session.expire_all()
    answer = db.session.get(CensusAnswer, answer.id)
    declaration = db.session.get(Declaration, answer.declaration_id)
    assert declaration.user_id == person.id
    assert answer.entered_by_id == world["organiser"].id
    assert sent.status_code == 302


def test_claimed_into_an_existing_declaration_the_answer_follows(app, client, world,
                                                                  make_user):
    from tests.helpers.demand import declare
    person = make_user("person@example.org", display_name="Paule")
    declare(person.id, RODEZ)
    login_as(client, world["animator"])
    post_field(client, world["campaign"], {})
    [answer] = field_answers()
    token = db.session.get(Declaration, answer.declaration_id).claim_token
    logout(client)
    login_as(client, person)
    page = client.get(f"/campaigns/claim/{token}").get_data(as_text=True)
    client.post(f"/campaigns/claim/{token}", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    answer = db.session.get(CensusAnswer, answer.id)
    assert db.session.get(Declaration, answer.declaration_id).user_id == person.id


def test_who_may_enter_field_answers(app, client, world):
    campaign = world["campaign"]
    # Visitors are sent to log in; members and animators elsewhere are refused.
    assert client.get(field_url(campaign)).status_code == 302
    for who in ("member", "far_animator"):
        login_as(client, world[who])
        assert client.get(field_url(campaign)).status_code == 403
        assert client.get("/census/").status_code == 403
        page = client.get("/")
        sent = client.post(field_url(campaign), data={
            **INDEPENDENT, "consent": "y", "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert sent.status_code == 403
        logout(client)
    assert field_answers() == []
    # Without the CSRF token: nothing stored.
    login_as(client, world["animator"])
    sent = client.post(field_url(campaign), data={**INDEPENDENT, "consent": "y"})
    assert sent.status_code in (400, 422) and field_answers() == []
    # Someone else's receipt is not found.
    logout(client)
    login_as(client, world["organiser"])
    post_field(client, campaign, {})
    [answer] = field_answers()
    logout(client)
    login_as(client, world["animator"])
    assert client.get(f"/census/{campaign.id}/field/{answer.id}").status_code == 404
    # An animator does not see the campaign's targets or progress.
    assert client.get(f"/census/{campaign.id}/").status_code == 403
    assert client.get(f"/census/{campaign.id}/progress").status_code == 403


def test_a_closed_campaign_takes_no_field_answer(app, client, world):
    campaign = world["campaign"]
    login_as(client, world["referent"])
    page = client.get(field_url(campaign)).get_data(as_text=True)
    campaign.ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    sent = client.post(field_url(campaign), data={**INDEPENDENT, "consent": "y",
                                                  "csrf_token": csrf_from(page)})
    assert sent.status_code == 422 and field_answers() == []
    assert "La campagne est close" in sent.get_data(as_text=True)
