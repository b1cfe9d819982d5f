"""Personal access tokens (issue 27): the settings page (created, shown once, stored hashed,
revoked), Bearer authentication, the scope matrix, the visibility of the pages, the organiser
scope's audit, the per-token rate limit, and what cookies and CSRF do (nothing) on token routes."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.api.contract import ORGANISER_READ, READ, SCOPES, WRITE_POSTS, WRITE_PROFILE
from app.api.token_service import create_token
from models import AccessToken, AuditEntry, Post, db
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as


def bearer(secret: str, lang: str = "en") -> dict:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": lang}


def token_for(user, *scopes, days=None) -> str:
    _token, secret = create_token(db.session, user, "test", list(scopes), days)
    db.session.commit()
    return secret


@pytest.fixture
def world(app, make_user, make_network):
    app.config["API_CHECK_RESPONSES"] = True
    member = make_user(email="ana@example.org", display_name="Ana Member")
    organiser = make_user(email="olga@example.org", display_name="Olga Organiser", role="organiser")
    other = make_user(email="hidden@example.org", display_name="Hidden Other", visibility="members")
    network = make_network(member, name="Réseau ouvert")
    private = make_network(other, name="Réseau privé", visibility="private")
    return {"member": member, "organiser": organiser, "other": other, "network": network,
            "private": private}


def operations(world) -> list[tuple[str, str, str, dict | None]]:
    """(scope, method, path, body): one or more operations of each scope."""
    network = world["network"].id
    return [
        (READ, "GET", "/api/v1/profiles", None),
        (READ, "GET", f"/api/v1/networks/{network}/posts", None),
        (READ, "GET", "/api/v1/rooms", None),
        (WRITE_PROFILE, "PATCH", "/api/v1/me/profile", {"headline": "Ébéniste"}),
        (WRITE_POSTS, "POST", f"/api/v1/networks/{network}/posts", {"body": "Bonjour à tous"}),
        (ORGANISER_READ, "GET", "/api/v1/demand/clusters", None),
    ]


def test_each_scope_is_allowed_exactly_its_operations(app, client, world):
    for scope in SCOPES:
        user = world["organiser"] if scope == ORGANISER_READ else world["member"]
        if scope == WRITE_POSTS:
            # The organiser is no member of the network: only the member writes there.
            user = world["member"]
        secret = token_for(user, scope)
        for needed, method, path, body in operations(world):
            if needed == WRITE_POSTS and user is not world["member"]:
                continue
            r = client.open(path, method=method, json=body, headers=bearer(secret))
            if needed == scope:
                assert r.status_code in (200, 201), (scope, path, r.get_json())
            else:
                assert r.status_code == 403, (scope, path, r.status_code)
                assert r.get_json()["code"] == "insufficient_scope"


def test_a_write_with_a_token_needs_no_csrf_and_reads_back(app, client, world):
    secret = token_for(world["member"], READ, WRITE_POSTS, WRITE_PROFILE)
    network = world["network"].id
    r = client.post(f"/api/v1/networks/{network}/posts", json={"body": "Un atelier samedi"},
                    headers=bearer(secret))
    assert r.status_code == 201 and r.get_json()["body"] == "Un atelier samedi"
    post_id = r.get_json()["id"]
    posts = client.get(f"/api/v1/networks/{network}/posts", headers=bearer(secret)).get_json()
    assert posts["items"][0]["id"] == post_id
    r = client.post(f"/api/v1/networks/{network}/posts/{post_id}/comments",
                    json={"body": "J’y serai"}, headers=bearer(secret))
    assert r.status_code == 201 and db.session.get(Post, post_id).comment_count == 1
    r = client.patch("/api/v1/me/profile", json={"headline": "Menuisière", "commune": "Rodez"},
                     headers=bearer(secret))
    assert r.status_code == 200 and r.get_json()["headline"] == "Menuisière"
    assert r.get_json()["commune"]["code"] == "12202"


def test_writes_refuse_what_the_pages_refuse_with_a_translated_detail(app, client, world):
    secret = token_for(world["member"], WRITE_POSTS, WRITE_PROFILE)
    network = world["network"].id
    r = client.post(f"/api/v1/networks/{network}/posts", json={"body": "   "},
                    headers=bearer(secret, "fr"))
    assert r.status_code == 422 and r.get_json()["fields"]["body"]
    r = client.patch("/api/v1/me/profile", json={"commune": "Nulle-Part-Sur-Rien"},
                     headers=bearer(secret, "fr"))
    assert r.status_code == 422 and "commune" in r.get_json()["fields"]
    r = client.post(f"/api/v1/networks/{network}/posts", json={"body": 5},
                    headers=bearer(secret))
    assert r.status_code == 400
    # Not a member of the private network: the page's 404 (its existence is not confirmed).
    private = world["private"].id
    r = client.post(f"/api/v1/networks/{private}/posts", json={"body": "Intrus"},
                    headers=bearer(secret))
    assert r.status_code == 404
    # A member of the world who did not join an open network: 403, the page's reason.
    stranger = token_for(world["other"], WRITE_POSTS)
    r = client.post(f"/api/v1/networks/{network}/posts", json={"body": "Coucou"},
                    headers=bearer(stranger, "fr"))
    assert r.status_code == 403 and "réseau" in r.get_json()["detail"]


def test_revoked_expired_and_unknown_tokens_get_a_translated_401(app, client, world):
    member = world["member"]
    secret = token_for(member, READ)
    assert client.get("/api/v1/rooms", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(select(AccessToken).where(AccessToken.user_id == member.id))
    assert token.last_used_at is not None
    # Stored hashed: the secret is nowhere in the row.
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.prefix, token.name, token.scopes)
    token.revoked_at = utcnow()
    db.session.commit()
    r = client.get("/api/v1/rooms", headers=bearer(secret, "fr"))
    assert r.status_code == 401 and "révoqué" in r.get_json()["detail"]
    expired = token_for(member, READ, days=1)
    row = db.session.scalar(select(AccessToken).where(AccessToken.revoked_at.is_(None)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.get("/api/v1/rooms", headers=bearer(expired, "fr"))
    assert r.status_code == 401 and "expiré" in r.get_json()["detail"]
    r = client.get("/api/v1/profiles", headers=bearer("mlg_nothing"))
    assert r.status_code == 401 and r.get_json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_cookies_do_not_authenticate_token_routes(app, client, world):
    login_as(client, world["member"])
    r = client.post(f"/api/v1/networks/{world['network'].id}/posts", json={"body": "Par cookie"},
                    headers={"X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True))})
    assert r.status_code == 401 and r.get_json()["code"] == "token_required"
    # A bad token with a good cookie: refused, never the cookie's member instead.
    assert client.get("/api/v1/rooms", headers=bearer("mlg_bad")).status_code == 401
    # Staff routes take no token at all.
    secret = token_for(world["member"], *SCOPES)
    assert client.get("/api/v1/moderation/reports", headers=bearer(secret)).status_code == 403


def test_a_token_sees_what_its_member_sees_on_the_pages_and_no_more(app, client, world):
    other, member = world["other"], world["member"]
    secret = token_for(member, READ)
    # A members-only profile: visible to a member (as on the pages), never their e-mail.
    r = client.get(f"/api/v1/profiles/{other.profile.id}", headers=bearer(secret))
    assert r.status_code == 200 and other.email not in r.get_data(as_text=True)
    assert client.get(f"/api/v1/profiles/{other.profile.id}").status_code == 404
    # Another member's private network and its posts: 404 as on the pages.
    private = world["private"].id
    assert client.get(f"/api/v1/networks/{private}", headers=bearer(secret)).status_code == 404
    assert client.get(f"/api/v1/networks/{private}/posts",
                      headers=bearer(secret)).status_code == 404
    # Their own token sees it.
    theirs = token_for(other, READ)
    assert client.get(f"/api/v1/networks/{private}/posts",
                      headers=bearer(theirs)).status_code == 200
    # Nobody's private conversation: another member's room is a 404.
    from app.chat.rooms import direct_room
    world["organiser"].profile.direct_messages = "members"
    room = direct_room(db.session, other, world["organiser"])
    db.session.commit()
    assert client.get(f"/api/v1/rooms/{room.id}/messages",
                      headers=bearer(secret)).status_code == 404
    # The token's member and only theirs: a cookie of someone else changes nothing.
    login_as(client, other)
    rooms = client.get("/api/v1/rooms", headers=bearer(secret)).get_json()["items"]
    assert [r["title"] for r in rooms] == ["Réseau ouvert"]  # Ana's network, not Hidden's
    rooms = client.get("/api/v1/rooms").get_json()["items"]  # the cookie: Hidden's own
    assert room.id in {r["id"] for r in rooms}


def test_organiser_scope_is_for_organisers_and_each_use_is_audited(app, client, world):
    member_secret = token_for(world["member"], ORGANISER_READ)  # dropped: not an organiser
    assert client.get("/api/v1/demand/clusters",
                      headers=bearer(member_secret)).status_code == 403
    secret = token_for(world["organiser"], ORGANISER_READ)
    before = db.session.query(AuditEntry).filter_by(action="api_token").count()
    assert client.get("/api/v1/demand/clusters", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/demand/clusters?k=2", headers=bearer(secret)).status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token")).all()
    assert len(entries) == before + 2
    assert entries[-1].actor_id == world["organiser"].id and "k=2" not in entries[-1].detail
    assert entries[-1].detail == "GET /api/v1/demand/clusters"


def test_rate_limited_per_token(app, client, world):
    app.config["API_TOKEN_RATE_LIMIT"] = "2 per minute"
    first, second = token_for(world["member"], READ), token_for(world["member"], READ)
    assert client.get("/api/v1/skills", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/skills", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/skills", headers=bearer(first)).status_code == 429
    assert client.get("/api/v1/skills", headers=bearer(second)).status_code == 200
    assert client.get("/api/v1/skills").status_code == 200  # no token: not this limit


def test_settings_page_creates_shows_once_and_revokes(app, client, world):
    login_as(client, world["member"])
    page = client.get("/people/me/tokens").get_data(as_text=True)
    assert "organiser:read" not in page and 'value="write:posts"' in page
    r = client.post("/people/me/tokens", data={
        "csrf_token": csrf_from(page), "name": "Site de la mairie",
        "scopes": ["read", "write:posts"], "expires": "30"})
    assert r.status_code == 201, re.findall(r'<li><a href="#[^"]*">([^<]*)', r.get_data(as_text=True))
    secret = re.search(r'<code id="new-token"[^>]*>(mlg_[^<]+)</code>', r.get_data(as_text=True))[1]
    assert client.get("/api/v1/rooms", headers=bearer(secret)).status_code == 200
    page = client.get("/people/me/tokens").get_data(as_text=True)
    assert "Site de la mairie" in page and secret not in page
    token = db.session.scalar(select(AccessToken).where(AccessToken.name == "Site de la mairie"))
    assert token.scope_list == [READ, WRITE_POSTS] and token.expires_at is not None
    # Nothing named: the form again, with its error, what was typed kept.
    r = client.post("/people/me/tokens", data={"csrf_token": csrf_from(page), "name": "",
                                               "scopes": ["read"]})
    assert r.status_code == 422
    r = client.post(f"/people/me/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert client.get("/api/v1/rooms", headers=bearer(secret)).status_code == 401
    # Someone else's token cannot be revoked by this member.
    theirs = token_for(world["other"], READ)
    other_id = db.session.scalar(select(AccessToken.id).where(
        AccessToken.user_id == world["other"].id))
    r = client.post(f"/people/me/tokens/{other_id}/revoke", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404
    assert client.get("/api/v1/rooms", headers=bearer(theirs)).status_code == 200


def test_register_for_an_event_with_the_pages_rules(app, client, world):
    from models import Event, EventAudience, EventKind, EventLocation
    start = utcnow() + timedelta(days=3)
    event = Event(title="Journée découverte", kind=EventKind.DISCOVERY_DAY, starts_at=start,
                  ends_at=start + timedelta(hours=3), location=EventLocation.ADDRESS,
                  address="Place de la mairie", commune_insee="12202",
                  audience=EventAudience.PUBLIC, capacity=1)
    db.session.add(event)
    db.session.commit()
    ana, olga = token_for(world["member"], WRITE_POSTS), token_for(world["organiser"], WRITE_POSTS)
    path = f"/api/v1/events/{event.id}/registration"
    assert client.post(path, headers=bearer(ana)).get_json()["status"] == "registered"
    assert client.post(path, headers=bearer(ana)).get_json()["status"] == "registered"  # again
    assert client.post(path, headers=bearer(olga)).get_json()["status"] == "waiting"
    reader = token_for(world["member"], READ)
    assert client.post(path, headers=bearer(reader)).status_code == 403
    assert client.post("/api/v1/events/999999/registration",
                       headers=bearer(ana)).status_code == 404


def test_declare_then_update_my_coworking_interest(app, client, world):
    from models import Declaration
    secret = token_for(world["member"], WRITE_PROFILE)
    interest = {"track": "independent", "activity": "Illustratrice", "home_commune": "Rodez",
                "days_per_week": "2,5", "formula": "permanent", "budget_eur_month": "150",
                "equipment": ["printer"], "free_first_month": True,
                "acceptable_communes": "Rodez", "horizon": "now"}
    r = client.put("/api/v1/me/interest", json=interest, headers=bearer(secret))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 1 and r.get_json()["days_per_week"] == 2.5
    r = client.put("/api/v1/me/interest", json={**interest, "days_per_week": "3"},
                   headers=bearer(secret))
    assert r.get_json()["version"] == 2 and r.get_json()["id"] == \
        db.session.scalar(select(Declaration.id).where(Declaration.user_id == world["member"].id))
    # The form's own messages, translated.
    r = client.put("/api/v1/me/interest", json={**interest, "days_per_week": "9"},
                   headers=bearer(secret, "fr"))
    assert r.status_code == 422 and "days_per_week" in r.get_json()["fields"]
    r = client.put("/api/v1/me/interest", json={**interest, "colour": "blue"},
                   headers=bearer(secret))
    assert r.status_code == 400  # an unknown field is an error, not ignored
    r = client.put("/api/v1/me/interest", json={**interest, "for_company": True},
                   headers=bearer(secret))
    assert r.status_code == 403


def test_send_a_chat_message_with_the_sockets_function_and_idempotency_key(app, client, world):
    secret = token_for(world["member"], READ, WRITE_POSTS)
    room = client.get("/api/v1/rooms", headers=bearer(secret)).get_json()["items"][0]["id"]
    path = f"/api/v1/rooms/{room}/messages"
    first = client.post(path, json={"body": "Salut **tous**", "client_id": "k-1"},
                        headers=bearer(secret))
    assert first.status_code == 201 and "<strong>tous</strong>" in first.get_json()["body_html"]
    again = client.post(path, json={"body": "Salut **tous**", "client_id": "k-1"},
                        headers=bearer(secret))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    history = client.get(path, headers=bearer(secret)).get_json()["items"]
    assert [m["body"] for m in history] == ["Salut **tous**"]  # stored once
    r = client.post(path, json={"body": "   ", "client_id": "k-2"}, headers=bearer(secret, "fr"))
    assert r.status_code == 422 and r.get_json()["code"] == "empty"
    # Another member's conversation: the socket's "not_found".
    from app.chat.rooms import direct_room
    world["organiser"].profile.direct_messages = "members"
    theirs = direct_room(db.session, world["other"], world["organiser"])
    db.session.commit()
    r = client.post(f"/api/v1/rooms/{theirs.id}/messages", json={"body": "Hé", "client_id": "x"},
                    headers=bearer(secret))
    assert r.status_code == 404
    reader = token_for(world["member"], READ)
    assert client.post(path, json={"body": "Non", "client_id": "k-3"},
                       headers=bearer(reader)).status_code == 403
