"""Networks: creation, charter versions, joining in each visibility, posts, comments,
notifications, roles, invitations."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import Invitation, Membership, Network, Notification, Post, db
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as


def accept(client, network_id: int, version: int = 1):
    """Accept the charter (this version) and join."""
    return client.post(f"/networks/{network_id}/join", data={
        "accept": "y", "version": str(version), "csrf_token": token(client)})


def token(client, url="/networks/"):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_create_network_through_the_form(client, auth, make_user):
    make_user("ana@example.org")
    auth.login("ana@example.org")
    r = client.post("/networks/new", data={
        "name": "  Bois   et forêt  ", "description": "**Menuisiers** du Ségala",
        "skills": "menuisière, charpente", "scope": "commune", "commune": "Rignac",
        "visibility": "request", "charter": "Soyons *bienveillants*.",
        "csrf_token": token(client, "/networks/new")})
    assert r.status_code == 302
    network = db.session.scalar(select(Network))
    assert network.name == "Bois et forêt" and network.scope_code == "12199"
    assert network.charter_version == 1 and network.member_count == 1
    assert {s.name for s in network.skills} >= {"Menuiserie"}
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<strong>Menuisiers</strong>" in html and "Rignac" in html


def test_bad_network_form_keeps_everything_typed(client, auth, make_user):
    make_user("ana@example.org")
    auth.login("ana@example.org")
    r = client.post("/networks/new", data={
        "name": "<script>x</script>", "description": "desc <img src=x onerror=alert(1)>",
        "skills": "a, " * 30, "scope": "commune", "commune": "Atlantis", "visibility": "nope",
        "charter": "c" * 30_000, "csrf_token": token(client, "/networks/new")})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "Atlantis" in html and "onerror=alert(1)&gt;" in html
    assert db.session.scalar(select(Network)) is None


def test_open_network_join_needs_the_charter(client, auth, make_user, make_network):
    owner = make_user("owner@example.org")
    network = make_network(owner, visibility="open", charter="Rule one")
    make_user("bob@example.org")
    auth.login("bob@example.org")
    url = f"/networks/{network.id}/join"
    r = client.post(url, data={"csrf_token": token(client)})
    assert r.status_code == 422 and "Rule one" in r.get_data(as_text=True)
    r = client.post(url, data={"accept": "y", "version": "1", "csrf_token": token(client)})
    assert r.status_code == 302
    m = db.session.scalar(select(Membership).where(Membership.network_id == network.id,
                                                   Membership.user_id != owner.id))
    assert m.status == "active" and m.accepted_charter_version == 1
    assert db.session.get(Network, network.id).member_count == 2


def test_charter_change_asks_members_again_before_posting(client, auth, make_user, make_network):
    owner = make_user("owner@example.org")
    network = make_network(owner, visibility="open", charter="v1")
    bob = make_user("bob@example.org")
    auth.login("bob@example.org")
    accept(client, network.id)
    from app.networks.service import set_charter
    set_charter(db.session, db.session.get(Network, network.id), "v2: no ads", owner)
    db.session.commit()
    r = client.post(f"/networks/{network.id}/posts", data={"body": "hello",
                                                           "csrf_token": token(client)})
    assert r.status_code == 302 and "/charter" in r.headers["Location"]
    assert db.session.scalar(select(Post)) is None
    # Accepting the version read before the change is refused: read the new one first.
    assert accept(client, network.id, version=1).status_code == 422
    accept(client, network.id, version=2)
    r = client.post(f"/networks/{network.id}/posts", data={"body": "hello",
                                                           "csrf_token": token(client)})
    assert r.status_code == 302 and db.session.scalar(select(Post)).author_id == bob.id


def test_request_approve_accept_post_notify(app, make_user, make_network):
    """Must show 1, without the browser: B asks, A approves, B accepts the charter, B posts,
    A gets a notification (and B one for the approval)."""
    a = make_user("a@example.org", display_name="Alice Vidal")
    b = make_user("b@example.org", display_name="Bruno Costes")
    network = make_network(a, visibility="private", charter="Private rules")
    invitation = Invitation(network_id=network.id, expires_at=utcnow() + timedelta(days=3))
    db.session.add(invitation)
    db.session.commit()
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)

    assert cb.get(f"/networks/{network.id}").status_code == 404
    inv_url = f"/networks/invitation/{invitation.token}"
    page = cb.get(inv_url).get_data(as_text=True)
    assert "Private rules" in page
    r = cb.post(inv_url, data={"message": "Bonjour !", "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert cb.get(f"/networks/{network.id}/members").status_code == 404  # not yet a member

    members_page = ca.get(f"/networks/{network.id}/members").get_data(as_text=True)
    assert "Bruno Costes" in members_page and "Bonjour !" in members_page
    r = ca.post(f"/networks/{network.id}/members/{b.id}/approve",
                data={"csrf_token": csrf_from(members_page)})
    assert r.status_code == 302

    r = cb.post(f"/networks/{network.id}/posts", data={"body": "too early",
                                                       "csrf_token": token(cb)})
    assert r.status_code in (302, 404) and db.session.scalar(select(Post)) is None
    charter = cb.get(f"/networks/{network.id}/charter").get_data(as_text=True)
    assert "Private rules" in charter and 'name="accept"' in charter
    accept(cb, network.id)
    r = cb.post(f"/networks/{network.id}/posts", data={
        "body": "Premier message, merci @alice vidal !", "csrf_token": token(cb)})
    assert r.status_code == 302

    page = ca.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "Premier message" in page
    kinds = db.session.scalars(select(Notification.kind).where(
        Notification.user_id == a.id)).all()
    assert "join_request" in kinds and "mention" in kinds
    assert db.session.scalars(select(Notification.kind).where(
        Notification.user_id == b.id)).all() == ["join_approved"]
    assert '<span class="count">2' in ca.get("/").get_data(as_text=True)


def test_comments_notify_the_thread_not_the_author(app, make_user, make_network):
    a, b, c = (make_user(f"{n}@example.org", display_name=n.title()) for n in "abc")
    network = make_network(a, visibility="open")
    clients = {}
    for u in (a, b, c):
        clients[u.id] = app.test_client()
        login_as(clients[u.id], u)
        if u is not a:
            accept(clients[u.id], network.id)
    clients[b.id].post(f"/networks/{network.id}/posts",
                       data={"body": "Question ?", "csrf_token": token(clients[b.id])})
    post = db.session.scalar(select(Post))
    clients[c.id].post(f"/networks/{network.id}/posts/{post.id}/comments",
                       data={"body": "Réponse", "csrf_token": token(clients[c.id])})
    clients[b.id].post(f"/networks/{network.id}/posts/{post.id}/comments",
                       data={"body": "Merci", "csrf_token": token(clients[b.id])})
    replies = db.session.execute(select(Notification.user_id, Notification.actor_id).where(
        Notification.kind == "reply").order_by(Notification.id)).all()
    assert replies == [(b.id, c.id), (c.id, b.id)]
    assert db.session.get(Post, post.id).comment_count == 2


def test_only_the_author_edits_or_deletes_and_animators_pin(app, make_user, make_network):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    network = make_network(a, visibility="open")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    accept(cb, network.id)
    cb.post(f"/networks/{network.id}/posts", data={"body": "mine", "csrf_token": token(cb)})
    post = db.session.scalar(select(Post))
    base = f"/networks/{network.id}/posts/{post.id}"
    assert ca.post(f"{base}/edit", data={"body": "hacked", "csrf_token": token(ca)}).status_code == 403
    assert ca.post(f"{base}/delete", data={"csrf_token": token(ca)}).status_code == 403
    assert cb.post(f"{base}/pin", data={"pinned": "1", "csrf_token": token(cb)}).status_code == 403
    assert ca.post(f"{base}/pin", data={"pinned": "1", "csrf_token": token(ca)}).status_code == 302
    r = cb.post(f"{base}/edit", data={"body": "", "csrf_token": token(cb)})
    assert r.status_code == 422
    assert cb.post(f"{base}/edit", data={"body": "edited", "csrf_token": token(cb)}).status_code == 302
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.body == "edited" and post.pinned and post.edited_at is not None
    post_id = post.id
    assert cb.post(f"{base}/delete", data={"csrf_token": token(cb)}).status_code == 302
    db.session.expunge_all()
    assert db.session.get(Post, post_id) is None


def test_keyset_pagination(client, auth, make_user, make_network):
    a = make_user("a@example.org")
    network = make_network(a)
    for i in range(45):
        db.session.add(Post(network_id=network.id, author_id=a.id, body=f"message number {i:02d}"))
    db.session.commit()
    auth.login("a@example.org")
    first = client.get(f"/api/v1/networks/{network.id}/posts").get_json()
    assert [p["body"] for p in first["items"]][:2] == ["message number 44", "message number 43"]
    second = client.get(f"/api/v1/networks/{network.id}/posts?before={first['next_before']}").get_json()
    third = client.get(f"/api/v1/networks/{network.id}/posts?before={second['next_before']}").get_json()
    bodies = [p["body"] for page in (first, second, third) for p in page["items"]]
    assert len(bodies) == 45 == len(set(bodies)) and third["next_before"] is None
    html = client.get(f"/networks/{network.id}").get_data(as_text=True)
    assert f"before={first['next_before']}" in html


def test_last_animator_cannot_leave_but_can_after_appointing(app, make_user, make_network):
    a, b = make_user("a@example.org"), make_user("b@example.org")
    network = make_network(a, visibility="open")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    accept(cb, network.id)
    ca.post(f"/networks/{network.id}/leave", data={"csrf_token": token(ca)})
    assert db.session.scalar(select(Membership).where(Membership.user_id == a.id)) is not None
    page = f"/moderation/profile/{a.profile.id}?network={network.id}"
    assert cb.post(page, data={"action": "demote", "reason": "coup", "minutes": "60",
                               "csrf_token": token(cb)}).status_code == 403
    page = f"/moderation/profile/{b.profile.id}?network={network.id}"
    assert ca.post(page, data={"action": "appoint", "reason": "Co-animation", "minutes": "60",
                               "csrf_token": token(ca)}).status_code == 302
    ca.post(f"/networks/{network.id}/leave", data={"csrf_token": token(ca)})
    assert db.session.scalar(select(Membership).where(Membership.user_id == a.id)) is None


def test_expired_or_revoked_invitation_is_404(client, make_user, make_network):
    a = make_user("a@example.org")
    network = make_network(a, visibility="private")
    old = Invitation(network_id=network.id, expires_at=utcnow() - timedelta(seconds=1))
    gone = Invitation(network_id=network.id, expires_at=utcnow() + timedelta(days=1), revoked=True)
    db.session.add_all([old, gone])
    db.session.commit()
    for inv in (old, gone):
        assert client.get(f"/networks/invitation/{inv.token}").status_code == 404
    assert client.get("/networks/invitation/" + "x" * 5000).status_code == 404


def test_network_list_filters(client, make_user, make_network):
    a = make_user("a@example.org")
    make_network(a, "Graphistes du Lot", skills=[], visibility="open")
    make_network(a, "Réseau caché", visibility="private")
    n = make_network(a, "Menuisiers", visibility="request", scope="epci", scope_code="241200567")
    from models import Skill
    n.skills = Skill.get_or_create(db.session, ["menuisier"])
    db.session.commit()
    html = client.get("/networks/").get_data(as_text=True)
    assert "Graphistes du Lot" in html and "Menuisiers" in html and "Réseau caché" not in html
    html = client.get("/networks/?skill=menuiseries").get_data(as_text=True)
    assert "Menuisiers" in html and "Graphistes" not in html
    html = client.get("/networks/?q=graphiste").get_data(as_text=True)
    assert "Graphistes du Lot" in html and "Menuisiers" not in html
    for q in ("%", "_", "\\", "' OR 1=1 --", "x" * 3000):
        assert client.get("/networks/", query_string={"q": q, "skill": q}).status_code == 200


def test_networks_api_honours_visibility(app, client, make_user, make_network):
    a = make_user("a@example.org")
    open_net = make_network(a, "Ouvert", visibility="open", description="*desc*")
    request_net = make_network(a, "Sur demande", visibility="request")
    private = make_network(a, "Privé", visibility="private")
    db.session.add(Post(network_id=request_net.id, author_id=a.id, body="members only"))
    db.session.commit()
    names = {n["name"] for n in client.get("/api/v1/networks").get_json()["items"]}
    assert names == {"Ouvert", "Sur demande"}
    detail = client.get(f"/api/v1/networks/{open_net.id}").get_json()
    assert detail["description_html"] == "<p><em>desc</em></p>" and detail["charter"]["version"] == 1
    assert client.get(f"/api/v1/networks/{private.id}").status_code == 404
    assert client.get(f"/api/v1/networks/{open_net.id}/posts").status_code == 401
    outsider = app.test_client()
    login_as(outsider, make_user("o@example.org"))
    assert outsider.get(f"/api/v1/networks/{request_net.id}/posts").status_code == 404
    assert outsider.get(f"/api/v1/networks/{open_net.id}/posts").status_code == 200
    owner = app.test_client()
    login_as(owner, a)
    names = {n["name"] for n in owner.get("/api/v1/networks").get_json()["items"]}
    assert names == {"Ouvert", "Sur demande", "Privé"}
    posts = owner.get(f"/api/v1/networks/{request_net.id}/posts").get_json()["items"]
    assert [p["body"] for p in posts] == ["members only"]


def test_review_fixes_removed_member_and_reopened_network(app, make_user, make_network):
    """A removed member can no longer edit their post; a request made while the network was
    on request turns into a membership when it becomes open; huge pages are no 500."""
    a, b = make_user("a@example.org"), make_user("b@example.org")
    network = make_network(a, visibility="request")
    ca, cb = app.test_client(), app.test_client()
    login_as(ca, a)
    login_as(cb, b)
    cb.post(f"/networks/{network.id}/join", data={"message": "hi", "csrf_token": token(cb)})
    db.session.get(Network, network.id).visibility = "open"
    db.session.commit()
    assert accept(cb, network.id).status_code == 302
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == b.id)) == "active"
    cb.post(f"/networks/{network.id}/posts", data={"body": "mine", "csrf_token": token(cb)})
    post = db.session.scalar(select(Post))
    ca.post(f"/networks/{network.id}/members/{b.id}/remove", data={"csrf_token": token(ca)})
    r = cb.post(f"/networks/{network.id}/posts/{post.id}/edit",
                data={"body": "SPAM", "csrf_token": token(cb)})
    assert r.status_code == 403
    for url in ("/networks/?page=999999999999999999", "/networks/?page=-5",
                "/api/v1/networks?page=999999999999999999"):
        assert ca.get(url).status_code == 200, url
