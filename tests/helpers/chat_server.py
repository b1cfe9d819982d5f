"""Clients of a real chat server: the seeded network, a logged-in session cookie, and `Member`,
a python-socketio client that re-joins and catches up as the site's JavaScript does."""
from __future__ import annotations

import socket as pysocket
import threading
import time

import requests
import socketio

from tests.conftest import TEST_PASSWORD, base_config, csrf_from


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
