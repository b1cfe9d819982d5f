"""The tiers-lieux directory: a place with pricing plans and a free first month, who may edit,
filters and JSON, "I would use this place", and governance polls (one vote per member)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Place, PlaceInterest, Poll, Proposal, Vote, db
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as

RODEZ = {
    "name": "Espace de coworking de Rodez", "status": "open", "commune": "Rodez",
    "address": "Centre-ville", "description": "Au **cœur** de la ville", "capacity_desks": "18",
    "surface_m2": "150", "rent_eur_month": "1 500", "equipment": ["fibre_wifi", "printer"],
    "opening_hours": "9 h – 19 h", "free_first_month": "y",
    "plans-0-name": "Permanent", "plans-0-price": "250", "plans-0-period": "month",
    "plans-0-tax_included": "y",
    "plans-1-name": "20 jours / trimestre", "plans-1-price": "100", "plans-1-period": "quarter",
    "plans-1-included_days": "20", "plans-1-tax_included": "y",
    "plans-2-name": "", "plans-2-price": "", "plans-2-period": "day",
    "charter": "Bienveillance", "governance_model": "Association",
}


@pytest.fixture
def organiser(client, make_user):
    user = make_user("orga@example.org", role="organiser")
    login_as(client, user)
    return user


def create(client, data=RODEZ):
    token = csrf_from(client.get("/places/new").get_data(as_text=True))
    return client.post("/places/new", data={**data, "csrf_token": token})


def test_place_with_two_plans_and_free_first_month(client, organiser):
    r = create(client)
    assert r.status_code == 302
    place = db.session.scalar(select(Place))
    assert place.surface_m2 == 150 and place.rent_eur_month == 1500 and place.free_first_month
    assert [(p.name, p.price_cents, p.period, p.included_days) for p in place.plans] == [
        ("Permanent", 25000, "month", None), ("20 jours / trimestre", 10000, "quarter", 20)]
    html = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "<strong>cœur</strong>" in html and 'class="free-month"' in html
    assert "250" in html and "100" in html
    data = client.get(f"/api/v1/places/{place.id}").get_json()
    assert data["plans"][0] == {"name": "Permanent", "price_eur": 250.0, "period": "month",
                                "included_days": None, "tax_included": True}
    assert data["surface_m2"] == 150 and data["commune"]["name"] == "Rodez"


@pytest.mark.parametrize("change, field", [
    ({"plans-0-price": "-5"}, "plans-0-price"), ({"plans-0-price": "abc"}, "plans-0-price"),
    ({"plans-1-included_days": "1e9"}, "plans-1-included_days"),
    ({"plans-0-name": "", "plans-0-price": "250"}, "plans-0-name"),
    ({"commune": "Gotham"}, "commune"), ({"surface_m2": "-150"}, "surface_m2"),
    ({"name": "<>"}, "name"), ({"status": "demolished"}, "status"),
])
def test_bad_place_input(client, organiser, change, field):
    r = create(client, {**RODEZ, **change})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f'id="{field}-error"' in html
    assert "Bienveillance" in html  # the rest is kept
    assert db.session.scalar(select(func.count(Place.id))) == 0


def test_who_may_create_and_edit(app, client, organiser, make_user):
    create(client)
    place = db.session.scalar(select(Place))
    member, animator = make_user("m@example.org"), make_user("anim@example.org")
    cm = app.test_client()
    login_as(cm, member)
    assert cm.get("/places/new").status_code == 403
    assert cm.get(f"/places/{place.id}/edit").status_code == 403
    assert cm.post(f"/places/{place.id}/edit", data={**RODEZ, "name": "Hacked",
                   "csrf_token": csrf_from(cm.get("/").get_data(as_text=True))}).status_code == 403
    # The organiser appoints an animator, who may then edit the place.
    page = client.get(f"/places/{place.id}/animators").get_data(as_text=True)
    client.post(f"/places/{place.id}/animators", data={"email": "ANIM@example.org ",
                                                       "csrf_token": csrf_from(page)})
    ca = app.test_client()
    login_as(ca, animator)
    edit_page = ca.get(f"/places/{place.id}/edit").get_data(as_text=True)
    assert 'value="Permanent"' in edit_page and 'value="250"' in edit_page
    r = ca.post(f"/places/{place.id}/edit", data={**RODEZ, "name": "Le Coworking",
                                                  "csrf_token": csrf_from(edit_page)})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Place, place.id).name == "Le Coworking"
    assert ca.get(f"/places/{place.id}/animators").status_code == 403


def test_filters_and_list(client, organiser):
    create(client)
    create(client, {**RODEZ, "name": "Projet de Rignac", "commune": "Rignac", "status": "project",
                    "equipment": ["kitchen"]})
    names = lambda q: {i["name"] for i in client.get(f"/api/v1/places?{q}").get_json()["items"]}  # noqa: E731
    assert names("status=project") == {"Projet de Rignac"}
    assert names("equipment=printer") == {"Espace de coworking de Rodez"}
    assert names("commune=Rignac") == {"Projet de Rignac"}
    assert names("commune=Gotham&page=999999999999") == set()
    html = client.get("/places/?status=open").get_data(as_text=True)
    assert "Espace de coworking de Rodez" in html and "Projet de Rignac" not in html


def test_i_would_use_this_place_is_linked_to_my_declaration(client, organiser):
    create(client)
    place = db.session.scalar(select(Place))
    token = csrf_from(client.get(f"/places/{place.id}").get_data(as_text=True))
    client.post(f"/places/{place.id}/interest", data={"on": "1", "csrf_token": token})
    client.post(f"/places/{place.id}/interest", data={"on": "1", "csrf_token": token})  # twice
    assert db.session.scalar(select(func.count()).select_from(PlaceInterest)) == 1
    client.post(f"/places/{place.id}/interest", data={"on": "0", "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(PlaceInterest)) == 0


@pytest.fixture
def poll(client, organiser):
    create(client, {**RODEZ, "status": "project"})
    place = db.session.scalar(select(Place))
    poll = Poll(place_id=place.id, kind="name", question="Quel nom ?",
                closes_at=utcnow() + timedelta(days=3))
    db.session.add(poll)
    db.session.flush()
    db.session.add_all([Proposal(poll_id=poll.id, text=t, text_key=t.lower(), status="approved")
                        for t in ("Le Relais", "L'Escale")])
    db.session.commit()
    return poll


def test_one_vote_per_member(app, poll, make_user):
    client = app.test_client()
    login_as(client, make_user("voter@example.org"))
    url = f"/places/{poll.place_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    first, second = poll.proposals
    client.post(f"{url}/polls/{poll.id}/vote", data={"proposal": first.id, "csrf_token": token})
    client.post(f"{url}/polls/{poll.id}/vote", data={"proposal": second.id, "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1
    html = client.get(url).get_data(as_text=True)
    assert 'class="flash flash-error"' in html
    assert 'name="proposal"' not in html  # no second ballot offered


def test_closed_poll_refuses_votes_and_bad_proposals(app, poll, make_user):
    client = app.test_client()
    login_as(client, make_user("voter@example.org"))
    url = f"/places/{poll.place_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    for bad in ("", "abc", "99999999", str(poll.proposals[0].id + 1000)):
        client.post(f"{url}/polls/{poll.id}/vote", data={"proposal": bad, "csrf_token": token})
    poll.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.post(f"{url}/polls/{poll.id}/vote", data={"proposal": poll.proposals[0].id,
                                                     "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0


def test_proposals_are_moderated_by_the_place_editors(app, client, poll, make_user):
    member = app.test_client()
    login_as(member, make_user("m@example.org"))
    url = f"/places/{poll.place_id}"
    token = csrf_from(member.get(url).get_data(as_text=True))
    member.post(f"{url}/polls/{poll.id}/proposals",
                data={f"p{poll.id}-text": "<script>x</script>La Ruche",
                      f"p{poll.id}-csrf_token": token})
    proposal = db.session.scalar(select(Proposal).where(Proposal.status == "pending"))
    assert proposal is not None
    assert "La Ruche" not in member.get(url).get_data(as_text=True)  # not shown before moderation
    assert member.post(f"{url}/proposals/{proposal.id}/approve",
                       data={"csrf_token": token}).status_code == 403
    client.post(f"{url}/proposals/{proposal.id}/approve",
                data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    db.session.refresh(proposal)
    assert proposal.status == "approved"
    html = member.get(url).get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;La Ruche" in html


def test_a_refused_proposal_or_poll_keeps_what_was_typed(client, poll):
    url = f"/places/{poll.place_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    r = client.post(f"{url}/polls/{poll.id}/proposals",
                    data={f"p{poll.id}-text": "x" * 500, f"p{poll.id}-csrf_token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "x" * 500 in html and f'id="p{poll.id}-text-error"' in html
    # An expired form (no valid token) is explained, and the text is still there.
    r = client.post(f"{url}/polls/{poll.id}/proposals",
                    data={f"p{poll.id}-text": "Le Relais du Ségala", f"p{poll.id}-csrf_token": "x"})
    assert r.status_code == 422 and 'value="Le Relais du Ségala"' in r.get_data(as_text=True)
    r = client.post(f"{url}/polls", data={"kind": "theme", "question": "Quel thème ?",
                                          "days": "1e9", "csrf_token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="Quel thème ?"' in html and 'id="days-error"' in html


def test_moderation_is_final_and_closed_polls_do_not_change(app, client, poll, make_user):
    voter = app.test_client()
    login_as(voter, make_user("v@example.org"))
    url = f"/places/{poll.place_id}"
    first = poll.proposals[0]
    voter.post(f"{url}/polls/{poll.id}/vote",
               data={"proposal": first.id, "csrf_token": csrf_from(voter.get(url).get_data(as_text=True))})
    token = csrf_from(client.get(url).get_data(as_text=True))
    client.post(f"{url}/proposals/{first.id}/reject", data={"csrf_token": token})
    db.session.refresh(first)
    assert first.status == "approved"  # already decided: results do not change under voters
    pending = Proposal(poll_id=poll.id, text="Tard", text_key="tard", status="pending")
    db.session.add(pending)
    poll.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.post(f"{url}/proposals/{pending.id}/approve", data={"csrf_token": token})
    db.session.refresh(pending)
    assert pending.status == "pending"
