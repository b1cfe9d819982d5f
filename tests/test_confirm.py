"""Destructive actions ask first (issue 21): the page's button is a GET form whose answer, without
JavaScript, is a confirm page; only the POST (with its CSRF token, by who may) acts. The dialog
that asks the same with JavaScript is tested in Chromium (tests/test_browser_phone.py)."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.networks.service import create_comment, create_post
from app.social.connections import is_blocked
from models import Comment, Connection, ConnectionStatus, Membership, Post, db
from models.types import utcnow
from tests.conftest import csrf_from, login_as


def _confirm_form(html: str, action: str) -> str:
    """The confirm page's form: posts to `action`, with a CSRF token; returns the token."""
    assert "Êtes-vous sûr·e" in html
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form and form.group(1) == action
    assert 'href="' in form.group(2) and "Annuler" in form.group(2)
    return csrf_from(html)


def _button_asks(html: str, action: str) -> None:
    """The page's button is a GET form to the action, marked for the dialog."""
    form = re.search(rf'<form method="get" action="{re.escape(action)}"[^>]*>', html)
    assert form and "data-confirm=" in form.group(0), action
    assert f'<form method="post" action="{action}"' not in html


def test_blocking_asks_first(app, client, make_user):
    me, other = make_user(display_name="Moi Même"), make_user(display_name="Bruno Costes")
    login_as(client, me)
    profile = f"/people/{other.profile.id}"
    _button_asks(client.get(profile).get_data(as_text=True), f"/blocks/{other.id}")
    page = client.get(f"/blocks/{other.id}?next={profile}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bloquer Bruno Costes" in html and f'href="{profile}"' in html  # cancel: back
    assert not is_blocked(db.session, me.id, other.id)  # the GET did nothing
    token = _confirm_form(html, f"/blocks/{other.id}")
    assert client.post(f"/blocks/{other.id}", data={"next": profile}).status_code == 400
    assert not is_blocked(db.session, me.id, other.id)  # no CSRF token: nothing
    done = client.post(f"/blocks/{other.id}", data={"csrf_token": token, "next": profile})
    assert done.status_code == 302 and done.headers["Location"].endswith(profile)
    assert is_blocked(db.session, me.id, other.id)
    assert client.get("/blocks/99999999").status_code == 404
    client.post("/auth/logout", data={"csrf_token": token})
    assert client.get(f"/blocks/{other.id}").status_code in (302, 401)  # members only


def test_removing_a_connection_asks_first(app, client, make_user):
    me, other = make_user(display_name="Moi Même"), make_user(display_name="Bruno Costes")
    low, high = sorted((me.id, other.id))
    connection = Connection(low_id=low, high_id=high, requester_id=me.id,
                            status=ConnectionStatus.ACCEPTED)
    db.session.add(connection)
    db.session.commit()
    connection_id = connection.id
    login_as(client, me)
    url = f"/connections/{connection_id}/withdraw"
    _button_asks(client.get("/connections").get_data(as_text=True), url)
    html = client.get(url).get_data(as_text=True)
    assert "Retirer votre mise en relation avec Bruno Costes" in html
    assert db.session.get(Connection, connection_id) is not None
    assert client.get(f"/connections/{connection_id}/accept").status_code == 405
    stranger = app.test_client()
    login_as(stranger, make_user())
    assert stranger.get(url).status_code == 404  # not theirs
    assert client.post(url, data={"csrf_token": _confirm_form(html, url)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Connection, connection_id) is None


def test_deleting_a_post_a_reply_and_leaving_ask_first(app, client, make_user, make_network):
    animator, me = make_user(display_name="Anne"), make_user(display_name="Moi")
    network = make_network(animator, "Réseau des vanniers")
    db.session.add(Membership(network_id=network.id, user_id=me.id, status="active",
                              accepted_charter_version=network.charter_version,
                              joined_at=utcnow()))
    db.session.flush()
    post = create_post(db.session, network, me, "Mon message")
    comment = create_comment(db.session, post, me, "Ma réponse")
    db.session.commit()
    post_id, comment_id, my_id = post.id, comment.id, me.id
    login_as(client, me)
    base = f"/networks/{network.id}"
    post_url, comment_url = f"{base}/posts/{post.id}/delete", f"{base}/comments/{comment.id}/delete"
    _button_asks(client.get(base).get_data(as_text=True), post_url)
    _button_asks(client.get(base).get_data(as_text=True), f"{base}/leave")
    _button_asks(client.get(f"{base}/posts/{post.id}").get_data(as_text=True), comment_url)
    # Someone else's: refused before any question.
    other = app.test_client()
    login_as(other, animator)
    assert other.get(post_url).status_code == 403 and other.get(comment_url).status_code == 403

    html = client.get(comment_url).get_data(as_text=True)
    assert "Supprimer votre réponse" in html
    assert client.post(comment_url, data={"csrf_token": _confirm_form(html, comment_url)}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None
    html = client.get(post_url).get_data(as_text=True)
    assert db.session.get(Post, post_id) is not None
    assert client.post(post_url, data={"csrf_token": _confirm_form(html, post_url)}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post_id) is None

    html = client.get(f"{base}/leave").get_data(as_text=True)
    assert "Quitter Réseau des vanniers" in html
    assert db.session.scalar(select(Membership).where(Membership.user_id == my_id)) is not None
    client.post(f"{base}/leave", data={"csrf_token": _confirm_form(html, f"{base}/leave")})
    db.session.expire_all()
    assert db.session.scalar(select(Membership).where(Membership.user_id == my_id)) is None
