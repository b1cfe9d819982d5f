"""Mail preferences per kind, mails at once from notifications, one-click unsubscribe (RFC 8058)
and the daily and weekly digests: against the real outbox, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.auth import tokens as account_tokens
from app.chat.rooms import direct_room
from app.chat.sending import store_message
from app.mailprefs.digest import build_digests, collect, period_start
from app.mailprefs.preferences import NOTIFICATION_MAIL_KIND, modes_of, set_modes
from app.mailprefs.tokens import unsubscribe_token
from app.moderation import actions
from app.moderation.reports import report
from app.moderation.targets import resolve
from app.networks.service import create_post, join_open
from app.social.connections import ask, block
from models import (
    DEFAULT_MODES,
    AuditEntry,
    DigestRun,
    MailKind,
    MailMode,
    MailPreference,
    Notification,
    NotificationKind,
    OutboxMessage,
    RoomMember,
    db,
)
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as


def outbox(**where) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


@pytest.fixture
def person(make_user):
    """A member with a verified address (mail goes only there)."""
    def factory(email, name, **kwargs):
        user = make_user(email, display_name=name, **kwargs)
        user.email_verified_at = utcnow()
        db.session.commit()
        return user
    return factory


def suspend(user) -> None:
    db.session.add(AuditEntry(actor_id=None, action="suspend", target_kind="profile",
                              target_id=user.profile.id, reason="test"))
    user.suspended_at = utcnow()
    db.session.commit()


def path_of(url: str) -> str:
    return urlsplit(url).path


# -- preferences ---------------------------------------------------------------------------------

def test_defaults_and_every_notification_has_a_mail_kind(app, person):
    alice = person("alice@example.org", "Alice")
    assert modes_of(db.session, alice.id) == {
        MailKind.REQUESTS: MailMode.NOW, MailKind.MESSAGES: MailMode.NOW,
        MailKind.REPLIES: MailMode.NOW, MailKind.MODERATION: MailMode.NOW,
        MailKind.REPORTS: MailMode.NOW, MailKind.NETWORK_POSTS: MailMode.WEEKLY,
        MailKind.EVENTS: MailMode.NOW, MailKind.SAVED_SEARCHES: MailMode.DAILY}
    assert set(NOTIFICATION_MAIL_KIND) == set(NotificationKind)


def test_every_notification_kind_has_its_own_sentence_in_mails(app):
    """A mail never says the bare kind ("investigation") nor the catch-all sentence."""
    from types import SimpleNamespace

    from flask import render_template_string
    fallback = "Quelque chose de nouveau sur Maillage vous concerne."
    with app.test_request_context():
        for kind in NotificationKind:
            n = SimpleNamespace(kind=kind.value, actor="Anne", network="Réseau A", until=None,
                                detail="spam", reason="spam", outcome="masqué")
            said = render_template_string(
                '{% from "mail/_what.txt" import what %}{{ what(n) }}', n=n).strip()
            assert said and said != kind.value and said != fallback, kind


def test_the_preferences_page_saves_only_changes_and_is_respected(app, client, person,
                                                                   make_network):
    alice = person("alice@example.org", "Alice")
    bob = person("bob@example.org", "Bob")
    network = make_network(bob, "Réseau des vanniers")
    join_open(db.session, network, alice, None)
    db.session.commit()
    login_as(client, alice)
    page = client.get("/people/me/mail")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mes e-mails" in html
    assert html.count("<fieldset") == len(MailKind) and html.count("<legend>") == len(MailKind)
    checked = dict(re.findall(r'<input checked id="[\w-]+" name="(\w+)"[^>]* value="(\w+)"', html))
    assert checked == {str(k): str(m) for k, m in DEFAULT_MODES.items()}
    profile = client.get(f"/people/{alice.profile.id}").get_data(as_text=True)
    assert "/people/me/mail" in profile
    choice = {str(k): str(DEFAULT_MODES[k]) for k in MailKind}
    choice["replies"] = "app"
    choice["messages"] = "daily"
    assert client.post("/people/me/mail", data=choice).status_code == 400  # no CSRF token
    response = client.post("/people/me/mail", data={**choice, "csrf_token": csrf_from(html)})
    assert response.status_code == 302
    rows = db.session.execute(select(MailPreference.kind, MailPreference.mode).where(
        MailPreference.user_id == alice.id).order_by(MailPreference.kind)).all()
    assert rows == [(MailKind.MESSAGES, MailMode.DAILY), (MailKind.REPLIES, MailMode.APP)]
    bad = client.post("/people/me/mail", data={**choice, "replies": "sometimes",
                                               "csrf_token": csrf_from(html)})
    assert bad.status_code == 422
    # Respected: a mention is in the app only now.
    create_post(db.session, network, bob, "Merci @Alice pour les osiers")
    db.session.commit()
    assert outbox(to_address=alice.email) == []
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == alice.id)) \
        == NotificationKind.MENTION


# -- at once ---------------------------------------------------------------------------------

def test_a_notification_mails_at_once_with_unsubscribe_headers_only_to_verified_active_people(
        app, client, person, make_user, make_network):
    bob = person("bob@example.org", "Bob")
    alice = person("alice@example.org", "Alice")
    gina = make_user("gina@example.org", display_name="Gina")  # not verified
    hank = person("hank@example.org", "Hank")
    suspend(hank)
    network = make_network(bob, "Réseau des vanniers")
    for member in (alice, gina, hank):
        join_open(db.session, network, member, None)
    db.session.commit()
    create_post(db.session, network, bob, "Bonjour @Alice, @Gina et @Hank")
    db.session.rollback()  # the post rolled back: no mail either
    assert outbox() == []
    create_post(db.session, network, bob, "Bonjour @Alice, @Gina et @Hank")
    db.session.commit()
    assert len(db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.MENTION)).all()) == 3
    (mail,) = outbox()
    assert mail.to_address == alice.email and mail.kind == "notify:mention"
    assert "Bob vous a mentionné" in mail.text and "/networks/" in mail.text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail.headers["List-Unsubscribe"].strip("<>")
    assert url in mail.text and "/mail/unsubscribe/" in url
    assert url.replace("&", "&amp;") in mail.html
    # RFC 8058: the mail program posts, without cookie or CSRF token.
    response = app.test_client().post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert modes_of(db.session, alice.id)[MailKind.REPLIES] == MailMode.APP
    create_post(db.session, network, bob, "Encore merci @Alice")
    db.session.commit()
    assert len(outbox()) == 1  # the mention is in the app only now
    # Another kind still mails: a request to connect.
    ask(db.session, bob.id, alice.id, "")
    db.session.commit()
    assert [m.kind for m in outbox()] == ["notify:mention", "notify:connection_request"]


def test_the_unsubscribe_page_confirms_and_refuses_hostile_tokens_with_a_400(app, person):
    alice = person("alice@example.org", "Alice")
    client = app.test_client()
    token = unsubscribe_token(alice.id, MailKind.REQUESTS)
    page = client.get(f"/mail/unsubscribe/{token}")
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert modes_of(db.session, alice.id)[MailKind.REQUESTS] == MailMode.NOW  # GET changes nothing
    foreign = URLSafeSerializer(app.config["SECRET_KEY"], salt="maillage-unsubscribe")
    hostile = [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x", "a" * 5000,
               account_tokens.verify_token(alice), "%00", "..%2F..",
               foreign.dumps({"u": alice.id, "k": "everything"}),
               foreign.dumps({"u": "1", "k": "requests"}), foreign.dumps({"u": 10**30, "k": "replies"}),
               foreign.dumps({"u": True, "k": "replies"}), foreign.dumps([alice.id, "replies"]),
               foreign.dumps({"u": 987654, "k": "replies"})]
    for bad in hostile:
        for method in (client.get, client.post):
            response = method(f"/mail/unsubscribe/{bad}")
            assert response.status_code in (400, 404), (bad, response.status_code)
    assert client.post(f"/mail/unsubscribe/{token}").status_code == 200
    assert modes_of(db.session, alice.id)[MailKind.REQUESTS] == MailMode.APP


# -- reports and mutes ---------------------------------------------------------------------------

def test_a_report_reaches_the_animators_and_a_mute_says_where_until_when_and_why(
        app, person, make_network):
    bea = person("bea@example.org", "Bea")
    carl = person("carl@example.org", "Carl")
    dora = person("dora@example.org", "Dora")
    network = make_network(bea, "Réseau B")
    join_open(db.session, network, carl, None)
    join_open(db.session, network, dora, None)
    db.session.commit()
    post = create_post(db.session, network, carl, "Achetez mes chaussures")
    db.session.commit()
    before = len(outbox())
    report(db.session, dora, resolve(db.session, "post", post.id), "spam", "")
    db.session.commit()
    filed = db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.REPORT_FILED)).all()
    assert [n.user_id for n in filed] == [bea.id] and filed[0].actor_id is None
    mails = outbox()[before:]
    assert [m.to_address for m in mails] == [bea.email]
    assert "Réseau B" in mails[0].text and "Spam" in mails[0].text and "Dora" not in mails[0].text
    actions.perform(db.session, bea, "mute", "profile", carl.profile.id, "Trop de publicité",
                    minutes=1440, network_id=network.id)
    db.session.commit()
    muted = db.session.scalar(select(Notification).where(
        Notification.kind == NotificationKind.MUTED))
    assert muted.network_id == network.id and muted.detail == "Trop de publicité"
    assert muted.until is not None and muted.until > utcnow() + timedelta(hours=23)
    mail = outbox(to_address=carl.email)[-1]
    assert "Réseau B" in mail.text and "Trop de publicité" in mail.text
    login_as(client := app.test_client(), carl)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Réseau B" in page and "Trop de publicité" in page


# -- digests ---------------------------------------------------------------------------------

@pytest.fixture
def world(app, person, make_network):
    """Alice chose the daily digest for posts, messages and requests. New: posts by Bob in A
    and Carol in B, one by Dave in B (Alice blocked him), a direct message from Erin, a request
    to connect from Frank."""
    class W:
        pass
    w = W()
    w.alice = person("alice@example.org", "Alice", direct_messages="members")
    w.bob = person("bob@example.org", "Bob")
    w.carol = person("carol@example.org", "Carol", skills=("vannerie",))
    w.dave = person("dave@example.org", "Dave")
    w.erin = person("erin@example.org", "Erin")
    w.frank = person("frank@example.org", "Frank")
    set_modes(db.session, w.alice.id, {MailKind.NETWORK_POSTS: MailMode.DAILY,
                                       MailKind.MESSAGES: MailMode.DAILY,
                                       MailKind.REQUESTS: MailMode.DAILY})
    w.a = make_network(w.bob, "Réseau A")
    w.b = make_network(w.carol, "Réseau B")
    for network, people in ((w.a, (w.alice,)), (w.b, (w.alice, w.dave))):
        for member in people:
            join_open(db.session, network, member, None)
    block(db.session, w.alice.id, w.dave.id)
    db.session.commit()
    create_post(db.session, w.a, w.bob, "Osier à partager")
    create_post(db.session, w.b, w.carol, "Atelier de vannerie samedi")
    create_post(db.session, w.b, w.dave, "Message de Dave")
    room = direct_room(db.session, w.erin, w.alice)
    store_message(db.session, room.id, w.erin.id, "Bonjour Alice", "c1")
    ask(db.session, w.frank.id, w.alice.id, "")
    db.session.commit()
    return w


def test_the_digest_holds_exactly_what_is_new_and_is_built_once_per_period(app, world):
    w = world
    assert outbox(to_address=w.alice.email) == []  # those kinds are in her digest, not at once
    now = utcnow() + timedelta(minutes=1)
    digest = collect(db.session, w.alice, {MailKind.NETWORK_POSTS, MailKind.MESSAGES,
                                           MailKind.REQUESTS}, now - timedelta(days=1), now)
    assert sorted((p["author"], p["network"]) for p in digest.posts) == [
        ("Bob", "Réseau A"), ("Carol", "Réseau B")]
    assert digest.unread_messages == 1 and digest.requests == ["Frank"]
    assert sorted(p["name"] for p in digest.newcomers) == ["Bob", "Carol", "Erin", "Frank"]
    assert digest.notifications == []  # new posts and requests have their own sections

    report = build_digests(db.session, MailMode.DAILY, now)
    mails = outbox(kind="digest_daily")
    assert [m.to_address for m in mails] == [w.alice.email]  # the others' digests are weekly
    assert report.queued == 1
    mail = mails[0]
    assert mail.subject == "Votre journée sur Maillage"
    for expected in ("Osier à partager", "Atelier de vannerie samedi", "1 message non lu",
                     "Frank vous demande une mise en relation", "vannerie"):
        assert expected in mail.text, expected
    assert "Dave" not in mail.text and "Dave" not in mail.html
    assert "<table" in mail.html and "Atelier de vannerie samedi" in mail.html
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    run = db.session.scalar(select(DigestRun))
    assert (run.user_id, run.period, run.period_start) == (
        w.alice.id, MailMode.DAILY, period_start(MailMode.DAILY, now))

    # The same period again (later that day): nothing more.
    again = build_digests(db.session, MailMode.DAILY, now + timedelta(minutes=5))
    assert again.queued == 0 and len(outbox(kind="digest_daily")) == 1
    result = app.test_cli_runner().invoke(args=["mail", "digest", "--period", "daily",
                                                "--now", (now + timedelta(minutes=6)).isoformat()])
    assert result.exit_code == 0 and result.output.startswith("0 digests queued")
    # The next day, nothing new since her digest: no mail, never an empty one.
    assert build_digests(db.session, MailMode.DAILY, now + timedelta(days=1)).queued == 0
    assert len(outbox(kind="digest_daily")) == 1


def test_the_digest_one_click_stops_it_and_the_next_request_mails_nothing(app, world):
    w = world
    build_digests(db.session, MailMode.DAILY, utcnow() + timedelta(minutes=1))
    (mail,) = outbox(kind="digest_daily")
    response = app.test_client().post(path_of(mail.headers["List-Unsubscribe"].strip("<>")),
                                      data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    modes = modes_of(db.session, w.alice.id)
    assert {modes[k] for k in (MailKind.NETWORK_POSTS, MailKind.MESSAGES,
                               MailKind.REQUESTS)} == {MailMode.APP}
    # A kind's own link, from the digest, does the same for that kind alone.
    assert "/mail/unsubscribe/" in mail.text
    ask(db.session, w.bob.id, w.alice.id, "")
    db.session.commit()
    assert outbox(to_address=w.alice.email, kind="notify:connection_request") == []
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    assert build_digests(db.session, MailMode.DAILY, tomorrow).queued == 0


def test_read_messages_and_unverified_or_suspended_members_make_no_digest(app, world):
    w = world
    db.session.execute(RoomMember.__table__.update().where(
        RoomMember.__table__.c.user_id == w.alice.id).values(last_read_id=10**9))
    db.session.commit()
    now = utcnow() + timedelta(minutes=1)
    digest = collect(db.session, w.alice, {MailKind.MESSAGES}, now - timedelta(days=1), now)
    assert digest.unread_messages == 0 and digest.items == 0
    suspend(w.alice)
    w.bob.email_verified_at = None
    db.session.commit()
    assert build_digests(db.session, MailMode.DAILY, now).queued == 0  # Alice: suspended
    report = build_digests(db.session, MailMode.WEEKLY, now)  # new posts: weekly by default
    weekly = {m.to_address for m in outbox(kind="digest_weekly")}
    assert report.queued == len(weekly) and w.carol.email in weekly  # Dave's post in her network
    assert w.bob.email not in weekly and w.alice.email not in weekly
