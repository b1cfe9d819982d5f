"""The member's home: the feed (app/feed/queries.py), its keyset pages, what it never shows, the
requests waiting for an answer and a new account's first steps."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from app.feed import queries
from app.moderation import actions
from app.networks.service import create_comment, create_post, join_open
from app.social import connections
from models import Place, Post, User, db
from models.types import utcnow
from tests.helpers.apps import login_as
from tests.helpers.demand import declare


def _member(make_user, make_network):
    ana = make_user("ana@example.org", display_name="Ana Rodez", skills=("Graphisme",),
                    bio="Graphiste à Rodez.")
    bob = make_user("bob@example.org", display_name="Bob Millau", commune="12145")
    network = make_network(bob, "Réseau des graphistes")
    join_open(db.session, network, ana, None)
    db.session.commit()
    return ana, bob, network


def _feed_html(app, user, **query) -> str:
    client = app.test_client()
    login_as(client, user)
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_visitors_keep_the_brochure_members_get_their_feed(app, client, make_user, make_network):
    ana, bob, network = _member(make_user, make_network)
    create_post(db.session, network, bob, "Qui connaît un **bon imprimeur** ?")
    db.session.commit()
    brochure = client.get("/").get_data(as_text=True)
    assert "Join the network" in brochure or "Rejoindre" in brochure
    assert "bon imprimeur" not in brochure
    html = _feed_html(app, ana)
    assert "bon imprimeur" in html and "Réseau des graphistes" in html
    assert "**" not in html  # what a reader sees, not the Markdown source
    assert f'/networks/{network.id}/posts/' in html


def test_the_feed_leaves_out_what_the_member_must_not_see(app, make_user, make_network):
    ana, bob, network = _member(make_user, make_network)
    carl = make_user("carl@example.org", display_name="Carl")
    dora = make_user("dora@example.org", display_name="Dora")
    eve = make_user("eve@example.org", display_name="Eve")
    for user in (carl, dora, eve):
        join_open(db.session, network, user, None)
    other = make_network(carl, "Réseau où Ana n'est pas")
    db.session.commit()
    shown = create_post(db.session, network, bob, "Visible par Ana")
    create_post(db.session, network, ana, "Écrit par Ana elle-même")
    create_post(db.session, other, carl, "Dans un autre réseau")
    hidden = create_post(db.session, network, bob, "Caché par un modérateur")
    create_post(db.session, network, carl, "De quelqu'un qu'Ana a bloqué")
    create_post(db.session, network, dora, "De quelqu'un qui a bloqué Ana")
    create_post(db.session, network, eve, "D'un compte suspendu")
    create_comment(db.session, shown, carl, "Réponse d'une personne bloquée")
    create_comment(db.session, shown, bob, "Réponse de Bob")
    db.session.flush()
    adam = make_user("adam@example.org", display_name="Adam Admin", role="admin")
    actions.perform(db.session, adam, "hide", "post", hidden.id, "Hors sujet")
    actions.perform(db.session, adam, "suspend", "profile", eve.profile.id, "Faux compte")
    connections.block(db.session, ana.id, carl.id)
    connections.block(db.session, dora.id, ana.id)
    db.session.commit()
    page = queries.feed(db.session, db.session.get(User, ana.id))
    texts = [item.data.get("excerpt") for item in page.items]
    assert texts == ["Réponse de Bob", "Visible par Ana"]
    html = _feed_html(app, ana)
    for text in ("Écrit par Ana", "autre réseau", "Caché", "bloqué", "suspendu"):
        assert text not in html


def test_people_and_places_near_me(app, make_user, make_network):
    ana, _bob, _network = _member(make_user, make_network)
    near = make_user("near@example.org", display_name="Nina Proche", commune="12202",
                     skills=("graphisme",))
    make_user("far@example.org", display_name="Fabien Loin", commune="48095",
              skills=("Graphisme",))
    make_user("other@example.org", display_name="Olivier Autre", commune="12202",
              skills=("Menuiserie",))
    db.session.add(Place(name="La Fabrique", commune_insee="12202", created_by_id=near.id))
    db.session.add(Place(name="Lieu lointain", commune_insee="48095", created_by_id=near.id))
    db.session.commit()
    html = _feed_html(app, ana)
    assert "Nina Proche" in html and "La Fabrique" in html
    for text in ("Fabien Loin", "Olivier Autre", "Lieu lointain"):
        assert text not in html


def test_pages_follow_a_keyset_cursor_and_never_repeat(app, make_user, make_network):
    ana, bob, network = _member(make_user, make_network)
    start = utcnow() - timedelta(hours=2)
    for i in range(45):
        create_post(db.session, network, bob, f"Publication numéro {i:02d}.")
    db.session.flush()
    # Several posts at the same instant: the id breaks the tie.
    for post in db.session.scalars(select(Post).where(Post.author_id == bob.id)):
        post.created_at = start + timedelta(minutes=post.id % 7)
    db.session.commit()
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = queries.feed(db.session, db.session.get(User, ana.id),
                            queries.Key.parse(cursor))
        seen += [item.data["excerpt"] for item in page.items]
        if cursor is None:  # a new post between two pages changes nothing in the next ones
            create_post(db.session, network, bob, "Arrivée entre deux pages.")
            db.session.commit()
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 45 and len(set(seen)) == 45
    html = _feed_html(app, ana)
    older = re.search(r'href="(/\?before=[^"]+)"', html)
    assert older is not None
    client = app.test_client()
    login_as(client, ana)
    second = client.get(unescape(older.group(1))).get_data(as_text=True)
    assert "Publication numéro" in second
    assert second.count('class="card feed-item') == 20
    assert "Arrivée entre deux pages" not in second


def test_a_malformed_cursor_gives_the_first_page(app, make_user, make_network):
    ana, bob, network = _member(make_user, make_network)
    create_post(db.session, network, bob, "La première page.")
    db.session.commit()
    for cursor in ("x", "2026-13-01T00:00:00+00:00~post~1", "2026-12-01T00:00:00~post~1",
                   "2026-12-01T00:00:00+00:00~user~1", "2026-12-01T00:00:00+00:00~post~-1",
                   "2026-12-01T00:00:00+00:00~post~" + "9" * 40, "~~", "\x00"):
        assert queries.Key.parse(cursor) is None
        assert "La première page." in _feed_html(app, ana, before=cursor)


def test_first_steps_until_done_and_requests_waiting(app, make_user, make_network):
    newcomer = make_user("new@example.org", display_name="Nouvelle", commune=None)
    html = _feed_html(app, newcomer)
    assert html.count('class="todo"') == 4
    bob = make_user("bob@example.org", display_name="Bob")
    connections.ask(db.session, bob.id, newcomer.id, "Travaillons ensemble")
    db.session.commit()
    html = _feed_html(app, newcomer)
    assert "Travaillons ensemble" in html and "/connections" in html
    # Every step done: the list goes.
    user = db.session.get(User, newcomer.id)
    user.profile.commune_insee = "12202"
    user.profile.bio = "Menuisière."
    from models import Skill
    user.profile.skills = Skill.get_or_create(db.session, ["Menuiserie"])
    network = make_network(bob, "Réseau des menuisiers")
    join_open(db.session, network, user, None)
    connection = connections.connection_between(db.session, bob.id, user.id)
    connections.respond(db.session, connection, user.id, accept=True)
    db.session.commit()
    declare(user.id, "12202")
    html = _feed_html(app, newcomer)
    assert 'class="todo"' not in html and "steps-title" not in html
