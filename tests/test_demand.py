"""Declarations of interest: both tracks, editing keeps every version, withdrawing, and the
hostile input of must-show 4."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.demand.validators import siret_ok
from models import Declaration, DeclarationVersion, db
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.demand import COMPANY, INDEPENDENT


@pytest.fixture
def member(client, make_user):
    user = make_user("camille@example.org")
    login_as(client, user)
    return user


def post(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def errors(response) -> list[str]:
    return re.findall(r'class="error" id="([\w-]+)"', response.get_data(as_text=True))


def current(user) -> DeclarationVersion:
    db.session.expire_all()
    return db.session.scalar(select(DeclarationVersion).join(Declaration).where(
        Declaration.user_id == user.id, DeclarationVersion.is_current))


def test_siret_checksum():
    assert siret_ok("73282932000074")  # a real SIRET
    assert not siret_ok("73282932000075")
    assert not siret_ok("7328293200007")
    assert siret_ok("35600000000100")  # La Poste: digits add up to a multiple of 5
    assert not siret_ok("35600000000101")


def test_independent_track(client, member):
    r = post(client, "/interest/new", INDEPENDENT)
    assert r.status_code == 302
    v = current(member)
    assert v.track == "independent" and v.home_commune_insee == "12199"
    assert v.acceptable_communes == ["12202", "12199"] and v.days_per_week == 2.5
    assert v.days_per_quarter == 20 and v.equipment == ["fibre_wifi", "kitchen"]
    assert v.free_first_month and v.governance == ["name_theme"]
    assert v.co2_kg_per_year == round(2 * 30 * 4 * 47 * 0.218)
    html = client.get("/interest/").get_data(as_text=True)
    assert "<em>atelier</em>" in html and "Rodez" in html


def test_company_track(client, member):
    r = post(client, "/interest/new?track=company", COMPANY)
    assert r.status_code == 302, errors(r)
    v = current(member)
    assert v.track == "company" and v.siret == "73282932000074" and v.naf_code == "62.01Z"
    assert v.headcount == 3 and v.max_distance_km == 20 and v.home_commune_insee == "12202"
    assert v.activity == "" and v.days_per_quarter is None
    assert "Programmation informatique" in client.get("/interest/").get_data(as_text=True)


def test_edit_keeps_history_and_withdraw(client, member):
    post(client, "/interest/new", INDEPENDENT)
    declaration = db.session.scalar(select(Declaration))
    edit_url = f"/interest/{declaration.id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="Rignac (12390)"' in form and 'value="2,5"' in form  # shown as typed
    post(client, edit_url, {**INDEPENDENT, "budget_eur_month": "150", "days_per_week": "3"})
    post(client, edit_url, {**COMPANY})  # a change of track is a new version too
    versions = db.session.scalars(select(DeclarationVersion).order_by(
        DeclarationVersion.number)).all()
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.is_current for v in versions] == [False, False, True]
    assert [v.budget_eur_month for v in versions] == [100, 150, 250]
    r = client.post(f"/interest/{declaration.id}/withdraw",
                    data={"csrf_token": csrf_from(client.get("/interest/").get_data(as_text=True))})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Declaration, declaration.id).withdrawn_at is not None
    history = client.get(f"/interest/{declaration.id}/history").get_data(as_text=True)
    assert history.count('class="post"') == 3
    # Declaring again reuses the same declaration, with a fourth version.
    assert client.get("/interest/new").headers["Location"].endswith(edit_url)
    post(client, edit_url, INDEPENDENT)
    db.session.expire_all()
    assert db.session.get(Declaration, declaration.id).withdrawn_at is None
    assert db.session.scalar(select(func.count(DeclarationVersion.id))) == 4


HOSTILE = [
    ({"budget_eur_month": "-50"}, "budget_eur_month"),
    ({"days_per_week": "10000"}, "days_per_week"),
    ({"days_per_week": "10,000"}, "days_per_week"),
    ({"days_per_week": "2,3"}, "days_per_week"),
    ({"days_per_week": "NaN"}, "days_per_week"),
    ({"max_distance_km": "1e9", "acceptable_communes": ""}, "max_distance_km"),
    ({"home_commune": "Atlantis"}, "home_commune"),
    ({"acceptable_communes": "Rodez, Gotham"}, "acceptable_communes"),
    ({"acceptable_communes": "", "max_distance_km": ""}, "acceptable_communes"),
    ({"formula": "free beer"}, "formula"),
    ({"days_per_quarter": ""}, "days_per_quarter"),
    ({"horizon": "<script>"}, "horizon"),
    ({"activity": "   "}, "activity"),
]


@pytest.mark.parametrize("change, field", HOSTILE)
def test_hostile_input_is_a_clear_error_keeping_the_rest(client, member, change, field):
    r = post(client, "/interest/new", {**INDEPENDENT, **change})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in html
    assert 'Partager un *atelier*' in html  # what was typed elsewhere is still there
    assert db.session.scalar(select(func.count(Declaration.id))) == 0


@pytest.mark.parametrize("change, field", [({"siret": "732 829 320 00075"}, "siret"),
                                           ({"headcount": "0"}, "headcount"),
                                           ({"naf": "99.99Z"}, "naf"),
                                           ({"company_name": ""}, "company_name")])
def test_hostile_company_input(client, member, change, field):
    r = post(client, "/interest/new?track=company", {**COMPANY, **change})
    assert r.status_code == 422 and f'id="{field}-error"' in r.get_data(as_text=True)


def test_html_in_every_text_field_is_inert(client, member):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    r = post(client, "/interest/new", {**INDEPENDENT, "activity": evil, "dynamics": evil})
    assert r.status_code == 302
    html = client.get("/interest/").get_data(as_text=True)
    assert "<script>alert" not in html and "onerror=alert(2)>" not in html
    declaration = db.session.scalar(select(Declaration))
    r = post(client, f"/interest/{declaration.id}/edit", {**COMPANY, "company_name": evil})
    assert r.status_code == 302
    html = client.get(f"/interest/{declaration.id}/history").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


def test_someone_elses_declaration_is_404(app, client, member, make_user):
    other = make_user("other@example.org")
    other_client = app.test_client()
    login_as(other_client, other)
    post(other_client, "/interest/new", INDEPENDENT)
    theirs = db.session.scalar(select(Declaration).where(Declaration.user_id == other.id))
    token = csrf_from(client.get("/interest/").get_data(as_text=True))
    for url in (f"/interest/{theirs.id}/edit", f"/interest/{theirs.id}/history"):
        assert client.get(url).status_code == 404
    assert client.post(f"/interest/{theirs.id}/edit",
                       data={**INDEPENDENT, "csrf_token": token}).status_code == 404
    assert client.post(f"/interest/{theirs.id}/withdraw",
                       data={"csrf_token": token}).status_code == 404
    assert client.get("/interest/99999999999999999999/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Declaration, theirs.id).withdrawn_at is None


def test_company_declaration_only_for_organisation_accounts(client, member, make_user):
    assert client.get("/interest/new?for=company").status_code == 403
    member.profile.kind = "company"
    db.session.commit()
    post(client, "/interest/new", INDEPENDENT)
    r = post(client, "/interest/new?for=company", COMPANY)
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(Declaration.id))) == 2


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/interest/new").status_code == 302


@pytest.mark.parametrize("typed", ["٣", "１２", "1_000", "inf", "nan", "1e400", "--2", "2,5,5"])
def test_only_plain_digits_are_numbers(client, member, typed):
    r = post(client, "/interest/new", {**INDEPENDENT, "days_per_week": typed})
    assert r.status_code == 422 and 'id="days_per_week-error"' in r.get_data(as_text=True)


def test_numbers_come_back_exactly_in_the_edit_form(client, member):
    post(client, "/interest/new", {**INDEPENDENT, "commute_km": "12,345678"})
    declaration = db.session.scalar(select(Declaration))
    assert 'value="12,345678"' in client.get(f"/interest/{declaration.id}/edit").get_data(as_text=True)


def test_withdrawing_asks_first(client, member):
    """The page's "Retirer" leads to a question (without JavaScript a page); only its POST, with
    the CSRF token, withdraws (issue 21)."""
    post(client, "/interest/new", INDEPENDENT)
    declaration = db.session.scalar(select(Declaration))
    url = f"/interest/{declaration.id}/withdraw"
    index = client.get("/interest/").get_data(as_text=True)
    assert f'<form method="get" action="{url}"' in index
    assert f'<form method="post" action="{url}"' not in index
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Retirer cette déclaration" in html
    assert f'<form method="post" action="{url}">' in html and 'href="/interest/"' in html
    db.session.expire_all()
    assert db.session.get(Declaration, declaration.id).withdrawn_at is None
    assert client.post(url, data={}).status_code == 400
    assert client.post(url, data={"csrf_token": csrf_from(html)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Declaration, declaration.id).withdrawn_at is not None
