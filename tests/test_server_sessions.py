"""Login sessions against the real server (gunicorn with its gevent worker, as `make run` starts
it), with python-socketio clients over a real WebSocket: logging out and "log out everywhere"
close the live sockets of the sessions they end, and copied cookies stop working (issue 20)."""
from __future__ import annotations

import threading

import pytest
import requests
import socketio

from tests.helpers.apps import csrf_from
from tests.helpers.chat_server import server_over_a_network, session_cookie


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    with server_over_a_network(template_db, tmp_path_factory, "sessions-live", {
            "MAILLAGE_LOGIN_RATE_LIMIT": "1000 per minute",
            "MAILLAGE_LOGIN_ACCOUNT_RATE_LIMIT": "1000 per hour"}) as live:
        yield live


class Socket:
    """A python-socketio client on /chat that records its disconnection (no reconnection)."""

    def __init__(self, server, cookie: str):
        self.closed = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("disconnect", lambda *_: self.closed.set(), namespace="/chat")
        self.sio.connect(server.url, namespaces=["/chat"], transports=["websocket"],
                         headers={"Cookie": cookie}, wait_timeout=10)

    def join(self, room: int) -> dict:
        return self.sio.call("join", {"room": room}, namespace="/chat", timeout=10)

    def close(self):
        self.sio.disconnect()


def http_with(server, cookie: str) -> requests.Session:
    http = requests.Session()
    http.headers["Cookie"] = cookie
    return http


def logged_in(server, http: requests.Session) -> bool:
    response = http.get(server.url + "/people/me/edit", allow_redirects=False, timeout=10)
    return response.status_code == 200


def post_with_csrf(server, http: requests.Session, page: str, path: str) -> requests.Response:
    token = csrf_from(http.get(server.url + page, timeout=10).text)
    return http.post(server.url + path, data={"csrf_token": token}, allow_redirects=False,
                     timeout=10)


def test_logout_closes_this_session_s_socket_and_only_it(server):
    laptop_cookie = session_cookie(server, "alice@example.org")
    phone_cookie = session_cookie(server, "alice@example.org")
    laptop, phone = Socket(server, laptop_cookie), Socket(server, phone_cookie)
    try:
        assert laptop.join(server.room_id)["ok"] and phone.join(server.room_id)["ok"]
        copied = http_with(server, laptop_cookie)
        assert logged_in(server, copied)
        assert post_with_csrf(server, http_with(server, laptop_cookie), "/",
                              "/auth/logout").status_code == 302
        assert laptop.closed.wait(10)
        assert not logged_in(server, copied)  # the copy of the cookie: the login page
        assert not phone.closed.is_set() and phone.join(server.room_id)["ok"]
        assert logged_in(server, http_with(server, phone_cookie))
    finally:
        laptop.close()
        phone.close()


def test_log_out_everywhere_closes_another_client_s_socket(server):
    mine = session_cookie(server, "bruno@example.org")
    other = session_cookie(server, "bruno@example.org")
    socket = Socket(server, other)
    try:
        assert socket.join(server.room_id)["ok"]
        response = post_with_csrf(server, http_with(server, mine), "/auth/sessions",
                                  "/auth/sessions/end-all")
        assert response.status_code == 302
        assert socket.closed.wait(10)
        assert not logged_in(server, http_with(server, other))
        assert not logged_in(server, http_with(server, mine))
        with pytest.raises(socketio.exceptions.ConnectionError):
            Socket(server, other)  # a new socket with the old cookie is refused at connect
    finally:
        socket.close()
