"""Connections, blocks, mentions and suggestions (must show 3: the documented order)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.social.notify import find_mentions
from app.social.suggestions import Candidate, offers_for_needs, rank, same_skill
from models import Block, Connection, Notification, db
from tests.helpers.apps import csrf_from, login_as

# Communes with their centres from the gazetteer: Rodez, Onet-le-Château (next to Rodez, ~4 km),
# Rignac (~25 km), Millau (~50 km), Mende (~90 km).


def tok(client) -> str:
    return csrf_from(client.get("/").get_data(as_text=True))


RODEZ, ONET, RIGNAC, MILLAU, MENDE = "12202", "12176", "12199", "12145", "48095"


def test_rank_by_hand():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    origin = (44.35, 2.575)
    candidates = [
        Candidate(1, 11, overlap=1, lat=44.35, lon=2.575, updated_at=t),  # 0 km: 1 × 1 = 1
        Candidate(2, 12, overlap=2, lat=44.575, lon=2.575, updated_at=t),  # 25 km: 2 × 1/2 = 1
        Candidate(3, 13, overlap=3, lat=None, lon=None, updated_at=t),  # 100 km: 3 × 1/5 = .6
        Candidate(4, 14, overlap=1, lat=44.575, lon=2.575, updated_at=t),  # 1 × 1/2 = .5
    ]
    ranked = rank(origin, candidates)
    assert [s.profile_id for s in ranked] == [1, 2, 3, 4]  # 1 and 2 tie: the nearer first
    assert ranked[0].score == pytest.approx(1.0)
    assert ranked[1].score == pytest.approx(1.0, rel=1e-2)
    assert ranked[2].score == pytest.approx(0.6) and ranked[2].distance_km is None


def test_same_skill_suggestions_in_documented_order(app, make_user):
    me = make_user(commune=RODEZ, skills=("menuiserie", "charpente"))
    next_door_one = make_user(commune=ONET, skills=("menuisier",), display_name="Next door")
    rignac_two = make_user(commune=RIGNAC, skills=("menuiserie", "charpentier"), display_name="Rignac")
    millau_two = make_user(commune=MILLAU, skills=("menuiserie", "charpente"), display_name="Millau")
    mende_one = make_user(commune=MENDE, skills=("charpente",), display_name="Mende")
    make_user(commune=RODEZ, skills=("photographie",), display_name="No overlap")
    blocked = make_user(commune=RODEZ, skills=("menuiserie", "charpente"), display_name="Blocked")
    blocker = make_user(commune=RODEZ, skills=("menuiserie", "charpente"), display_name="Blocker")
    db.session.add_all([Block(blocker_id=me.id, blocked_id=blocked.id),
                        Block(blocker_id=blocker.id, blocked_id=me.id)])
    db.session.commit()

    found = same_skill(db.session, me)
    # Onet ~4 km, 1 skill: 1/(1+4/25) ≈ .86; Rignac ~27 km, 2: ≈ .96; Millau ~50 km, 2: ≈ .67;
    # Mende ~80+ km, 1: ≈ .23.
    assert [s.user_id for s in found] == [rignac_two.id, next_door_one.id, millau_two.id,
                                          mende_one.id]
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True)


def test_offers_match_what_i_look_for(app, make_user):
    me = make_user(commune=RODEZ, needs="Je cherche un ou une comptable, et un photographe.")
    accountant = make_user(commune=RIGNAC, skills=("comptabilité",), display_name="Compta")
    both = make_user(commune=MILLAU, skills=("photographe",),
                     offers="Je fais aussi de la comptabilité", display_name="Both")
    make_user(commune=RODEZ, skills=("menuiserie",), display_name="Joiner")
    found = offers_for_needs(db.session, me)
    assert [s.user_id for s in found][:2] == [accountant.id, both.id] or \
        [s.user_id for s in found][:2] == [both.id, accountant.id]
    by_user = {s.user_id: s for s in found}
    assert by_user[both.id].overlap == 2 and by_user[accountant.id].overlap == 1
    assert len(found) == 2


def test_mentions():
    people = [(1, "Anne"), (2, "Anne Marie"), (3, "Élodie Puech"), (4, "Jean-Pierre")]
    assert find_mentions("merci @anne marie et @ELODIE PUECH!", people) == {2, 3}
    assert find_mentions("@Anne, @jean pierre", people) == {1, 4}
    assert find_mentions("mail anne@example.org @Annette", people) == set()


def test_connection_flow_with_notifications(app, make_user):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    page = ca.get(f"/connections/{b.id}/ask").get_data(as_text=True)
    r = ca.post(f"/connections/{b.id}/ask", data={"message": "<b>Salut</b>",
                                                 "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    connection = db.session.scalar(select(Connection))
    assert connection.status == "pending" and connection.requester_id == a.id
    page = cb.get("/connections").get_data(as_text=True)
    assert "&lt;b&gt;Salut&lt;/b&gt;" in page
    # A cannot accept their own request; B accepts.
    assert ca.post(f"/connections/{connection.id}/accept", data={
        "csrf_token": tok(ca)}).status_code == 302
    db.session.refresh(connection)
    assert connection.status == "pending"
    cb.post(f"/connections/{connection.id}/accept", data={"csrf_token": csrf_from(page)})
    db.session.refresh(connection)
    assert connection.status == "accepted"
    kinds = db.session.execute(select(Notification.user_id, Notification.kind)
                               .order_by(Notification.id)).all()
    assert kinds == [(b.id, "connection_request"), (a.id, "connection_accepted")]


def test_asking_back_accepts_and_decline_looks_pending(app, make_user):
    a, b, c = (make_user(f"{x}@example.org") for x in "abc")
    ca, cb, cc = (app.test_client() for _ in range(3))
    for client, user in ((ca, a), (cb, b), (cc, c)):
        login_as(client, user)
    token_a = tok(ca)
    ca.post(f"/connections/{b.id}/ask", data={"csrf_token": token_a})
    cb.post(f"/connections/{a.id}/ask", data={"csrf_token": tok(cb)})
    assert db.session.scalar(select(Connection.status)) == "accepted"
    cc.post(f"/connections/{a.id}/ask", data={"csrf_token": tok(cc)})
    pending = db.session.scalar(select(Connection).where(Connection.requester_id == c.id))
    ca.post(f"/connections/{pending.id}/decline", data={"csrf_token": token_a})
    html = cc.get(f"/people/{a.profile.id}").get_data(as_text=True)
    assert "pending" in html or "attente" in html


def test_block_removes_connection_and_forbids_asking(app, make_user):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    ca.post(f"/connections/{b.id}/ask", data={"csrf_token": tok(ca)})
    cb.post(f"/blocks/{a.id}", data={"csrf_token": tok(cb),
                                     "next": "//evil.example/"})
    assert db.session.scalar(select(Connection)) is None
    r = ca.post(f"/connections/{b.id}/ask", data={"csrf_token": tok(ca)})
    assert r.status_code == 302 and db.session.scalar(select(Connection)) is None
    assert db.session.scalar(select(Notification).where(Notification.user_id == b.id,
                                                        Notification.read_at.is_(None))) is not None


def test_cannot_answer_or_see_others_connections(app, make_user):
    a, b, c = (make_user(f"{x}@example.org") for x in "abc")
    ca, cc = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cc, c)
    ca.post(f"/connections/{b.id}/ask", data={"csrf_token": tok(ca)})
    connection = db.session.scalar(select(Connection))
    token_c = tok(cc)
    for action in ("accept", "decline", "withdraw"):
        r = cc.post(f"/connections/{connection.id}/{action}", data={"csrf_token": token_c})
        assert r.status_code == 404
    assert cc.post(f"/connections/{c.id}/ask", data={"csrf_token": token_c}).status_code == 302
    assert cc.post("/blocks/99999999", data={"csrf_token": token_c}).status_code == 404
    assert cc.post(f"/connections/{b.id}/ask", data={}).status_code in (400, 422)


def test_asking_back_after_declining_accepts_and_no_notification_loop(app, make_user):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    for _ in range(3):  # ask, withdraw, ask again...: one notification only
        ca.post(f"/connections/{b.id}/ask", data={"csrf_token": tok(ca)})
        connection = db.session.scalar(select(Connection))
        ca.post(f"/connections/{connection.id}/withdraw", data={"csrf_token": tok(ca)})
    ca.post(f"/connections/{b.id}/ask", data={"csrf_token": tok(ca)})
    assert len(db.session.scalars(select(Notification).where(
        Notification.user_id == b.id)).all()) == 1
    connection = db.session.scalar(select(Connection))
    cb.post(f"/connections/{connection.id}/decline", data={"csrf_token": tok(cb)})
    cb.post(f"/connections/{a.id}/ask", data={"csrf_token": tok(cb)})  # B changes their mind
    db.session.expire_all()
    assert db.session.scalar(select(Connection.status)) == "accepted"


def test_next_cannot_leave_the_site(app, make_user):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    ca = app.test_client()
    login_as(ca, a)
    for target in ("//evil.example/", "/\t/evil.example", "https://evil.example/", "/\\evil"):
        r = ca.post(f"/blocks/{b.id}", data={"csrf_token": tok(ca), "next": target})
        assert r.headers["Location"] == "/connections", target
