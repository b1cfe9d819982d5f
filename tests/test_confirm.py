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
from tests.helpers.apps import csrf_from, login_as


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


def test_removing_a_member_or_declining_a_request_asks_first(app, client, make_user,
                                                             make_network):
    animator = make_user(display_name="Anne Animatrice")
    member, asking = make_user(display_name="Marc Membre"), make_user(display_name="Rita Requête")
    network = make_network(animator, "Réseau des vanniers", visibility="request")
    db.session.add_all([
        Membership(network_id=network.id, user_id=member.id, status="active",
                   accepted_charter_version=network.charter_version, joined_at=utcnow()),
        Membership(network_id=network.id, user_id=asking.id, status="requested")])
    db.session.commit()
    base, member_id, asking_id = f"/networks/{network.id}", member.id, asking.id
    remove, decline = f"{base}/members/{member_id}/remove", f"{base}/members/{asking_id}/remove"

    def status(user_id):
        db.session.expire_all()
        return db.session.scalar(select(Membership.status).where(
            Membership.network_id == network.id, Membership.user_id == user_id))

    # Someone who is not an animator is refused before any question.
    login_as(client, member)
    assert client.get(decline).status_code == 403
    other = app.test_client()
    login_as(other, animator)
    _button_asks(other.get(f"{base}/members").get_data(as_text=True), decline)
    html = other.get(decline).get_data(as_text=True)
    assert "Refuser la demande de Rita Requête" in html and f'href="{base}/members"' in html
    assert status(asking_id) == "requested"  # the GET did nothing
    token = _confirm_form(html, decline)
    assert other.post(decline).status_code == 400 and status(asking_id) == "requested"
    assert other.post(decline, data={"csrf_token": token}).status_code == 302
    assert status(asking_id) is None

    html = other.get(remove).get_data(as_text=True)
    assert "Retirer Marc Membre de Réseau des vanniers" in html and status(member_id) == "active"
    assert other.post(remove, data={"csrf_token": _confirm_form(html, remove)}).status_code == 302
    assert status(member_id) is None
    assert other.get(f"{base}/members/99999999/remove").status_code == 404


def test_revoking_an_invitation_asks_first(app, client, make_user, make_network):
    from datetime import timedelta

    from models import Invitation
    animator, member = make_user(display_name="Anne"), make_user(display_name="Marc")
    network = make_network(animator, "Réseau privé", visibility="private")
    invitation = Invitation(network_id=network.id, expires_at=utcnow() + timedelta(days=3))
    db.session.add(invitation)
    db.session.commit()
    invitation_id, token_url = invitation.id, f"/networks/invitation/{invitation.token}"
    url = f"/networks/{network.id}/invitations/{invitation_id}/revoke"

    def revoked():
        db.session.expire_all()
        return db.session.get(Invitation, invitation_id).revoked

    login_as(client, member)
    assert client.get(url).status_code in (403, 404)  # not an animator: no question
    animator_client = app.test_client()
    login_as(animator_client, animator)
    _button_asks(animator_client.get(f"/networks/{network.id}/invitations")
                 .get_data(as_text=True), url)
    html = animator_client.get(url).get_data(as_text=True)
    assert "Révoquer ce lien d’invitation" in html and not revoked()
    assert app.test_client().get(token_url).status_code == 200  # the link still works
    assert animator_client.post(url).status_code == 400 and not revoked()
    assert animator_client.post(url, data={"csrf_token": _confirm_form(html, url)}
                                ).status_code == 302
    assert revoked() and app.test_client().get(token_url).status_code == 404
    assert animator_client.get(f"/networks/{network.id}/invitations/99999999/revoke"
                               ).status_code == 404


def test_removing_a_place_animator_asks_first(app, client, make_user):
    from models import Place, place_animator
    organiser = make_user(display_name="Olga Organisatrice", role="organiser")
    animator = make_user(display_name="Paul Animateur")
    place = Place(name="Tiers-lieu du Vallon", commune_insee="12202", created_by_id=organiser.id)
    place.animators.append(animator)
    db.session.add(place)
    db.session.commit()
    place_id, animator_id = place.id, animator.id
    url = f"/places/{place_id}/animators/{animator_id}/remove"

    def animates():
        return db.session.execute(select(place_animator).where(
            place_animator.c.place_id == place_id,
            place_animator.c.user_id == animator_id)).first() is not None

    login_as(client, animator)
    assert client.get(url).status_code == 403  # organisers only, before any question
    orga = app.test_client()
    login_as(orga, organiser)
    _button_asks(orga.get(f"/places/{place_id}/animators").get_data(as_text=True), url)
    html = orga.get(url).get_data(as_text=True)
    assert "Retirer Paul Animateur des animateur·rices de Tiers-lieu du Vallon" in html
    assert animates()
    assert orga.post(url).status_code == 400 and animates()
    done = orga.post(url, data={"csrf_token": _confirm_form(html, url)})
    assert done.status_code == 302 and not animates()
    assert "Paul Animateur n’anime plus" in orga.get(done.headers["Location"]).get_data(
        as_text=True)
    assert orga.get(url).status_code == 404  # no longer an animator: nothing to ask


def test_leaving_a_group_conversation_asks_first(app, client, make_user):
    from app.chat.rooms import create_group, readable_room
    me, other = make_user(display_name="Moi"), make_user(display_name="Xavier")
    low, high = sorted((me.id, other.id))
    db.session.add(Connection(low_id=low, high_id=high, requester_id=me.id, status="accepted"))
    db.session.commit()
    room = create_group(db.session, me, "Atelier osier", [other]).id
    db.session.commit()
    my_id, url = me.id, f"/chat/{room}/leave"
    login_as(client, me)
    _button_asks(client.get(f"/chat/{room}").get_data(as_text=True), url)
    html = client.get(url).get_data(as_text=True)
    assert "Quitter la conversation Atelier osier" in html and f'href="/chat/{room}"' in html
    assert readable_room(db.session, my_id, room) is not None
    assert client.post(url).status_code == 400
    assert readable_room(db.session, my_id, room) is not None
    stranger = app.test_client()
    login_as(stranger, make_user())
    assert stranger.get(url).status_code == 404  # not in the room: no question
    assert client.post(url, data={"csrf_token": _confirm_form(html, url)}).status_code == 302
    db.session.expire_all()
    assert readable_room(db.session, my_id, room) is None
