"""Private messages stay private (issue 20): organisers and admins see a direct, group or
private network's message only when it was reported (with its immediate context) or through an
investigation access (a reason, audited, told to the people, limited in time). Everywhere a
room's history is read: the pages, the JSON API, the socket's join and missed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import (
    AuditEntry,
    InvestigationAccess,
    Membership,
    Notification,
    NotificationKind,
    db,
)
from models.types import utcnow
from tests.helpers.apps import base_config, csrf_from, login_as
from tests.helpers.chat import sock
from tests.helpers.staff import direct_conversation, post_form, send_messages


@pytest.fixture
def app_config(db_path):
    return {**base_config(db_path), "CHAT_RATE_LIMIT": "1000 per 10 seconds",
            "LOGIN_RATE_LIMIT": "1000 per minute"}  # many logins from one test address


@pytest.fixture
def world(app, make_user):
    alice = make_user(display_name="Alice Dupont")
    bob = make_user(display_name="Bob Martin")
    olga = make_user(display_name="Olga Organisatrice", role="organiser")
    room, ids = direct_conversation(app, alice, bob, 8)
    return alice, bob, olga, room, ids


def client_for(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def refused_everywhere(app, client, user, room_id: int, message_id: int) -> None:
    """Every way of reading: the same answer as for a room or message that does not exist."""
    missing_room, missing_message = room_id + 1000, message_id + 1000
    assert client.get(f"/moderation/message/{message_id}").status_code == 404
    assert client.get(f"/moderation/message/{missing_message}").status_code == 404
    assert client.get(f"/chat/{room_id}").status_code == 404
    api = client.get(f"/api/v1/rooms/{room_id}/messages")
    nothing = client.get(f"/api/v1/rooms/{missing_room}/messages")
    assert (api.status_code, api.get_data()) == (nothing.status_code, nothing.get_data())
    assert api.status_code == 404
    socket = sock(app, user)
    for event, payload in (("join", {"last_seq": 0}), ("missed", {"last_seq": 0})):
        ack = socket.emit(event, {"room": room_id, **payload}, namespace="/chat", callback=True)
        other = socket.emit(event, {"room": missing_room, **payload}, namespace="/chat",
                            callback=True)
        assert ack == other and ack["error"]["code"] == "not_found"
    # Acting on it by id (JSON API) is refused as for a message that does not exist.
    token = csrf_from(client.get("/").get_data(as_text=True))
    for target in (message_id, missing_message):
        act = client.post("/api/v1/moderation/actions", headers={"X-CSRFToken": token}, json={
            "action": "hide", "kind": "message", "target": target, "reason": "curiosité"})
        assert act.status_code == 404 and act.get_json()["error"]["code"] == "not_found"


def test_an_organiser_cannot_read_an_unreported_private_message(app, world, make_user,
                                                                make_network):
    alice, bob, olga, room, ids = world
    olga_client = client_for(app, olga)
    refused_everywhere(app, olga_client, olga, room.id, ids[2])
    # A group and a private network's room: the same.
    carl = make_user(display_name="Carl")
    network = make_network(carl, visibility="private")
    db.session.add(Membership(network_id=network.id, user_id=alice.id, status="active",
                              accepted_charter_version=network.charter_version))
    db.session.commit()
    from app.chat.rooms import network_room
    net_room = network_room(db.session, network)
    db.session.commit()
    net_ids = send_messages(app, net_room.id, [carl, alice], 2, prefix="net")
    refused_everywhere(app, olga_client, olga, net_room.id, net_ids[0])
    # Admins too; the participants still read everything.
    admin = make_user(display_name="Adèle Admin", role="admin")
    refused_everywhere(app, client_for(app, admin), admin, room.id, ids[0])
    mine = client_for(app, alice).get(f"/api/v1/rooms/{room.id}/messages").get_json()
    assert [m["body"] for m in mine["items"]] == [f"msg-{n}" for n in range(1, 9)]
    # The network's animator (a member of its room) reads it as before.
    assert client_for(app, carl).get(f"/api/v1/rooms/{net_room.id}/messages").status_code == 200


def test_a_reported_message_is_seen_with_its_immediate_context_only(app, world):
    alice, bob, olga, room, ids = world
    alice_client = client_for(app, alice)
    page = alice_client.get(f"/chat/{room.id}").get_data(as_text=True)
    assert f"/moderation/report/message/{ids[3]}" in page  # bob's "msg-4"
    reported = alice_client.post(f"/moderation/report/message/{ids[3]}", data={
        "reason": "harassment", "note": "insultes", "csrf_token": csrf_from(page)})
    assert reported.status_code == 302
    olga_client = client_for(app, olga)
    queue = olga_client.get("/moderation/").get_data(as_text=True)
    assert f"message-{ids[3]}" in queue
    target = olga_client.get(f"/moderation/message/{ids[3]}")
    html = target.get_data(as_text=True)
    assert target.status_code == 200
    for n in (2, 3, 4, 5, 6):  # the message, two before, two after
        assert f"msg-{n}" in html
    for n in (1, 7, 8):
        assert f"msg-{n}</p>" not in html and f">msg-{n}<" not in html
    assert f'href="/chat/{room.id}' not in html  # no way into the conversation itself
    assert f"/moderation/rooms/{room.id}" in html  # but the investigation form, on purpose
    # The context does not open its messages one by one, nor the room.
    assert olga_client.get(f"/moderation/message/{ids[2]}").status_code == 404
    assert olga_client.get(f"/api/v1/rooms/{room.id}/messages").status_code == 404
    # The reported message can be acted on (and is, in the audit log).
    token = csrf_from(html)
    hide = olga_client.post(f"/moderation/message/{ids[3]}", data={
        "action": "hide", "reason": "Propos injurieux", "csrf_token": token, "minutes": "1440"})
    assert hide.status_code == 302


def test_an_investigation_access_is_audited_told_and_then_lets_them_read(app, world,
                                                                         make_user):
    alice, bob, olga, room, ids = world
    olga_client = client_for(app, olga)
    form = olga_client.get(f"/moderation/rooms/{room.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "msg-1" not in html
    # Nor who is in it: that is part of what the access opens.
    assert "Alice Dupont" not in html and "Bob Martin" not in html
    assert 'name="reason"' in html and "<label" in html and "<main" in html
    # A reason is required: a clear French error, nothing written.
    empty = olga_client.post(f"/moderation/rooms/{room.id}", data={
        "reason": "  ", "csrf_token": csrf_from(html)})
    assert empty.status_code == 422
    assert "Indiquez une raison" in empty.get_data(as_text=True)
    assert db.session.scalar(select(InvestigationAccess.id)) is None
    # Without the CSRF token: refused, the reason typed is kept.
    no_csrf = olga_client.post(f"/moderation/rooms/{room.id}", data={"reason": "Plainte reçue"})
    assert no_csrf.status_code == 422 and "Plainte reçue" in no_csrf.get_data(as_text=True)
    assert db.session.scalar(select(InvestigationAccess.id)) is None
    opened = post_form(olga_client, f"/moderation/rooms/{room.id}",
                       {"reason": "Plainte d'Alice par téléphone, dossier 42"})
    assert opened.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "investigate"))
    assert (entry.actor_id, entry.target_kind, entry.target_id) == (olga.id, "room", room.id)
    assert entry.reason == "Plainte d'Alice par téléphone, dossier 42"
    told = db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.INVESTIGATION)).all()
    assert sorted(n.user_id for n in told) == sorted([alice.id, bob.id])
    assert all("dossier 42" in n.detail and n.actor_id == olga.id for n in told)
    notifications = client_for(app, alice).get("/notifications").get_data(as_text=True)
    assert "accès pour enquête" in notifications and "dossier 42" in notifications
    # Now olga reads: the page, the JSON API, the socket (history only), the message pages.
    page = olga_client.get(f"/moderation/rooms/{room.id}").get_data(as_text=True)
    assert all(f"msg-{n}" in page for n in range(1, 9))
    assert "Alice Dupont" in page and "Bob Martin" in page
    api = olga_client.get(f"/api/v1/rooms/{room.id}/messages").get_json()
    assert [m["body"] for m in api["items"]] == [f"msg-{n}" for n in range(1, 9)]
    socket = sock(app, olga)
    joined = socket.emit("join", {"room": room.id, "last_seq": 0}, namespace="/chat",
                         callback=True)
    assert joined["ok"] and joined["investigation"] is True
    assert [m["body"] for m in joined["missed"]] == [f"msg-{n}" for n in range(1, 9)]
    assert olga_client.get(f"/moderation/message/{ids[0]}").status_code == 200
    # Read only: no sending, and the chat page stays the participants'.
    sent = socket.emit("send", {"room": room.id, "body": "coucou", "client_id": "o1"},
                       namespace="/chat", callback=True)
    assert sent["ok"] is False
    assert olga_client.get(f"/chat/{room.id}").status_code == 404
    # The access is olga's only; and it ends.
    other = make_user(display_name="Oscar Organisateur", role="organiser")
    assert client_for(app, other).get(f"/api/v1/rooms/{room.id}/messages").status_code == 404
    db.session.execute(update(InvestigationAccess).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    refused_everywhere(app, olga_client, olga, room.id, ids[0])


def test_only_organisers_and_admins_open_an_investigation(app, world, make_user):
    alice, _bob, _olga, room, _ids = world
    assert client_for(app, alice).get(f"/moderation/rooms/{room.id}").status_code == 403
    anim = make_user(display_name="Ana")
    assert client_for(app, anim).get(f"/moderation/rooms/{room.id}").status_code == 403
