"""Chat against the real server (gunicorn with its gevent worker, as `make run` starts it) on a
real port, with python-socketio clients over WebSocket: delivery after a cut connection, one row
per client_id, every acked message kept across a server crash, and the access rules."""
from __future__ import annotations

import re
import socket as pysocket
import threading
import time

import pytest
import requests
import socketio

from tests import databases
from tests.browser_support import LiveServer
from tests.conftest import TEST_PASSWORD, base_config, csrf_from


def seed_network(db_file, keys=(("alice", "Alice Vidal"), ("bruno", "Bruno Costes"),
                                 ("octave", "Octave Dehors"))) -> tuple[int, dict, dict]:
    """Alice animates a private network, Bruno is a member, any others are outside it. Returns
    the network room's id, and the user and profile ids by key."""
    from app import create_app
    from app.chat.service import network_room
    from app.networks.service import create_network
    from models import Membership, Profile, User, db

    app = create_app(base_config(db_file))
    with app.app_context():
        people = {}
        for key, name in keys:
            user = User(email=f"{key}@example.org", display_name=name)
            user.set_password(TEST_PASSWORD)
            user.profile = Profile()
            db.session.add(user)
            people[key] = user
        db.session.flush()
        network = create_network(db.session, people["alice"], "Soyez bienveillants.",
                                 name="Cercle des tanneurs", visibility="private")
        db.session.add(Membership(network_id=network.id, user_id=people["bruno"].id,
                                  status="active", accepted_charter_version=network.charter_version))
        room_id = network_room(db.session, network).id
        ids = {k: u.id for k, u in people.items()}
        profile_ids = {k: u.profile.id for k, u in people.items()}
        db.session.commit()
        db.engine.dispose()
    return room_id, ids, profile_ids


@pytest.fixture(scope="module")
def chat_server(template_db, tmp_path_factory):
    """Alice (animator) and Bruno (member) in a private network, Octave outside it."""
    workdir = tmp_path_factory.mktemp("chat-live")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    room_id, ids, _profiles = seed_network(db_file)
    server = LiveServer(db_file, workdir, env={"MAILLAGE_CHAT_RATE_LIMIT": "100000 per 10 seconds"})
    server.room_id, server.user_ids = room_id, ids
    yield server
    server.stop()
    databases.drop(db_file)


def session_cookie(server, email: str) -> str:
    http = requests.Session()
    page = http.get(server.url + "/auth/login", timeout=10).text
    response = http.post(server.url + "/auth/login", data={
        "email": email, "password": TEST_PASSWORD, "csrf_token": csrf_from(page)},
        allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


class Member:
    """A python-socketio client that keeps what it received and re-joins after reconnecting,
    asking for what it missed (as static/js/chat.js does)."""

    def __init__(self, server, email: str, *, reconnection_delay: float = 0.2):
        self.server, self.room = server, server.room_id
        self.cookie = session_cookie(server, email)
        self.received: list[int] = []  # every delivery, duplicates included
        self.joins = 0
        self.refused: list[str] = []  # error codes of joins the server refused
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=reconnection_delay,
                                   reconnection_delay_max=reconnection_delay)
        self.sio.on("connect", self._rejoin, namespace="/chat")
        self.sio.on("message", self._message, namespace="/chat")

    def connect(self):
        self.sio.connect(self.server.url, namespaces=["/chat"], transports=["websocket"],
                         headers={"Cookie": self.cookie}, wait_timeout=10)
        return self

    def last_id(self) -> int:
        with self.lock:
            return max(self.received, default=0)

    def _rejoin(self):
        # On the client's own thread: call() would wait for the ack it is meant to process.
        def ack(reply):
            if not reply["ok"]:
                self.refused.append(reply["error"]["code"])
                return
            with self.lock:
                self.received.extend(m["id"] for m in reply["missed"])
                self.joins += 1
        self.sio.emit("join", {"room": self.room, "last_id": self.last_id()}, namespace="/chat",
                      callback=ack)

    def _message(self, message):
        with self.lock:
            self.received.append(message["id"])

    def send(self, body: str, client_id: str, timeout: float = 5):
        return self.sio.call("send", {"room": self.room, "body": body, "client_id": client_id},
                             namespace="/chat", timeout=timeout)

    def wait_for(self, condition, timeout: float = 20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition(list(self.received)):
                    return True
            time.sleep(0.05)
        return False

    def cut(self):
        """Drop the TCP connection under the client, as a lost signal in a valley does."""
        self.sio.eio.ws.sock.shutdown(pysocket.SHUT_RDWR)

    def close(self):
        self.sio.disconnect()


def rows(server, sql: str, *args):
    return databases.rows(server.db_file, sql, *args)


def test_a_cut_client_gets_the_100_messages_it_missed_in_order_once(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org", reconnection_delay=3).connect()
    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        first = alice.send("avant la coupure", "cut-0")["id"]
        assert bruno.wait_for(lambda r: first in r)
        bruno.cut()
        time.sleep(0.3)  # the server sees the socket go
        sent = [alice.send(f"message {i} pendant la coupure", f"cut-{i}")["id"]
                for i in range(1, 101)]
        assert bruno.wait_for(lambda r: bruno.joins == 2 and set(sent) <= set(r), timeout=30)
        after_cut = bruno.received[bruno.received.index(first) + 1:]
        assert after_cut == sent  # all 100, in order, none twice
    finally:
        alice.close()
        bruno.close()


def test_a_resend_with_the_same_client_id_stores_one_row(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    try:
        acks = [alice.send("renvoyé trois fois", "same-client-id") for _ in range(3)]
        assert len({a["id"] for a in acks}) == 1 and [a["ok"] for a in acks] == [True] * 3
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id = ?",
                    "same-client-id") == [(1,)]
    finally:
        alice.close()


def test_every_acked_message_survives_a_server_crash_and_is_delivered(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org").connect()
    acked: dict[str, int] = {}
    outbox = [(f"burst {i}", f"crash-{i}") for i in range(200)]
    stop = time.monotonic() + 60

    def sender():
        # The outbox a client keeps: a message leaves it only once acked; unacked ones are
        # sent again, with the same client_id, when the connection is back.
        while outbox and time.monotonic() < stop:
            body, client_id = outbox[0]
            try:
                reply = alice.send(body, client_id, timeout=2)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError):
                time.sleep(0.1)
                continue
            assert reply["ok"], reply
            acked[client_id] = reply["id"]
            outbox.pop(0)

    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        thread = threading.Thread(target=sender)
        thread.start()
        while len(acked) < 60:
            time.sleep(0.01)
        chat_server.kill()
        killed_at = len(acked)
        chat_server.start()
        thread.join(90)
        assert not outbox and len(acked) == 200
        assert killed_at < 200  # the crash did fall in the middle of the burst
        stored = dict(rows(chat_server, "SELECT client_id, id FROM message "
                                        "WHERE client_id LIKE 'crash-%'"))
        assert stored == acked  # every acked message is in the database, once
        assert bruno.wait_for(lambda r: set(acked.values()) <= set(r), timeout=30)
        assert bruno.joins >= 2
        delivered = [i for i in dict.fromkeys(bruno.received) if i in set(acked.values())]
        assert delivered == sorted(acked.values())
    finally:
        alice.close()
        bruno.close()


def test_strangers_and_anonymous_sockets_are_kept_out(chat_server):
    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(chat_server.url, namespaces=["/chat"], transports=["websocket"],
                          wait_timeout=5)
    octave = Member(chat_server, "octave@example.org").connect()
    alice = Member(chat_server, "alice@example.org").connect()
    try:
        room = chat_server.room_id
        assert octave.wait_for(lambda r: octave.refused == ["not_found"], timeout=5)
        assert octave.sio.call("join", {"room": room, "last_id": 0}, namespace="/chat",
                               timeout=5)["error"]["code"] == "not_found"
        reply = octave.send("je m'invite", "intrus-1")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
        mid = alice.send("réservé aux membres", "members-only")["id"]
        time.sleep(0.3)
        assert mid not in octave.received
        assert octave.sio.call("edit", {"id": mid, "body": "x"}, namespace="/chat",
                               timeout=5)["error"]["code"] == "forbidden"
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id = 'intrus-1'") == [(0,)]
        http = requests.Session()
        http.headers["Cookie"] = octave.cookie
        assert http.get(f"{chat_server.url}/api/v1/rooms/{room}/messages", timeout=5).status_code == 404
    finally:
        octave.close()
        alice.close()


def test_a_banned_member_stops_receiving_at_once(chat_server):
    """Run last in this module: Bruno is banned for good."""
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org").connect()
    removed = threading.Event()
    bruno.sio.on("error", lambda e: e.get("event") == "removed" and removed.set(), namespace="/chat")
    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        http = requests.Session()
        http.headers["Cookie"] = alice.cookie
        members = http.get(f"{chat_server.url}/networks/1/members", timeout=5).text
        page = re.search(r'href="(/moderation/profile/\d+\?network=1)">[^<]*Bruno', members)
        form = http.get(chat_server.url + page.group(1).replace("&amp;", "&"), timeout=5).text
        response = http.post(
            chat_server.url + page.group(1),
            data={"csrf_token": csrf_from(form), "action": "ban", "minutes": "1440",
                  "reason": "Insultes répétées"}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        assert removed.wait(5)
        mid = alice.send("après le bannissement", "after-ban")["id"]
        time.sleep(0.3)
        assert mid not in bruno.received
        reply = bruno.send("je suis encore là ?", "banned-1")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
        bruno_http = requests.Session()
        bruno_http.headers["Cookie"] = bruno.cookie
        assert bruno_http.get(f"{chat_server.url}/networks/1", timeout=5).status_code == 404
    finally:
        alice.close()
        bruno.close()


def test_concurrent_senders_on_one_gevent_worker_all_get_their_acks(chat_server):
    """Several sockets writing at once on SQLite: a greenlet must never yield while holding the
    write lock (the others would block the worker in sqlite3's busy handler: acks would stop
    and gunicorn would kill the worker)."""
    senders = [Member(chat_server, "alice@example.org").connect() for _ in range(4)]
    replies: list[dict] = []

    def burst(member, k):
        for i in range(25):
            replies.append(member.send(f"rafale {k}-{i}", f"conc-{k}-{i}", timeout=10))
    threads = [threading.Thread(target=burst, args=(m, k)) for k, m in enumerate(senders)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(replies) == 100 and all(r["ok"] for r in replies)
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id LIKE 'conc-%'") == [(100,)]
    finally:
        for m in senders:
            m.close()
