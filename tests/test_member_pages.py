"""A member's home feed, profile pages and directory are kept whole per login session
(app/pagecache.py: `member_page`): a second visit costs one query (the account with its login
session and the header), and whatever changes what such a page shows is seen on the next visit."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.chat.rooms import direct_room
from app.chat.sending import store_message
from app.networks.service import create_post, join_open
from app.social import connections
from app.social.notify import notify
from models import NotificationKind, RoomMember, User, db
from tests.helpers.apps import csrf_from, login_as


@contextmanager
def statements():
    """The SQL statements run inside the block (of every connection of the engine)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.fixture
def world(app, make_user, make_network):
    app.extensions["maillage_content_version"].seconds = 3600  # no re-read on a slow machine
    ana = make_user("ana@example.org", display_name="Ana Rodez", skills=("Graphisme",),
                    commit=False)
    bob = make_user("bob@example.org", display_name="Bob Millau", commune="12145", commit=False)
    network = make_network(bob, "Réseau des graphistes", commit=False)
    join_open(db.session, network, ana, None)
    db.session.commit()
    return ana, bob, network


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_second_visit_costs_one_statement_for_the_account_and_the_header(app, client, world):
    """The row that would catch member pages growing costly again: what a hit runs."""
    ana, bob, _network = world
    login_as(client, ana)
    for url in ("/", f"/people/{bob.profile.id}", "/people/"):
        first = page(client, url)
        with statements() as seen:
            again = page(client, url)
        assert again == first
        assert len(seen) == 1, seen  # the account with its login session and the header
        assert "user_session" in seen[0] and "notification" in seen[0]


def test_what_everyone_sees_changes_shows_at_once(client, world):
    ana, bob, network = world
    login_as(client, ana)
    assert "imprimeur" not in page(client, "/")
    create_post(db.session, network, bob, "Qui connaît un bon imprimeur ?")
    db.session.commit()
    assert "imprimeur" in page(client, "/")
    bob.display_name = "Robert Millau"
    db.session.commit()
    assert "Robert Millau" in page(client, f"/people/{bob.profile.id}")


def test_what_only_this_member_sees_changes_shows_at_once(client, world, make_network):
    ana, bob, _network = world
    potters = make_network(bob, "Réseau des potiers", commit=False)
    create_post(db.session, potters, bob, "Un four à partager")
    db.session.commit()
    login_as(client, ana)
    assert "Un four à partager" not in page(client, "/")
    # Ana joins (no notification for her, nothing everyone sees): her feed has the post.
    join_open(db.session, potters, ana, None)
    db.session.commit()
    assert "Un four à partager" in page(client, "/")
    profile = f"/people/{bob.profile.id}"
    assert "Ask to connect" in page(client, profile) or "Demander" in page(client, profile)
    home = page(client, "/")
    # Bob asks Ana: her home lists the request (the personal version of both moved).
    connections.ask(db.session, bob.id, ana.id, "Un café à Millau")
    db.session.commit()
    assert "Un café à Millau" not in home and "Un café à Millau" in page(client, "/")
    # Ana blocks Bob: his page offers to unblock.
    connections.block(db.session, ana.id, bob.id)
    db.session.commit()
    html = page(client, profile)
    assert f"/blocks/{bob.id}/remove" in html


def test_the_header_is_never_stale(client, world):
    ana, bob, _network = world
    login_as(client, ana)
    page(client, "/people/")
    notify(db.session, [ana.id], NotificationKind.CONNECTION_REQUEST, bob.id)
    db.session.commit()
    html = page(client, "/people/")
    assert re.search(r'id="nav-notifications"[^>]*>[^<]*<span class="count">1', html)
    assert re.search(r"data-messages-badge hidden", html)
    connections.respond(db.session, connections.ask(db.session, bob.id, ana.id, ""), ana.id, True)
    room = direct_room(db.session, bob, ana)
    store_message(db.session, room.id, bob.id, "Salut", "c-1")
    db.session.commit()
    html = page(client, "/people/")
    assert "data-messages-badge>" in html  # the dot shows


def test_a_flashed_message_is_shown_once_and_never_kept(client, world):
    ana, _bob, _network = world
    login_as(client, ana)
    token = csrf_from(page(client, "/"))
    response = client.post("/lang", data={"lang": "en", "csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Un message à ne montrer qu'une fois")]
    assert "Un message à ne montrer qu" in page(client, "/")
    assert "Un message à ne montrer qu" not in page(client, "/")


def test_two_devices_of_one_member_never_share_a_page(app, world):
    """Each login session's forms carry its own CSRF token: a page kept for the phone would be
    refused on the laptop."""
    ana, _bob, _network = world
    phone, laptop = app.test_client(), app.test_client()
    login_as(phone, ana)
    login_as(laptop, ana)
    page(phone, "/people/")
    token = csrf_from(page(laptop, "/people/"))
    response = laptop.post("/lang", data={"lang": "en", "csrf_token": token})
    assert response.status_code == 302


def test_an_entry_lives_member_page_seconds_at_most(app, client, world):
    ana, _bob, _network = world
    app.config["MEMBER_PAGE_SECONDS"] = 0
    login_as(client, ana)
    page(client, "/")
    with statements() as seen:
        page(client, "/")
    assert len(seen) > 2  # rendered again


def test_visitors_pass_through(client, world):
    _ana, bob, _network = world
    page(client, f"/people/{bob.profile.id}")
    assert "Log in" in page(client, "/") or "Se connecter" in page(client, "/")


# -- the personal version (models/personal.py) -------------------------------------------------

def versions(*users: User) -> list[int]:
    return [db.session.get(User, user.id, populate_existing=True).personal_version
            for user in users]


def test_a_connection_bumps_both_people_once_per_transaction(world):
    ana, bob, _network = world
    before = versions(ana, bob)
    connection = connections.ask(db.session, bob.id, ana.id, "")
    db.session.flush()
    connections.respond(db.session, connection, ana.id, True)
    db.session.commit()
    assert versions(ana, bob) == [before[0] + 1, before[1] + 1]


def test_a_read_marker_bumps_nobody_and_a_rollback_keeps_the_version(world):
    ana, bob, _network = world
    connections.respond(db.session, connections.ask(db.session, bob.id, ana.id, ""), ana.id, True)
    room = direct_room(db.session, bob, ana)
    db.session.commit()
    before = versions(ana, bob)
    marker = db.session.get(RoomMember, (room.id, ana.id))
    marker.last_read_id = 10
    db.session.commit()
    assert versions(ana, bob) == before
    connections.block(db.session, ana.id, bob.id)
    db.session.flush()
    db.session.rollback()
    assert versions(ana, bob) == before
