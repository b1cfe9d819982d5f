"""Clients of a real chat server: the seeded network, a logged-in session cookie, and `Member`,
a python-socketio client that re-joins and catches up as the site's JavaScript does."""
from __future__ import annotations

import contextlib
import socket as pysocket
import threading
import time

import requests
import socketio

from tests.helpers.apps import TEST_PASSWORD, base_config, csrf_from


def seed_network(db_file, keys=(("alice", "Alice Vidal"), ("bruno", "Bruno Costes"),
                                 ("octave", "Octave Dehors"))) -> tuple[int, dict, dict]:
    """Alice animates a private network, Bruno is a member, any others are outside it. Returns
    the network room's id, and the user and profile ids by key."""
    from app import create_app
    from app.chat.rooms import network_room
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


@contextlib.contextmanager
def server_over_a_network(template_db, tmp_path_factory, name: str, env: dict):
    """gunicorn (tests/helpers/browser.py: LiveServer) over a fresh database seeded by
    `seed_network`; the server knows the room's id and the people's ids."""
    from tests.helpers import databases
    from tests.helpers.browser import LiveServer

    workdir = tmp_path_factory.mktemp(name)
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    room_id, ids, _profiles = seed_network(db_file)
    server = LiveServer(db_file, workdir, env=env)
    server.room_id, server.user_ids = room_id, ids
    try:
        yield server
    finally:
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
    asking for what it missed page by page (as static/js/chat.js does): from the highest `seq`
    up to which it has every message of the room (seqs are 1, 2, 3, ... per room)."""

    def __init__(self, server, email: str, *, reconnection_delay: float = 0.2):
        self.server, self.room = server, server.room_id
        self.cookie = session_cookie(server, email)
        self.received: list[int] = []  # ids of every delivery, duplicates included
        self.seqs: dict[int, int] = {}  # seq -> id of what it holds
        self.joins = 0
        self.refused: list[str] = []  # error codes of joins the server refused
        self.online: list[dict] = []  # who was online at the last join
        self.presence: list[dict] = []  # `presence` events received
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=reconnection_delay,
                                   reconnection_delay_max=reconnection_delay)
        self.sio.on("connect", self._rejoin, namespace="/chat")
        self.sio.on("message", self._message, namespace="/chat")
        self.sio.on("presence", self._presence, namespace="/chat")

    def connect(self):
        self.sio.connect(self.server.url, namespaces=["/chat"], transports=["websocket"],
                         headers={"Cookie": self.cookie}, wait_timeout=10)
        return self

    def last_seq(self) -> int:
        """The highest seq up to which every message is here."""
        with self.lock:
            seq = 0
            while seq + 1 in self.seqs:
                seq += 1
            return seq

    def in_room_order(self) -> list[int]:
        """The ids held, in the room's order (by seq), each once."""
        with self.lock:
            return [self.seqs[seq] for seq in sorted(self.seqs)]

    def _keep(self, messages: list[dict]) -> None:
        with self.lock:
            for m in messages:
                self.received.append(m["id"])
                self.seqs[m["seq"]] = m["id"]

    def _rejoin(self):
        # On the client's own thread: call() would wait for the ack it is meant to process.
        def ack(reply, first=True):
            if not reply["ok"]:
                self.refused.append(reply["error"]["code"])
                return
            self._keep(reply["missed"])
            if first:
                with self.lock:
                    self.online = reply["online"]
                    self.joins += 1
            if reply["more"]:
                try:
                    self.sio.emit("missed", {"room": self.room, "last_seq": self.last_seq()},
                                  namespace="/chat", callback=lambda r: ack(r, first=False))
                except socketio.exceptions.BadNamespaceError:
                    return  # the test closed this reader meanwhile: nothing more to catch up
        self.sio.emit("join", {"room": self.room, "last_seq": self.last_seq()},
                      namespace="/chat", callback=ack)

    def _message(self, message):
        self._keep([message])

    def _presence(self, event):
        with self.lock:
            self.presence.append(event)

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


def a_message_each_way(one, other, said: tuple[str, str], tag: str, timeout: float) -> None:
    """Alice on server `one` and Bruno on `other`, both in the seeded network's room: Alice's
    message reaches Bruno, and his answer reaches her (across processes or machines)."""
    alice = Member(one, "alice@example.org").connect()
    bruno = Member(other, "bruno@example.org").connect()
    try:
        assert alice.wait_for(lambda r: alice.joins == 1) and bruno.wait_for(lambda r: bruno.joins == 1)
        sent = alice.send(said[0], f"{tag}-1")
        assert sent["ok"], sent
        assert bruno.wait_for(lambda received: sent["id"] in received, timeout=timeout)
        back = bruno.send(said[1], f"{tag}-2")
        assert back["ok"] and alice.wait_for(lambda received: back["id"] in received,
                                             timeout=timeout)
    finally:
        alice.close()
        bruno.close()


def senders_and_a_rejoining_reader(servers, room_id: int, db_file, *, per_sender: int = 60,
                                   prefix: str = "race", email: str = "alice@example.org") -> None:
    """Four sockets of one member send at once (through each server in turn) while a fifth, the
    reader, keeps cutting its connection and re-joining with the seq it holds: every committed
    message must reach it, in the room's order, none held twice."""
    from tests.helpers import databases

    senders = [Member(servers[n % len(servers)], email).connect() for n in range(4)]
    reader = Member(servers[-1], email, reconnection_delay=0.05).connect()
    acked: dict[str, int] = {}
    failures: list = []

    def send_all(n: int, member: Member) -> None:
        joins = reader.joins
        for i in range(per_sender):
            if i and i % 10 == 0:  # the reader re-joins between batches, whatever the load
                reader.wait_for(lambda r, before=joins: reader.joins > before, timeout=20)
                joins = reader.joins
            client_id = f"{prefix}-{n}-{i}"
            try:
                reply = member.send(f"message {i} de {n}", client_id, timeout=20)
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append((client_id, repr(exc)))
                return
            if not reply["ok"]:
                failures.append((client_id, reply))
                return
            acked[client_id] = reply["id"]

    try:
        for member in (*senders, reader):
            assert member.wait_for(lambda r, m=member: m.joins >= 1), member.refused
        threads = [threading.Thread(target=send_all, args=(n, m)) for n, m in enumerate(senders)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            joins = reader.joins
            reader.cut()  # and the client reconnects and re-joins with what it holds
            reader.wait_for(lambda r, before=joins: reader.joins > before, timeout=20)
        assert not failures, failures[:5]
        assert len(acked) == 4 * per_sender
        stored = databases.rows(db_file, "SELECT id FROM message WHERE room_id = ? "
                                         "AND client_id LIKE ? ORDER BY seq", room_id, prefix + "-%")
        in_order = [row[0] for row in stored]
        assert sorted(in_order) == sorted(acked.values())  # every acked message, stored once
        assert reader.wait_for(lambda r: set(acked.values()) <= set(r), timeout=30), (
            f"never reached the reader: {sorted(set(acked.values()) - set(reader.received))}")
        held = [i for i in reader.in_room_order() if i in set(acked.values())]
        assert held == in_order  # the room's order, each once
        assert reader.joins > per_sender // 10  # it did re-join while the others sent
    finally:
        for member in (*senders, reader):
            member.close()
