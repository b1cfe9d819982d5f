"""Chat: the /chat protocol (docs/realtime.md) through Flask-SocketIO's test client, the pages
and the JSON API. The real server over real WebSockets is in test_chat_server.py."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import Connection, DirectMessages, Membership, Message, db
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.chat import IsolatedSocket, events, sock
from tests.helpers.worlds import kept_worlds


@pytest.fixture
def app_config(db_path):
    from tests.helpers.apps import base_config
    return {**base_config(db_path), "CHAT_RATE_LIMIT": "1000 per 10 seconds"}


saved_worlds, database_layer = kept_worlds("people")


@pytest.fixture
def people(make_user, make_network, saved_worlds, db_path, database_pool):
    """An animator and a member of one network, and an outsider."""
    if saved_worlds["people"].kept:
        kept = saved_worlds["people"].objects()
        return kept["anim"], kept["member"], kept["outsider"], kept["network"]
    anim = make_user(display_name="Ana Animatrice", commit=False)
    member = make_user(display_name="Bruno Membre", commit=False)
    outsider = make_user(display_name="Octave Dehors", commit=False)
    network = make_network(anim, visibility="private", commit=False)
    db.session.add(Membership(network_id=network.id, user_id=member.id, status="active",
                              accepted_charter_version=network.charter_version))
    db.session.commit()
    saved_worlds["people"].keep(db_path, database_pool, anim=anim, member=member,
                                outsider=outsider, network=network)
    return anim, member, outsider, network


def login_client(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def room_id_of(app, user) -> list[dict]:
    client = app.test_client()
    login_as(client, user)
    return client.get("/api/v1/rooms").get_json()["items"]


def test_anonymous_socket_is_refused(app):
    client = sock(app)
    assert not client.is_connected("/chat")


def test_members_talk_and_a_resend_stores_one_row(app, people):
    anim, member, _outsider, network = people
    room = room_id_of(app, anim)[0]
    assert room["kind"] == "network"
    a, b = sock(app, anim), sock(app, member)
    assert a.emit("join", {"room": room["id"], "last_id": 0}, namespace="/chat", callback=True)["ok"]
    assert b.emit("join", {"room": room["id"], "last_id": 0}, namespace="/chat", callback=True)["ok"]
    b.get_received("/chat")
    ack = a.emit("send", {"room": room["id"], "body": "**Bonjour** à tous", "client_id": "c-1"},
                 namespace="/chat", callback=True)
    assert ack["ok"] and ack["id"]
    received = events(b, "message")
    assert [m["id"] for m in received] == [ack["id"]]
    assert received[0]["body_html"] == "<p><strong>Bonjour</strong> à tous</p>"
    assert received[0]["author"] == {"id": anim.id, "name": "Ana Animatrice", "avatar": None}
    assert received[0]["client_id"] == "c-1"
    again = a.emit("send", {"room": room["id"], "body": "**Bonjour** à tous", "client_id": "c-1"},
                   namespace="/chat", callback=True)
    assert again == {"ok": True, "id": ack["id"], "seq": ack["seq"], "duplicate": True}
    assert events(b, "message") == []
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_join_returns_what_was_missed_in_order(app, people):
    anim, member, _o, _n = people
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    ids = [a.emit("send", {"room": room, "body": f"n°{i}", "client_id": f"k{i}"},
                  namespace="/chat", callback=True)["id"] for i in range(5)]
    b = sock(app, member)
    ack = b.emit("join", {"room": room, "last_id": ids[1]}, namespace="/chat", callback=True)
    assert [m["id"] for m in ack["missed"]] == ids[2:]
    assert ack["unread"] == 5 and ack["last_read_id"] == 0
    b.emit("read", {"room": room, "id": ids[3]}, namespace="/chat")
    assert events(b, "unread")[-1] == {"room": room, "count": 1, "last_read_id": ids[3]}


def test_a_catch_up_comes_in_pages_in_the_room_order(app, people):
    """`last_seq` resumes in the room's commit order; a long catch-up comes 100 at a time with
    `more`, the rest through `missed`; `last_id` (older clients) is read as its message's seq."""
    anim, member, _o, _n = people
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    acks = [a.emit("send", {"room": room, "body": f"n°{i}", "client_id": f"p{i}"},
                   namespace="/chat", callback=True) for i in range(230)]
    assert [ack["seq"] for ack in acks] == list(range(1, 231))
    ids = [ack["id"] for ack in acks]
    b = sock(app, member)
    first = b.emit("join", {"room": room, "last_seq": 5}, namespace="/chat", callback=True)
    assert [m["seq"] for m in first["missed"]] == list(range(6, 106)) and first["more"] is True
    second = b.emit("missed", {"room": room, "last_seq": 105}, namespace="/chat", callback=True)
    assert [m["id"] for m in second["missed"]] == ids[105:205] and second["more"] is True
    last = b.emit("missed", {"room": room, "last_seq": 205}, namespace="/chat", callback=True)
    assert [m["id"] for m in last["missed"]] == ids[205:] and last["more"] is False
    by_id = b.emit("join", {"room": room, "last_id": ids[219]}, namespace="/chat", callback=True)
    assert [m["id"] for m in by_id["missed"]] == ids[220:] and by_id["more"] is False
    latest = b.emit("join", {"room": room}, namespace="/chat", callback=True)
    assert [m["id"] for m in latest["missed"]] == ids[-50:] and latest["more"] is False
    page = login_client(app, member).get(f"/api/v1/rooms/{room}/messages?before=101&limit=30")
    assert [m["seq"] for m in page.get_json()["items"]] == list(range(71, 101))
    assert page.get_json()["next_before"] == 71


@pytest.mark.parametrize("event, payload", [
    ("join", {}), ("join", {"last_seq": 0}), ("join", {"room": 1, "last_seq": "3"}),
    ("missed", {"room": 1}), ("missed", {"room": 1, "last_seq": -1}), ("send", "texte"),
    ("send", ["liste"]), ("pourquoi", {"room": 1}),
])
def test_malformed_and_unknown_events_are_answered_invalid(app, people, event, payload):
    anim, *_ = people
    room_id_of(app, anim)
    a = sock(app, anim)
    reply = a.emit(event, payload, namespace="/chat", callback=True)
    assert reply["ok"] is False and reply["error"]["code"] == "invalid" and reply["error"]["message"]


def test_replays_are_priced_in_messages_not_calls(app, people):
    """Each join or catch-up page costs a full page (100) of CHAT_REPLAY_RATE_LIMIT."""
    anim, *_ = people
    app.config["CHAT_REPLAY_RATE_LIMIT"] = "300 per minute"
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    replies = [a.emit("join", {"room": room, "last_seq": 0}, namespace="/chat", callback=True)
               for _ in range(4)]
    assert [r["ok"] for r in replies] == [True, True, True, False]
    assert replies[3]["error"]["code"] == "rate_limited" and replies[3]["error"]["retry_after"] > 0
    refused = a.emit("missed", {"room": room, "last_seq": 0}, namespace="/chat", callback=True)
    assert refused["error"]["code"] == "rate_limited"


def test_outsider_cannot_join_read_or_send(app, people):
    anim, _member, outsider, _n = people
    room = room_id_of(app, anim)[0]["id"]
    o = sock(app, outsider)
    assert o.is_connected("/chat")
    ack = o.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found" and ack["error"]["message"]
    ack = o.emit("send", {"room": room, "body": "intrus", "client_id": "x"}, namespace="/chat",
                 callback=True)
    assert ack["error"]["code"] == "not_found"
    o.emit("typing", {"room": room}, namespace="/chat")
    o.emit("read", {"room": room, "id": 1}, namespace="/chat")
    assert [e["code"] for e in events(o, "error")] == ["not_found", "not_found"]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    client = app.test_client()
    login_as(client, outsider)
    assert client.get(f"/api/v1/rooms/{room}/messages").status_code == 404
    assert client.get(f"/chat/{room}").status_code == 404
    assert app.test_client().get(f"/api/v1/rooms/{room}/messages").status_code == 401


@pytest.mark.parametrize("payload, code", [
    ({"room": "1", "body": "x", "client_id": "a"}, "not_found"),
    ({"room": 10**30, "body": "x", "client_id": "a"}, "not_found"),
    ({"body": "x", "client_id": "a"}, "not_found"),
    ("not a dict", "invalid"),  # docs/realtime.md: a payload of the wrong shape
    ({"room": None, "body": "x", "client_id": "a"}, "not_found"),
    ({"room": "ROOM", "body": "   ", "client_id": "a"}, "empty"),
    ({"room": "ROOM", "body": "x" * 4001, "client_id": "a"}, "too_long"),
    ({"room": "ROOM", "body": ["x"], "client_id": "a"}, "invalid"),
    ({"room": "ROOM", "body": "x", "client_id": ""}, "invalid"),
    ({"room": "ROOM", "body": "x", "client_id": "a" * 65}, "invalid"),
    ({"room": "ROOM", "body": "x", "client_id": 12}, "invalid"),
])
def test_bad_sends_get_a_translated_error(app, people, payload, code):
    anim, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    if isinstance(payload, dict) and payload.get("room") == "ROOM":
        payload = {**payload, "room": room}
    a = sock(app, anim)
    ack = a.emit("send", payload, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert ack["error"]["message"] and ack["error"]["message"] != code  # French text


def test_rate_limit_is_a_clear_error(app, people):
    app.config["CHAT_RATE_LIMIT"] = "3 per 10 seconds"
    anim, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    acks = [a.emit("send", {"room": room, "body": f"m{i}", "client_id": f"r{i}"},
                   namespace="/chat", callback=True) for i in range(4)]
    assert [x["ok"] for x in acks] == [True, True, True, False]
    assert acks[3]["error"]["code"] == "rate_limited" and acks[3]["error"]["retry_after"] == 10
    assert "trop vite" in acks[3]["error"]["message"]
    # a resend of a stored message is still acked
    assert a.emit("send", {"room": room, "body": "m0", "client_id": "r0"}, namespace="/chat",
                  callback=True)["ok"]


def test_edit_and_delete_own_messages_only(app, people):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a, b = sock(app, anim), sock(app, member)
    b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    mid = a.emit("send", {"room": room, "body": "brouillon", "client_id": "e1"}, namespace="/chat",
                 callback=True)["id"]
    assert b.emit("edit", {"id": mid, "body": "piraté"}, namespace="/chat",
                  callback=True)["error"]["code"] == "forbidden"
    assert b.emit("delete", {"id": mid}, namespace="/chat", callback=True)["error"]["code"] == "forbidden"
    b.get_received("/chat")
    assert a.emit("edit", {"id": mid, "body": "*final*"}, namespace="/chat", callback=True)["ok"]
    edited = events(b, "message_edited")
    assert edited[0]["body_html"] == "<p><em>final</em></p>" and edited[0]["edited_at"]
    assert a.emit("delete", {"id": mid}, namespace="/chat", callback=True)["ok"]
    deleted = events(b, "message_deleted")
    assert deleted[0]["id"] == mid and deleted[0]["deleted"] and deleted[0]["body_html"] == ""
    assert db.session.get(Message, mid).body == ""


def test_typing_and_presence_reach_the_others(app, people):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a, b = sock(app, anim), sock(app, member)
    a.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    ack = b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    assert {p["id"] for p in ack["online"]} == {anim.id, member.id}
    assert events(a, "presence")[-1] == {"room": room, "online": True,
                                         "user": {"id": member.id, "name": "Bruno Membre"}}
    b.emit("typing", {"room": room}, namespace="/chat")
    assert events(a, "typing") == [{"room": room, "user": {"id": member.id, "name": "Bruno Membre"}}]
    assert events(b, "typing") == []
    b.disconnect("/chat")
    assert events(a, "presence")[-1]["online"] is False


def test_a_removed_member_stops_receiving_at_once(app, people, client):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a, b = sock(app, anim), sock(app, member)
    b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    db.session.delete(membership)  # (a ban, audited, is in tests/test_moderation.py)
    db.session.commit()
    removed = [e for e in events(b, "error") if e["event"] == "removed"]
    assert removed and removed[0]["room"] == room
    a.emit("send", {"room": room, "body": "après", "client_id": "z"}, namespace="/chat", callback=True)
    assert events(b, "message") == []
    assert b.emit("send", {"room": room, "body": "moi", "client_id": "y"}, namespace="/chat",
                  callback=True)["error"]["code"] == "not_found"


def test_logout_closes_the_sockets(app, people):
    anim, *_ = people
    client = app.test_client()
    login_as(client, anim)
    s = IsolatedSocket(app, client)
    assert s.is_connected("/chat")
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert not s.is_connected("/chat")


def test_direct_messages_follow_connections_and_the_recipients_choice(app, make_user):
    alice, bob = make_user(display_name="Alice"), make_user(display_name="Bob")
    client = app.test_client()
    login_as(client, alice)
    token = csrf_from(client.get("/chat/").get_data(as_text=True))
    refused = client.post(f"/chat/with/{bob.id}", data={"csrf_token": token})
    assert refused.status_code == 302 and "/chat/" not in refused.headers["Location"]
    bob.profile.direct_messages = DirectMessages.MEMBERS
    db.session.commit()
    ok = client.post(f"/chat/with/{bob.id}", data={"csrf_token": token})
    room = int(ok.headers["Location"].rsplit("/", 1)[1])
    # the unread count reaches the recipient's sockets even where the room is not open
    b = sock(app, bob)
    a = sock(app, alice)
    a.emit("send", {"room": room, "body": "salut", "client_id": "d1"}, namespace="/chat", callback=True)
    assert events(b, "unread") == [{"room": room, "count": 1}]
    assert client.post(f"/chat/with/{bob.id}", data={}).status_code == 400  # CSRF


def test_group_of_connections(app, make_user):
    me, x, y = make_user(display_name="Moi"), make_user(display_name="X"), make_user(display_name="Y")
    for other in (x, y):
        low, high = sorted((me.id, other.id))
        db.session.add(Connection(low_id=low, high_id=high, requester_id=me.id, status="accepted"))
    db.session.commit()
    client = app.test_client()
    login_as(client, me)
    page = client.get("/chat/new").get_data(as_text=True)
    response = client.post("/chat/new", data={"csrf_token": csrf_from(page), "name": "Atelier",
                                              "people": [x.id, y.id]})
    assert response.status_code == 302
    room = int(response.headers["Location"].rsplit("/", 1)[1])
    client_y = app.test_client()
    login_as(client_y, y)
    assert [r["title"] for r in client_y.get("/api/v1/rooms").get_json()["items"]] == ["Atelier"]
    empty = client.post("/chat/new", data={"csrf_token": csrf_from(page), "name": "Seul"})
    assert empty.status_code == 422 and "Seul" in empty.get_data(as_text=True)
    leave = client_y.post(f"/chat/{room}/leave", data={
        "csrf_token": csrf_from(client_y.get(f"/chat/{room}").get_data(as_text=True))})
    assert leave.status_code == 302
    assert client_y.get(f"/chat/{room}").status_code == 404


def test_the_page_sends_without_javascript_and_keeps_the_text_on_error(app, people):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    client = app.test_client()
    login_as(client, anim)
    page = client.get(f"/chat/{room}").get_data(as_text=True)
    client_id = re.search(r'name="client_id"[^>]*value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_from(page), "client_id": client_id, "body": "Par le formulaire"}
    assert client.post(f"/chat/{room}", data=data).status_code == 302
    assert client.post(f"/chat/{room}", data=data).status_code == 302  # resubmitted: one row
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    too_long = client.post(f"/chat/{room}", data={**data, "client_id": "other", "body": "é" * 4001})
    assert too_long.status_code == 422
    assert "é" * 4001 in too_long.get_data(as_text=True)
    history = client.get(f"/api/v1/rooms/{room}/messages?limit=1").get_json()
    assert [m["body_html"] for m in history["items"]] == ["<p>Par le formulaire</p>"]
    assert client.get(f"/api/v1/rooms/{room}/messages?before=abc").status_code == 400


def test_history_pages_backwards_by_keyset(app, people):
    anim, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    ids = [a.emit("send", {"room": room, "body": f"{i}", "client_id": f"h{i}"}, namespace="/chat",
                  callback=True)["id"] for i in range(7)]
    client = app.test_client()
    login_as(client, anim)
    page = client.get(f"/api/v1/rooms/{room}/messages?limit=3").get_json()
    assert [m["id"] for m in page["items"]] == ids[-3:]
    page = client.get(f"/api/v1/rooms/{room}/messages?limit=3&before={page['next_before']}").get_json()
    assert [m["id"] for m in page["items"]] == ids[1:4]
    page = client.get(f"/api/v1/rooms/{room}/messages?limit=3&before={page['next_before']}").get_json()
    assert [m["id"] for m in page["items"]] == ids[:1] and page["next_before"] is None


def test_leaving_a_group_stops_its_live_events_at_once(app, make_user):
    me, x = make_user(display_name="Moi"), make_user(display_name="X")
    low, high = sorted((me.id, x.id))
    db.session.add(Connection(low_id=low, high_id=high, requester_id=me.id, status="accepted"))
    db.session.commit()
    from app.chat.rooms import create_group
    room = create_group(db.session, me, "Atelier", [x]).id
    db.session.commit()
    a, b = sock(app, me), sock(app, x)
    b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    client = app.test_client()
    login_as(client, x)
    token = csrf_from(client.get(f"/chat/{room}").get_data(as_text=True))
    assert client.post(f"/chat/{room}/leave", data={"csrf_token": token}).status_code == 302
    assert [e["room"] for e in events(b, "error") if e["event"] == "removed"] == [room]
    a.emit("send", {"room": room, "body": "après ton départ", "client_id": "g1"},
           namespace="/chat", callback=True)
    a.emit("typing", {"room": room}, namespace="/chat")
    assert events(b, "message") == [] and events(b, "typing") == []


def test_a_block_stops_an_existing_direct_conversation(app, make_user):
    alice, bob = make_user(display_name="Alice"), make_user(display_name="Bob")
    bob.profile.direct_messages = DirectMessages.MEMBERS
    db.session.commit()
    from app.chat.rooms import direct_room
    room = direct_room(db.session, alice, bob).id
    db.session.commit()
    a = sock(app, alice)
    assert a.emit("send", {"room": room, "body": "salut", "client_id": "b1"}, namespace="/chat",
                  callback=True)["ok"]
    from models import Block
    db.session.add(Block(blocker_id=bob.id, blocked_id=alice.id))
    db.session.commit()
    reply = a.emit("send", {"room": room, "body": "encore", "client_id": "b2"}, namespace="/chat",
                   callback=True)
    assert reply["ok"] is False and reply["error"]["code"] == "not_allowed"
    client = app.test_client()
    login_as(client, alice)
    assert "Envoyer un message" not in client.get(f"/people/{bob.profile.id}").get_data(as_text=True)


def test_logout_closes_only_the_sockets_of_that_login(app, people):
    anim, *_ = people
    phone, laptop = app.test_client(), app.test_client()
    login_as(phone, anim)
    login_as(laptop, anim)
    on_phone, on_laptop = IsolatedSocket(app, phone), IsolatedSocket(app, laptop)
    phone.post("/auth/logout", data={"csrf_token": csrf_from(phone.get("/").get_data(as_text=True))})
    assert not on_phone.is_connected("/chat")
    assert on_laptop.is_connected("/chat")


@pytest.mark.parametrize("event, args", [
    ("join", ({"room": 1, "last_id": 2**63},)),
    ("join", ({"room": 1, "last_id": -1},)),
    ("join", ()),
    ("send", ()),
    ("send", ({"room": 1}, "extra")),
    ("read", ({"room": 1, "id": 2**70},)),
    ("edit", ({"id": 2**70, "body": "x"},)),
    ("delete", ({"id": None},)),
    ("leave", ("not a dict",)),
])
def test_hostile_payloads_get_an_answer_never_a_crash(app, people, event, args):
    anim, *_ = people
    room_id_of(app, anim)
    a = sock(app, anim)
    reply = a.emit(event, *args, namespace="/chat", callback=True)
    reply = reply or None  # events without an ack in the protocol answer nothing (or [])
    assert reply is None or reply.get("ok") in (True, False)
    if reply and reply.get("ok") is False:
        assert reply["error"]["code"] in ("invalid", "not_found", "empty") and reply["error"]["message"]
    assert a.is_connected("/chat")


def test_a_member_must_accept_a_new_charter_before_writing(app, people):
    anim, member, _o, network = people
    room = room_id_of(app, anim)[0]["id"]
    from app.networks.service import set_charter
    set_charter(db.session, network, "Nouvelle charte, plus stricte.", anim)
    db.session.commit()
    b = sock(app, member)
    reply = b.emit("send", {"room": room, "body": "coucou", "client_id": "ch1"}, namespace="/chat",
                   callback=True)
    assert reply["error"]["code"] == "charter" and "charte" in reply["error"]["message"]
    assert b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)["ok"]


def test_what_was_written_before_joining_is_not_unread(app, people, make_user):
    anim, *_rest, network = people
    room = room_id_of(app, anim)[0]["id"]
    a = sock(app, anim)
    for i in range(3):
        a.emit("send", {"room": room, "body": f"avant {i}", "client_id": f"old{i}"},
               namespace="/chat", callback=True)
    newcomer = make_user(display_name="Nouvelle")
    from models.types import utcnow
    db.session.add(Membership(network_id=network.id, user_id=newcomer.id, status="active",
                              accepted_charter_version=network.charter_version, joined_at=utcnow()))
    db.session.commit()
    a.emit("send", {"room": room, "body": "bienvenue", "client_id": "new1"}, namespace="/chat",
           callback=True)
    assert [r["unread"] for r in room_id_of(app, newcomer)] == [1]


def test_typing_is_broadcast_at_most_once_a_second(app, people):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    a, b = sock(app, anim), sock(app, member)
    a.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    for _ in range(5):
        b.emit("typing", {"room": room}, namespace="/chat")
    assert len(events(a, "typing")) == 1


def test_a_savepoint_does_not_trigger_evictions_before_the_real_commit(app, people):
    anim, member, *_ = people
    room = room_id_of(app, anim)[0]["id"]
    b = sock(app, member)
    b.emit("join", {"room": room, "last_id": 0}, namespace="/chat", callback=True)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    db.session.delete(membership)
    db.session.flush()
    with db.session.begin_nested():
        pass
    db.session.rollback()  # the removal never happened
    assert [e for e in events(b, "error") if e["event"] == "removed"] == []


@pytest.mark.parametrize("origins", ["*", [], ["https://a.example", "*"]])
def test_any_origin_is_refused_at_start_up(db_path, origins):
    from app import create_app
    from tests.helpers.apps import base_config
    with pytest.raises(RuntimeError, match="SOCKETIO_CORS_ALLOWED_ORIGINS"):
        create_app({**base_config(db_path), "SOCKETIO_CORS_ALLOWED_ORIGINS": origins})


def test_a_new_notification_updates_the_header_count_live(app, make_user):
    asker, other = make_user(display_name="Demandeuse"), make_user(display_name="Autre")
    s = sock(app, other)
    client = app.test_client()
    login_as(client, asker)
    page = client.get(f"/connections/{other.id}/ask").get_data(as_text=True)
    assert client.post(f"/connections/{other.id}/ask",
                       data={"csrf_token": csrf_from(page), "message": "Bonjour"}).status_code == 302
    assert events(s, "notifications") == [{"count": 1}]


def test_the_header_dot_shows_only_unread_direct_messages(app, make_user, make_network):
    """The header's "Messages" dot is hidden (and so silent) until a direct message waits
    unread; a network room's traffic does not light it (issue 21)."""
    from app.chat.rooms import direct_room, network_room
    from app.chat.sending import store_message
    alice, bob = make_user(display_name="Alice"), make_user(display_name="Bob")
    bob.profile.direct_messages = DirectMessages.MEMBERS
    network = make_network(alice, "Réseau des vanniers")
    from models.types import utcnow
    db.session.add(Membership(network_id=network.id, user_id=bob.id, status="active",
                              accepted_charter_version=network.charter_version,
                              joined_at=utcnow()))
    db.session.commit()
    store_message(db.session, network_room(db.session, network).id, alice.id, "à tous", "n1")
    db.session.commit()
    bob_client = login_client(app, bob)

    def dot() -> str:
        html = bob_client.get("/networks/").get_data(as_text=True)
        return re.search(r'<span class="count" data-messages-badge[^>]*>', html).group(0)
    assert dot().endswith(" hidden>")
    room = direct_room(db.session, alice, bob)
    db.session.commit()
    store_message(db.session, room.id, alice.id, "Bonjour Bob", "d1")
    db.session.commit()
    assert "hidden" not in dot()
    bob_client.get(f"/chat/{room.id}")  # read
    assert dot().endswith(" hidden>")
