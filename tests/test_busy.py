"""When every database connection of a process is taken, a request or a chat send is answered
"busy, try again" after DATABASE_POOL_TIMEOUT, never after SQLAlchemy's 30 s nor as an error."""
from __future__ import annotations

import pytest

from models import db
from tests.helpers.apps import base_config, login_as
from tests.helpers.chat import sock


@pytest.fixture
def app_config(db_path):
    return {**base_config(db_path), "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_size": 2, "max_overflow": 0, "pool_timeout": 0.2}}


@pytest.fixture
def all_connections_taken(app):
    held = []

    def take():
        held.extend(db.engine.connect() for _ in range(2 - len(held)))
    yield take
    for connection in held:
        connection.close()


def test_a_page_and_the_api_answer_503_when_the_pool_is_empty(app, make_user, all_connections_taken):
    member = make_user(display_name="Lou Pressé")
    client = app.test_client()
    login_as(client, member)
    db.session.remove()
    all_connections_taken()
    page = client.get("/people/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "Maillage est très sollicité" in page.get_data(as_text=True)
    api = client.get("/api/v1/profiles")
    assert api.status_code == 503 and api.get_json()["status"] == 503


def test_a_chat_send_answers_busy_when_the_pool_is_empty(app, make_user, make_network,
                                                         all_connections_taken):
    anim = make_user(display_name="Ana Animatrice")
    network = make_network(anim)
    client = app.test_client()
    login_as(client, anim)
    room = client.get("/api/v1/rooms").get_json()["items"][0]["id"]
    assert network.id
    a = sock(app, anim)
    db.session.remove()
    all_connections_taken()
    reply = a.emit("send", {"room": room, "body": "Allô ?", "client_id": "busy-1"},
                   namespace="/chat", callback=True)
    assert reply["ok"] is False and reply["error"]["code"] == "busy"
    assert a.is_connected("/chat")
