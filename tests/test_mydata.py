"""A member's data: the export ZIP holds every row they created (compared with the database,
table by table), and deleting the account takes them out of search, the directory and the API,
their posts deleted or kept anonymously as they chose."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from app.people.mydata import SECRET_COLUMNS, owned, row_dict
from models import (
    Block,
    Campaign,
    CensusSuppression,
    CensusTarget,
    Comment,
    Commune,
    Connection,
    Membership,
    Message,
    Place,
    PlaceFollow,
    PlaceInterest,
    Poll,
    Post,
    Profile,
    Proposal,
    Report,
    User,
    Vote,
    db,
)
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.demand import declare

FORMER = "Ancien·ne membre"


@pytest.fixture
def busy(app, make_user, make_network):
    """Léa, who did a bit of everything; Paul, her neighbour."""
    from app.chat.rooms import network_room
    from app.chat.sending import store_message
    from app.networks.service import create_comment, create_post
    lea = make_user("lea@example.org", display_name="Léa Bousquet", skills=("menuiserie",),
                    headline="Menuisière à Rignac", bio="J'aime le **chêne**.")
    paul = make_user("paul@example.org", display_name="Paul Vidal")
    network = make_network(paul, "Bois d'Aveyron", visibility="open")
    db.session.add(Membership(network_id=network.id, user_id=lea.id, status="active",
                              accepted_charter_version=network.charter_version,
                              joined_at=utcnow()))
    own = make_network(lea, "Menuisières du Ségala", visibility="open")
    db.session.add(Membership(network_id=own.id, user_id=paul.id, status="active", role="animator",
                              accepted_charter_version=own.charter_version, joined_at=utcnow()))
    post = create_post(db.session, network, lea, "Qui a une raboteuse ?")
    create_comment(db.session, post, lea, "Je réponds à moi-même")
    create_comment(db.session, post, paul, "Moi !")
    room = network_room(db.session, network)
    store_message(db.session, room.id, lea.id, "Bonjour le réseau", "lea-1")
    store_message(db.session, room.id, paul.id, "Salut Léa", "paul-1")
    low, high = sorted((lea.id, paul.id))
    db.session.add(Connection(low_id=low, high_id=high, requester_id=lea.id, status="accepted"))
    other = make_user("troll@example.org", display_name="Troll")
    db.session.add(Block(blocker_id=lea.id, blocked_id=other.id))
    place = Place(name="La Scierie", commune=db.session.get(Commune, "12202"), status="project",
                  created_by_id=lea.id)
    db.session.add(place)
    db.session.flush()
    db.session.add_all([PlaceFollow(place_id=place.id, user_id=lea.id),
                        PlaceInterest(place_id=place.id, user_id=lea.id)])
    poll = Poll(place_id=place.id, kind="name", question="Quel nom ?", created_by_id=paul.id,
                closes_at=utcnow() + timedelta(days=3))
    db.session.add(poll)
    db.session.flush()
    proposal = Proposal(poll_id=poll.id, author_id=lea.id, text="Le Copeau", text_key="le copeau",
                        status="approved")
    db.session.add(proposal)
    db.session.flush()
    db.session.add(Vote(poll_id=poll.id, user_id=lea.id, proposal_id=proposal.id))
    db.session.add(Report(reporter_id=lea.id, target_kind="profile", target_id=other.profile.id,
                          reason="spam"))
    # A census drew her, she said no: both are hers to see (and go with her account).
    campaign = Campaign(title="Recensement", starts_on=date.today(), ends_on=date.today(),
                        tracks=["independent"])
    db.session.add(campaign)
    db.session.flush()
    db.session.add_all([
        CensusTarget(campaign_id=campaign.id, unit="member", user_id=lea.id,
                     commune_insee="12202", size_class="town", ref="ABCDEFGH",
                     status="declined", note="Pas le temps"),
        CensusSuppression(user_id=lea.id, reason="declined", campaign_id=campaign.id)])
    db.session.commit()
    declare(lea.id, "12202")
    return lea, paul, network, post


def test_the_export_holds_every_row_the_member_created(app, busy):
    lea = busy[0]
    client = app.test_client()
    login_as(client, lea)
    response = client.get("/people/me/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    for name, model, where in owned(lea.id):
        exported = json.loads(archive.read(f"{name}.json"))
        key = inspect(model).primary_key
        rows = [row_dict(r) for r in db.session.scalars(select(model).where(where).order_by(*key))]
        if name == "profile":
            for row in exported:
                assert row.pop("skills") == ["Menuiserie"]
                assert row.pop("avatar_urls") is None and row["avatar"] is None  # no picture
        assert exported == json.loads(json.dumps(rows, ensure_ascii=False)), name
        # The fixture gave her at least one row of every kind but these two.
        if name not in ("campaigns_created", "appeals", "invitations_created", "rooms_created",
                        "room_memberships", "polls_created"):
            assert len(rows) >= 1, name
    for text in ("profile.md", "posts.md", "comments.md", "messages.md", "README.txt"):
        assert text in names
    assert "J'aime le **chêne**." in archive.read("profile.md").decode()
    assert "Qui a une raboteuse ?" in archive.read("posts.md").decode()
    assert "Bonjour le réseau" in archive.read("messages.md").decode()
    assert "Salut Léa" not in archive.read("messages.md").decode()  # Paul's, not hers
    everything = b"".join(archive.read(n) for n in names).decode()
    user = db.session.get(User, lea.id)
    assert user.password_hash not in everything and user.session_token not in everything
    assert all(c not in json.loads(archive.read("account.json"))[0] for c in SECRET_COLUMNS)
    assert app.test_client().get("/people/me/data.zip").status_code == 302  # log in first


@pytest.mark.parametrize("content", ["anonymise", "delete"])
def test_deleting_the_account_removes_the_person_everywhere(app, busy, content):
    lea, paul, network, post = busy
    client = app.test_client()
    login_as(client, lea)
    profile_id, lea_id, post_id, network_id = lea.profile.id, lea.id, post.id, network.id
    search = app.test_client().get("/api/v1/search?q=Bousquet").get_json()
    assert search["total"] == 1
    page = client.get("/people/me/delete")
    html = page.get_data(as_text=True)
    # She animates "Menuisières du Ségala" with Paul: she may go. Without the box ticked or with
    # a wrong password, nothing happens and the choice is kept.
    refused = client.post("/people/me/delete", data={"password": "wrong", "content": content,
                                                     "confirm": "y", "csrf_token": csrf_from(html)})
    assert refused.status_code == 422
    assert client.post("/people/me/delete", data={"password": "correct horse battery",
                                                  "content": content,
                                                  "csrf_token": csrf_from(html)}).status_code == 422
    assert db.session.get(User, lea.id) is not None
    done = client.post("/people/me/delete", data={"password": "correct horse battery",
                                                  "content": content, "confirm": "y",
                                                  "csrf_token": csrf_from(html)})
    assert done.status_code == 302
    assert done.headers["Clear-Site-Data"] == '"cache", "storage"'  # this device forgets her
    assert db.session.get(User, lea_id) is None
    assert db.session.get(Profile, profile_id) is None
    # Nothing of the census is kept on her either.
    assert db.session.scalar(select(func.count()).select_from(CensusTarget)) == 0
    assert db.session.scalar(select(func.count()).select_from(CensusSuppression)) == 0
    visitor = app.test_client()
    assert visitor.get(f"/people/{profile_id}").status_code == 404
    assert visitor.get(f"/api/v1/profiles/{profile_id}").status_code == 404
    assert "Bousquet" not in visitor.get("/people/").get_data(as_text=True)
    assert visitor.get("/api/v1/search?q=Bousquet").get_json()["total"] == 0
    assert client.get("/people/me/edit").status_code == 302  # logged out
    kept = db.session.get(Post, post_id)
    lea_comments = db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.body == "Je réponds à moi-même"))
    message = db.session.scalar(select(Message).where(Message.client_id == "lea-1"))
    if content == "delete":
        assert kept is None and lea_comments == 0
        assert message is None or message.body == ""
    else:
        assert kept is not None and kept.author_id is None and lea_comments == 1
        assert message.body == "Bonjour le réseau" and message.author_id is None
        paul_client = app.test_client()
        login_as(paul_client, paul)
        stream = paul_client.get(f"/networks/{network_id}").get_data(as_text=True)
        assert "Qui a une raboteuse ?" in stream and FORMER in stream
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == lea_id)) is None


def test_the_only_animator_of_a_network_appoints_someone_first(app, make_user, make_network):
    alone = make_user("alone@example.org", display_name="Seule Animatrice")
    make_network(alone, "Réseau solitaire")
    client = app.test_client()
    login_as(client, alone)
    page = client.get("/people/me/delete").get_data(as_text=True)
    assert "Réseau solitaire" in page
    response = client.post("/people/me/delete", data={
        "password": "correct horse battery", "content": "delete", "confirm": "y",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert db.session.get(User, alone.id) is not None
