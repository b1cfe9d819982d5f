"""Shared steps of the staff-access and two-factor tests: a private conversation with numbered
messages sent through the real socket, and the second step of a login."""
from __future__ import annotations

import time

import pyotp
from flask.testing import FlaskClient

from app.chat.rooms import direct_room
from models import DirectMessages, Room, User, db
from tests.helpers.apps import csrf_from
from tests.helpers.chat import sock


def direct_conversation(app, alice: User, bob: User, count: int) -> tuple[Room, list[int]]:
    """A direct conversation between alice and bob (bob accepts messages from any member) with
    `count` messages "msg-1"... written by them in turn through their sockets: (room, ids)."""
    bob.profile.direct_messages = DirectMessages.MEMBERS
    room = direct_room(db.session, alice, bob)
    db.session.commit()
    return room, send_messages(app, room.id, [alice, bob], count)


def send_messages(app, room_id: int, writers: list[User], count: int,
                  prefix: str = "msg") -> list[int]:
    sockets = [sock(app, user) for user in writers]
    ids = []
    for n in range(1, count + 1):
        ack = sockets[(n - 1) % len(sockets)].emit(
            "send", {"room": room_id, "body": f"{prefix}-{n}", "client_id": f"{prefix}{n}"},
            namespace="/chat", callback=True)
        assert ack["ok"], ack
        ids.append(ack["id"])
    return ids


def totp_now(user: User) -> str:
    """A code the user's authenticator shows now (from the secret the database keeps) that was
    not used yet: a code is accepted once, and a test logs in twice within 30 seconds, so after
    the current step's code it takes the next step's (accepted for a phone a little ahead)."""
    db.session.refresh(user)
    now = int(time.time()) // 30
    step = max(now, (user.totp_last_step or 0) + 1)
    assert step <= now + 1, "no unused code in the window: a test used three"
    return pyotp.TOTP(user.totp_secret).at(step * 30)


def post_form(client: FlaskClient, url: str, data: dict, page: str | None = None):
    """Post a form with the CSRF token of `page` (default: the form's own page)."""
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})
