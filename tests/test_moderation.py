"""Moderation: reports, the queue, every action through the page, the JSON API and the socket,
scope (nobody moderates outside theirs), appeals, material charters, and the append-only audit
log that no code path can skip. Real SQLite, real Socket.IO test clients."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.moderation import actions, reports, targets
from app.moderation.audit import audit
from models import (
    Appeal,
    AuditEntry,
    Comment,
    Membership,
    Message,
    Notification,
    Post,
    Report,
    User,
    db,
)
from models.moderation import AuditLogIsAppendOnly
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.chat import events, sock
from tests.helpers.worlds import kept_worlds


@pytest.fixture
def app_config(db_path):
    from tests.helpers.apps import base_config
    return {**base_config(db_path), "CHAT_RATE_LIMIT": "1000 per 10 seconds"}


class World:
    """Network A (animated by Anne) and network B (animated by Bea, with Carl the author of
    everything and Dora a plain member). An organiser and an admin."""


saved_worlds, database_layer = kept_worlds("world")


@pytest.fixture
def world(app, make_user, make_network, saved_worlds, db_path, database_pool):
    from app.chat.rooms import network_room
    from app.chat.sending import store_message
    from app.networks.service import create_comment, create_post
    w = World()
    if saved_worlds["world"].given_to(w):
        return w
    # Built in one transaction: one commit, one search index write (not one per person).
    w.anne = make_user("anne@example.org", display_name="Anne A", commit=False)
    w.bea = make_user("bea@example.org", display_name="Bea B", commit=False)
    w.carl = make_user("carl@example.org", display_name="Carl C", commit=False)
    w.dora = make_user("dora@example.org", display_name="Dora D", commit=False)
    w.olga = make_user("olga@example.org", display_name="Olga Organiser", role="organiser",
                       commit=False)
    w.adam = make_user("adam@example.org", display_name="Adam Admin", role="admin", commit=False)
    w.a = make_network(w.anne, "Réseau A", visibility="open", commit=False)
    w.b = make_network(w.bea, "Réseau B", visibility="open", commit=False)
    for user in (w.carl, w.dora):
        db.session.add(Membership(network_id=w.b.id, user_id=user.id, status="active",
                                  accepted_charter_version=w.b.charter_version, joined_at=utcnow()))
    db.session.flush()
    w.post = create_post(db.session, w.b, w.carl, "Un message pour **tous**")
    w.post2 = create_post(db.session, w.b, w.carl, "Achetez mes chaussures")
    w.comment = create_comment(db.session, w.post, w.carl, "Un commentaire")
    w.room = network_room(db.session, w.b)
    w.message, _ = store_message(db.session, w.room.id, w.carl.id, "Bonjour à tous", "m1")
    db.session.commit()
    saved_worlds["world"].keep(db_path, database_pool, **vars(w))
    return w


def token(client, url="/networks/"):
    return csrf_from(client.get(url).get_data(as_text=True))


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


# -- every action, refused to those outside its scope, on every channel ------------------------

def _prepare(w, action):
    """(kind, target id, network) of a target the action applies to, set up for it."""
    if action in ("dismiss",):
        db.session.add(Report(reporter_id=w.dora.id, target_kind="post", target_id=w.post.id,
                              network_id=w.b.id, reason="spam"))
        db.session.commit()
        return "post", w.post.id, None
    if action in ("hide", "suspend"):
        return "post", w.post.id, None
    if action == "restore":
        actions.perform(db.session, w.bea, "hide", "post", w.post2.id, "Publicité")
        db.session.commit()
        return "post", w.post2.id, None
    if action == "delete":
        return "comment", w.comment.id, None
    if action == "warn":
        return "message", w.message.id, None
    if action in ("uphold", "overturn"):
        actions.perform(db.session, w.bea, "hide", "comment", w.comment.id, "Hors sujet")
        db.session.flush()
        found = reports.appeal(db.session, w.carl, targets.resolve(db.session, "comment",
                                                                   w.comment.id), "Pas d'accord")
        db.session.commit()
        return "appeal", found.id, None
    if action == "unmute":
        actions.perform(db.session, w.bea, "mute", "profile", w.carl.profile.id, "Calmez-vous",
                        minutes=60, network_id=w.b.id)
        db.session.commit()
    return "profile", w.carl.profile.id, w.b.id


def _snapshot(w):
    db.session.expire_all()
    post, post2 = db.session.get(Post, w.post.id), db.session.get(Post, w.post2.id)
    membership = db.session.scalar(select(Membership).where(
        Membership.network_id == w.b.id, Membership.user_id == w.carl.id))
    return (audit_count(), post.hidden_at, post2.hidden_at, db.session.get(Comment, w.comment.id)
            is not None, membership.status, membership.role, membership.muted_until,
            db.session.get(User, w.carl.id).suspended_at,
            db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.user_id == w.carl.id)),
            tuple(db.session.scalars(select(Report.status).order_by(Report.id))),
            tuple(db.session.scalars(select(Appeal.status).order_by(Appeal.id))))


OUTSIDERS = ["other_animator", "member", "anonymous"]


def _who(w, outsider):
    return {"other_animator": w.anne, "member": w.dora, "anonymous": None}[outsider]


@pytest.mark.parametrize("action", actions.ACTIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_html_refuses_those_outside_the_scope(app, world, action, outsider):
    kind, target_id, network = _prepare(world, action)
    before = _snapshot(world)
    client = client_for(app, _who(world, outsider))
    url = f"/moderation/{kind}/{target_id}" + (f"?network={network}" if network else "")
    response = client.post(url, data={"action": action, "reason": "Parce que", "minutes": "60",
                                      "csrf_token": token(client)})
    if outsider == "anonymous":
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert client.get(url).status_code == 403  # nor the page itself
    assert _snapshot(world) == before


@pytest.mark.parametrize("action", actions.ACTIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_json_refuses_those_outside_the_scope(app, world, action, outsider):
    kind, target_id, network = _prepare(world, action)
    before = _snapshot(world)
    client = client_for(app, _who(world, outsider))
    response = client.post("/api/v1/moderation/actions", json={
        "action": action, "kind": kind, "target": target_id, "reason": "Parce que",
        "minutes": 60, "network": network}, headers={"X-CSRFToken": token(client)})
    expected = (401, "unauthorized") if outsider == "anonymous" else (403, "forbidden")
    assert (response.status_code, response.get_json()["error"]["code"]) == expected
    assert response.get_json()["error"]["message"]
    assert _snapshot(world) == before


@pytest.mark.parametrize("action", actions.ACTIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_socket_refuses_those_outside_the_scope(app, world, action, outsider):
    kind, target_id, network = _prepare(world, action)
    before = _snapshot(world)
    user = _who(world, outsider)
    socket = sock(app, user)
    if user is None:
        assert not socket.is_connected("/chat")  # an anonymous socket is refused at connect
    else:
        reply = socket.emit("moderate", {"action": action, "kind": kind, "target": target_id,
                                         "reason": "Parce que", "minutes": 60,
                                         "network": network}, namespace="/chat", callback=True)
        assert reply["ok"] is False and reply["error"]["code"] == "forbidden"
    assert _snapshot(world) == before


def test_the_network_animator_may_and_the_json_api_needs_csrf(app, world):
    client = client_for(app, world.bea)
    body = {"action": "hide", "kind": "post", "target": world.post.id, "reason": "Spam"}
    assert client.post("/api/v1/moderation/actions", json=body).status_code == 400  # no token
    response = client.post("/api/v1/moderation/actions", json=body,
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert db.session.get(Post, world.post.id).hidden_at is not None


def test_suspending_is_for_admins_only(app, world):
    for user in (world.bea, world.olga):  # the network's animator, an organiser
        with pytest.raises(targets.ModerationError) as refused:
            actions.perform(db.session, user, "suspend", "post", world.post.id, "Spam")
        assert refused.value.code == "forbidden"
    actions.perform(db.session, world.adam, "suspend", "post", world.post.id, "Comptes en masse")
    db.session.commit()
    carl = client_for(app, None)
    response = carl.post("/auth/login", data={"email": "carl@example.org",
                                              "password": "correct horse battery",
                                              "csrf_token": token(carl, "/auth/login")})
    assert response.status_code == 403 and "suspendu" in response.get_data(as_text=True)


# -- the audit log: one row per action, in order; nothing changes without one ------------------

def test_one_audit_row_per_action_in_order(app, world):
    w = world
    steps = [
        (w.bea, "hide", "post", w.post.id, {}),
        (w.olga, "restore", "post", w.post.id, {}),
        (w.bea, "warn", "message", w.message.id, {}),
        (w.bea, "hide", "message", w.message.id, {}),
        (w.bea, "mute", "profile", w.carl.profile.id, {"minutes": 60, "network_id": w.b.id}),
        (w.bea, "unmute", "profile", w.carl.profile.id, {"network_id": w.b.id}),
        (w.bea, "appoint", "profile", w.dora.profile.id, {"network_id": w.b.id}),
        (w.dora, "demote", "profile", w.bea.profile.id, {"network_id": w.b.id}),
        (w.dora, "delete", "comment", w.comment.id, {}),
        (w.dora, "ban", "profile", w.carl.profile.id, {"network_id": w.b.id}),
    ]
    start = audit_count()
    for number, (actor, action, kind, target, extra) in enumerate(steps):
        actions.perform(db.session, actor, action, kind, target, f"raison {number}", **extra)
        db.session.commit()
    rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))[start:]
    assert [(r.actor_id, r.action, r.target_kind, r.target_id, r.reason) for r in rows] == [
        (actor.id, action, kind, target, f"raison {n}")
        for n, (actor, action, kind, target, _extra) in enumerate(steps)]
    assert all(r.network_id == w.b.id for r in rows)
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)


def test_a_refused_action_writes_nothing(app, world):
    before = audit_count()
    actions.perform(db.session, world.bea, "hide", "post", world.post.id, "Spam")
    db.session.commit()
    with pytest.raises(targets.ModerationError) as again:
        actions.perform(db.session, world.bea, "hide", "post", world.post.id, "Encore")
    assert again.value.code == "already"
    db.session.rollback()
    with pytest.raises(targets.ModerationError) as empty:
        actions.perform(db.session, world.bea, "warn", "post", world.post.id, "   ")
    assert empty.value.code == "reason_required"
    db.session.rollback()
    assert audit_count() == before + 1


@pytest.mark.parametrize("change", [
    "post_hidden", "comment_hidden", "message_hidden", "role", "muted", "banned", "charter",
    "site_role", "suspended", "skill_deleted"])
def test_no_moderated_change_without_an_audit_entry(app, world, change):
    from models import Network, Skill
    w = world
    membership = db.session.scalar(select(Membership).where(
        Membership.network_id == w.b.id, Membership.user_id == w.carl.id))
    if change == "post_hidden":
        db.session.get(Post, w.post.id).hidden_at = utcnow()
    elif change == "comment_hidden":
        db.session.get(Comment, w.comment.id).hidden_at = utcnow()
    elif change == "message_hidden":
        db.session.get(Message, w.message.id).hidden_at = utcnow()
    elif change == "role":
        membership.role = "animator"
    elif change == "muted":
        membership.muted_until = utcnow()
    elif change == "banned":
        membership.status = "banned"
    elif change == "charter":
        db.session.get(Network, w.b.id).charter_version += 1
    elif change == "site_role":
        db.session.get(User, w.carl.id).role = "admin"
    elif change == "suspended":
        db.session.get(User, w.carl.id).suspended_at = utcnow()
    else:
        db.session.delete(db.session.scalar(select(Skill).limit(1)))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_audit_entries_cannot_be_changed_or_deleted(app, world):
    entry = audit(db.session, world.bea, "warn", "post", world.post.id, reason="x")
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).reason == "x"


def test_role_charter_and_skill_merge_are_audited(app, world, runner):
    from app.networks.service import set_charter
    from app.skills.service import merge_skills
    from models import Skill
    set_charter(db.session, world.b, "Nouvelle charte", world.bea, material=False)
    skills = Skill.get_or_create(db.session, ["tonnellerie", "tonelerie"])
    db.session.commit()
    merge_skills(db.session, target=skills[0], source=skills[1], actor=world.olga)
    db.session.commit()
    assert runner.invoke(args=["user", "set-role", "dora@example.org", "organiser"]).exit_code == 0
    rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(r.action, r.actor_id) for r in rows[-3:]] == [
        ("charter", world.bea.id), ("skill_merge", world.olga.id), ("site_role", None)]
    assert rows[-1].detail == "member -> organiser"


# -- live effects -------------------------------------------------------------------------------

def test_a_hidden_message_leaves_every_open_page_and_its_history(app, world):
    w = world
    carl, dora = sock(app, w.carl), sock(app, w.dora)
    for s in (carl, dora):
        assert s.emit("join", {"room": w.room.id, "last_id": 0}, namespace="/chat", callback=True)["ok"]
        s.get_received("/chat")
    moderator = sock(app, w.bea)
    reply = moderator.emit("moderate", {"action": "hide", "kind": "message", "target": w.message.id,
                                        "reason": "Propos blessants"}, namespace="/chat",
                           callback=True)
    assert reply["ok"] is True
    for s in (carl, dora):
        assert events(s, "message_hidden") == [{"id": w.message.id, "room": w.room.id}]
    joined = dora.emit("join", {"room": w.room.id, "last_id": 0}, namespace="/chat", callback=True)
    shown = [m for m in joined["missed"] if m["id"] == w.message.id][0]
    assert shown["hidden"] is True and shown["body"] == "" and shown["body_html"] == ""
    page = client_for(app, w.dora).get(f"/chat/{w.room.id}").get_data(as_text=True)
    assert "Bonjour à tous" not in page and "Masqué par" in page
    api = client_for(app, w.dora).get(f"/api/v1/rooms/{w.room.id}/messages").get_json()
    assert "Bonjour" not in str(api)
    # The author cannot rewrite it; an appeal that is granted shows it again, live.
    assert carl.emit("edit", {"id": w.message.id, "body": "autre"}, namespace="/chat",
                     callback=True)["error"]["code"] == "hidden"
    reports.appeal(db.session, w.carl, targets.resolve(db.session, "message", w.message.id),
                   "C'était une blague")
    db.session.commit()
    appeal_id = db.session.scalar(select(Appeal.id))
    refused = moderator.emit("moderate", {"action": "overturn", "kind": "appeal",
                                          "target": appeal_id, "reason": "D'accord"},
                             namespace="/chat", callback=True)
    assert refused["error"]["code"] == "another_moderator"  # Olga, an organiser, can decide
    olga = sock(app, w.olga)
    assert olga.emit("moderate", {"action": "overturn", "kind": "appeal", "target": appeal_id,
                                  "reason": "D'accord"}, namespace="/chat", callback=True)["ok"]
    edited = events(dora, "message_edited")
    assert edited and edited[-1]["id"] == w.message.id and edited[-1]["body"] == "Bonjour à tous"


def test_mute_stops_writing_at_once_and_ban_stops_everything(app, world):
    w = world
    carl = sock(app, w.carl)
    assert carl.emit("join", {"room": w.room.id, "last_id": 0}, namespace="/chat", callback=True)["ok"]
    actions.perform(db.session, w.bea, "mute", "profile", w.carl.profile.id, "Trop de messages",
                    minutes=60, network_id=w.b.id)
    db.session.commit()
    reply = carl.emit("send", {"room": w.room.id, "body": "encore", "client_id": "x1"},
                      namespace="/chat", callback=True)
    assert reply["error"]["code"] == "muted" and "sourdine" in reply["error"]["message"]
    http = client_for(app, w.carl)
    response = http.post(f"/networks/{w.b.id}/posts", data={"body": "hello",
                                                          "csrf_token": token(http)})
    assert response.status_code == 422 and "hello" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2
    # Ban: the socket leaves the room, cannot send, and the network's pages refuse them.
    actions.perform(db.session, w.bea, "ban", "message", w.message.id, "Récidive")
    db.session.commit()
    assert [e for e in events(carl, "error") if e.get("event") == "removed"]
    dora = sock(app, w.dora)
    dora.emit("send", {"room": w.room.id, "body": "après", "client_id": "d1"}, namespace="/chat",
              callback=True)
    assert events(carl, "message") == []
    assert carl.emit("send", {"room": w.room.id, "body": "moi", "client_id": "x2"},
                     namespace="/chat", callback=True)["error"]["code"] == "not_found"
    assert http.get(f"/chat/{w.room.id}").status_code == 404
    assert http.get(f"/networks/{w.b.id}/posts/{w.post.id}").status_code == 404


def test_a_suspended_account_loses_its_sockets_and_pages(app, world):
    carl_http = client_for(app, world.carl)
    carl = sock(app, world.carl)
    assert carl.is_connected("/chat")
    actions.perform(db.session, world.adam, "suspend", "profile", world.carl.profile.id, "Fraude")
    db.session.commit()
    assert not carl.is_connected("/chat")
    assert carl_http.get("/chat/").status_code == 302  # logged out


# -- reports, the queue, appeals ----------------------------------------------------------------

def test_report_queue_action_and_the_reporter_sees_the_outcome(app, world):
    w = world
    dora = client_for(app, w.dora)
    url = f"/moderation/report/post/{w.post.id}?next=/networks/{w.b.id}"
    page = dora.get(url)
    assert page.status_code == 200 and "Un message pour" in page.get_data(as_text=True)
    # Bad input: no reason, an over-long note; what was typed is kept.
    bad = dora.post(url, data={"note": "x" * 1001, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert bad.status_code == 422 and "x" * 1001 in bad.get_data(as_text=True)
    response = dora.post(url, data={"reason": "spam", "note": "<script>alert(1)</script> pub",
                                    "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"] == f"/networks/{w.b.id}"
    # Bea's queue has it; Anne (network A) sees nothing of it.
    bea, anne = client_for(app, w.bea), client_for(app, w.anne)
    queue = bea.get("/moderation/").get_data(as_text=True)
    assert f'data-report-target="post-{w.post.id}"' in queue
    assert "data-report-target" not in anne.get("/moderation/").get_data(as_text=True)
    assert client_for(app, w.dora).get("/moderation/").status_code == 403
    target = bea.get(f"/moderation/post/{w.post.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in target and "<script>alert" not in target
    # Acting without a reason keeps the form; with one, it is done.
    form = {"action": "hide", "minutes": "60", "csrf_token": csrf_from(target)}
    assert bea.post(f"/moderation/post/{w.post.id}", data={**form, "reason": ""}).status_code == 422
    assert bea.post(f"/moderation/post/{w.post.id}", data={**form, "reason": "Publicité"}
                    ).status_code == 302
    mine = dora.get("/moderation/mine").get_data(as_text=True)
    assert 'data-report-status="actioned"' in mine
    assert db.session.scalar(select(Notification.detail).where(
        Notification.user_id == w.dora.id, Notification.kind == "report_handled")) == "hide"
    # Everyone sees the notice instead of the post; the author is told why, and may appeal once.
    stream = dora.get(f"/networks/{w.b.id}").get_data(as_text=True)
    assert "Un message pour" not in stream and "Masqué par" in stream
    carl = client_for(app, w.carl)
    hidden = carl.get("/moderation/mine").get_data(as_text=True)
    assert "Publicité" in hidden
    appeal_url = f"/moderation/appeal/post/{w.post.id}"
    assert carl.post(appeal_url, data={"body": "", "csrf_token": csrf_from(hidden)}).status_code == 422
    assert carl.post(appeal_url, data={"body": "Ce n'est pas de la pub",
                                       "csrf_token": csrf_from(hidden)}).status_code == 302
    again = carl.post(appeal_url, data={"body": "Encore", "csrf_token": csrf_from(hidden)})
    assert again.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1
    assert dora.post(appeal_url, data={"body": "moi", "csrf_token": csrf_from(hidden)}
                     ).status_code == 404  # only the author appeals


def test_reports_are_rate_limited_and_need_a_visible_target(app, world, make_user, make_network):
    dora = client_for(app, world.dora)
    secret = make_network(world.anne, "Secret", visibility="private")
    from app.networks.service import create_post
    hidden_post = create_post(db.session, secret, world.anne, "privé")
    db.session.commit()
    assert dora.get(f"/moderation/report/post/{hidden_post.id}").status_code == 404
    assert dora.get("/moderation/report/post/999999").status_code == 404
    assert dora.get("/moderation/report/nonsense/1").status_code == 404
    csrf = token(dora)
    people = [make_user(display_name=f"P{i}") for i in range(11)]
    codes = [dora.post(f"/moderation/report/profile/{p.profile.id}",
                       data={"reason": "spam", "note": f"note {i}", "csrf_token": csrf}).status_code
             for i, p in enumerate(people)]
    assert codes[:10] == [302] * 10
    assert codes[10] == 429
    last = dora.post(f"/moderation/report/profile/{people[10].profile.id}",
                     data={"reason": "spam", "note": "gardé", "csrf_token": csrf})
    assert last.status_code == 429 and "gardé" in last.get_data(as_text=True)


def test_audit_log_page_filters_and_csv_are_scoped(app, world):
    actions.perform(db.session, world.bea, "hide", "post", world.post.id, "=cmd|' /C calc'!A0")
    db.session.commit()
    bea, anne, olga = (client_for(app, u) for u in (world.bea, world.anne, world.olga))
    assert 'data-audit-id' not in anne.get("/moderation/audit?action=hide").get_data(as_text=True)
    assert 'data-audit-id' in bea.get("/moderation/audit?action=hide").get_data(as_text=True)
    assert 'data-audit-id' not in bea.get("/moderation/audit?action=ban").get_data(as_text=True)
    bad = olga.get("/moderation/audit?since=hier&network=abc")
    assert bad.status_code == 422 and "AAAA-MM-JJ" in bad.get_data(as_text=True)
    csv = olga.get("/moderation/audit?format=csv&action=hide")
    assert csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "'=cmd" in text and text.count("\n") == 2  # the header and one row
    assert client_for(app, world.dora).get("/moderation/audit").status_code == 403
    assert client_for(app, None).get("/moderation/audit").status_code == 302


def test_a_minor_charter_change_does_not_stop_posting_a_material_one_does(app, world):
    from app.networks.service import set_charter
    dora = client_for(app, world.dora)
    set_charter(db.session, world.b, "Be kind. (typo fixed)", world.bea, material=False)
    db.session.commit()
    response = dora.post(f"/networks/{world.b.id}/posts", data={"body": "ok",
                                                               "csrf_token": token(dora)})
    assert response.status_code == 302 and "/posts/" in response.headers["Location"]
    set_charter(db.session, world.b, "New rules: no ads at all.", world.bea, material=True)
    db.session.commit()
    response = dora.post(f"/networks/{world.b.id}/posts", data={"body": "ko",
                                                               "csrf_token": token(dora)})
    assert "/charter" in response.headers["Location"]
    page = dora.get(f"/networks/{world.b.id}/charter").get_data(as_text=True)
    assert "New rules" in page and "Be kind. (typo fixed)" in page  # the earlier versions too


def test_hidden_posts_leave_the_json_api_and_search(app, world):
    actions.perform(db.session, world.bea, "hide", "post", world.post2.id, "Publicité")
    db.session.commit()
    dora = client_for(app, world.dora)
    items = dora.get(f"/api/v1/networks/{world.b.id}/posts").get_json()["items"]
    hidden = [p for p in items if p["id"] == world.post2.id][0]
    assert hidden["hidden"] is True and hidden["body"] == "" and hidden["body_html"] == ""
    assert "chaussures" not in str(items)
    found = dora.get("/api/v1/search?q=chaussures").get_json()
    assert found["total"] == 0
    actions.perform(db.session, world.bea, "restore", "post", world.post2.id, "Erreur")
    db.session.commit()
    assert dora.get("/api/v1/search?q=chaussures").get_json()["total"] == 1


def test_profiles_networks_and_places_are_reported_to_the_organisers(app, world):
    from models import Commune, Place
    place = Place(name="La Fabrique", commune=db.session.get(Commune, "12202"), status="open")
    db.session.add(place)
    db.session.commit()
    dora = client_for(app, world.dora)
    for kind, target_id, page in (("profile", world.carl.profile.id, f"/people/{world.carl.profile.id}"),
                                  ("network", world.b.id, f"/networks/{world.b.id}"),
                                  ("place", place.id, f"/places/{place.id}")):
        html = dora.get(page).get_data(as_text=True)
        assert f"/moderation/report/{kind}/{target_id}" in html  # the "Signaler" link
        response = dora.post(f"/moderation/report/{kind}/{target_id}",
                             data={"reason": "other", "note": kind, "csrf_token": csrf_from(html)})
        assert response.status_code == 302
    olga_queue = client_for(app, world.olga).get("/moderation/").get_data(as_text=True)
    for key in (f"profile-{world.carl.profile.id}", f"network-{world.b.id}", f"place-{place.id}"):
        assert f'data-report-target="{key}"' in olga_queue
    # A network's animators do not judge reports about their own network.
    assert "data-report-target" not in client_for(app, world.bea).get("/moderation/").get_data(
        as_text=True)
    target = client_for(app, world.olga).get(f"/moderation/place/{place.id}")
    assert target.status_code == 200 and "La Fabrique" in target.get_data(as_text=True)


def test_review_findings_hold(app, world):
    """Hidden text stays hidden from the report form; a member's page is per network; a mute
    also stops edits; authors cannot delete what a moderator hid; a block does not hide a
    moderator's notice; a ban holds for someone who left, and 'remove' does not lift it."""
    from app.social.connections import block
    w = world
    dora, carl = client_for(app, w.dora), client_for(app, w.carl)
    block(db.session, w.carl.id, w.bea.id)
    actions.perform(db.session, w.bea, "hide", "comment", w.comment.id, "Hors sujet")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == w.carl.id, Notification.kind == "content_hidden")) == 1
    assert dora.get(f"/moderation/report/comment/{w.comment.id}").status_code == 404
    page = carl.get(f"/networks/{w.b.id}/posts/{w.post.id}").get_data(as_text=True)
    assert f"/comments/{w.comment.id}/delete" not in page
    assert carl.post(f"/networks/{w.b.id}/comments/{w.comment.id}/delete",
                     data={"csrf_token": csrf_from(page)}).status_code == 403
    # Anne (network A) cannot open Carl's record through her own network.
    anne = client_for(app, w.anne)
    assert anne.get(f"/moderation/profile/{w.carl.profile.id}?network={w.a.id}").status_code == 404
    # A mute stops edits too, and keeps the text of a refused post.
    carl_socket = sock(app, w.carl)
    actions.perform(db.session, w.bea, "mute", "profile", w.carl.profile.id, "Pause",
                    minutes=60, network_id=w.b.id)
    db.session.commit()
    assert carl_socket.emit("edit", {"id": w.message.id, "body": "abus"}, namespace="/chat",
                            callback=True)["error"]["code"] == "muted"
    refused = carl.post(f"/networks/{w.b.id}/posts", data={"body": "Mon texte gardé",
                                                          "csrf_token": csrf_from(page)})
    assert refused.status_code == 422 and "Mon texte gardé" in refused.get_data(as_text=True)
    # Dora leaves; she is banned all the same, and cannot come back.
    membership = db.session.scalar(select(Membership).where(Membership.user_id == w.dora.id))
    db.session.delete(membership)
    db.session.commit()
    actions.perform(db.session, w.bea, "ban", "profile", w.dora.profile.id, "Spam",
                    network_id=w.b.id)
    db.session.commit()
    assert dora.get(f"/networks/{w.b.id}/posts/{w.post.id}").status_code == 404
    bea = client_for(app, w.bea)
    assert bea.post(f"/networks/{w.b.id}/members/{w.dora.id}/remove",
                    data={"csrf_token": token(bea)}).status_code == 302
    assert db.session.scalar(select(Membership.status).where(
        Membership.user_id == w.dora.id)) == "banned"
    # Removing an active member is in the audit log.
    before = audit_count()
    assert bea.post(f"/networks/{w.b.id}/members/{w.carl.id}/remove",
                    data={"csrf_token": token(bea)}).status_code == 302
    assert audit_count() == before + 1
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "remove"


def test_an_appeal_has_its_own_page(app, world):
    """No report is ever about an appeal ("appeal" is no TargetKind): its page lists none."""
    w = world
    actions.perform(db.session, w.bea, "hide", "post", w.post.id, "Doute")
    db.session.commit()
    found = reports.appeal(db.session, w.carl, targets.resolve(db.session, "post", w.post.id),
                           "Pas une publicite")
    db.session.commit()
    page = client_for(app, w.olga).get(f"/moderation/appeal/{found.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Pas une publicite" in html and f'href="/moderation/post/{w.post.id}"' in html


def test_a_restore_closes_the_appeal_and_the_hider_does_not_decide(app, world):
    w = world
    actions.perform(db.session, w.bea, "hide", "post", w.post.id, "Doute")
    db.session.commit()
    reports.appeal(db.session, w.carl, targets.resolve(db.session, "post", w.post.id), "Non")
    db.session.commit()
    with pytest.raises(targets.ModerationError) as refused:
        actions.perform(db.session, w.bea, "restore", "post", w.post.id, "Je reviens dessus")
    assert refused.value.code == "another_moderator"
    db.session.rollback()
    actions.perform(db.session, w.olga, "restore", "post", w.post.id, "Recours fondé")
    db.session.commit()
    assert db.session.scalar(select(Appeal.status)) == "overturned"


def _switch(client, lang):
    client.post("/lang", data={"lang": lang, "csrf_token": token(client)})


def test_a_muted_member_reads_where_until_when_and_why_and_the_log_says_it_in_words(app, world):
    """In place of the post and reply boxes a muted member reads the network, the end and the
    reason; the notification says the same; the audit log gives durations in words."""
    w = world
    actions.perform(db.session, w.bea, "mute", "profile", w.carl.profile.id, "Trop de messages",
                    minutes=1440, network_id=w.b.id)
    db.session.commit()
    carl = client_for(app, w.carl)
    page = carl.get(f"/networks/{w.b.id}").get_data(as_text=True)
    assert 'id="body"' not in page  # no post box...
    notice = page.split("data-mute-notice>", 1)[1].split("</p>", 1)[0]
    assert "Vous êtes en sourdine dans Réseau B jusqu" in notice
    assert "raison\u00a0: Trop de messages" in notice
    reply_page = carl.get(f"/networks/{w.b.id}/posts/{w.post.id}").get_data(as_text=True)
    assert "data-mute-notice" in reply_page and "Trop de messages" in reply_page
    notifications = carl.get("/notifications").get_data(as_text=True)
    assert "Réseau B" in notifications and "Trop de messages" in notifications
    # The end in words: the day and the month's name, not "07/12/2026".
    from zoneinfo import ZoneInfo

    from babel.dates import format_date
    muted_until = db.session.scalar(select(Membership.muted_until).where(
        Membership.user_id == w.carl.id)).astimezone(ZoneInfo("Europe/Paris"))
    assert format_date(muted_until, "d MMMM y", locale="fr") in notifications
    assert format_date(muted_until, "d MMMM y", locale="fr") in notice
    _switch(carl, "en")
    page = carl.get(f"/networks/{w.b.id}").get_data(as_text=True)
    assert "You are muted in Réseau B until" in page and "reason: Trop de messages" in page
    assert format_date(muted_until, "d MMMM y", locale="en") in page

    for minutes in (60, 10080):
        actions.perform(db.session, w.bea, "mute", "profile", w.carl.profile.id, "Encore",
                        minutes=minutes, network_id=w.b.id)
        db.session.commit()
    adam = client_for(app, w.adam)
    log = adam.get("/moderation/audit").get_data(as_text=True)
    assert "(24 heures)" in log and "(1 heure)" in log and "(7 jours)" in log
    assert " min)" not in log
    _switch(adam, "en")
    log = adam.get("/moderation/audit").get_data(as_text=True)
    assert "(24 hours)" in log and "(1 hour)" in log and "(7 days)" in log


def test_every_report_link_names_what_it_reports(app, world):
    """A post page has the network's report link, the post's and the replies': none is a bare
    "Signaler", and the network's and the post's differ."""
    import re
    w = world
    page = client_for(app, w.dora).get(f"/networks/{w.b.id}/posts/{w.post.id}").get_data(
        as_text=True)
    names = [re.sub(r"<[^>]+>", "", n).strip()
             for n in re.findall(r'<a class="report-link"[^>]*>(.*?)</a>', page, re.S)]
    assert names == ["Signaler le réseau", "Signaler cette publication",
                     "Signaler cette réponse"], names
    buttons_and_links = [re.sub(r"<[^>]+>", "", n).strip()
                         for n in re.findall(r"<(?:a|button)\b[^>]*>(.*?)</(?:a|button)>", page,
                                             re.S)]
    assert "Signaler" not in buttons_and_links
    assert buttons_and_links.count("Signaler le réseau") == 1
    assert buttons_and_links.count("Signaler cette publication") == 1
