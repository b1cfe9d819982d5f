"""Unread direct and group messages by mail (app/mailprefs/chat_unread.py): one mail per
conversation once a message has stayed unread CHAT_UNREAD_MAIL_DELAY, then none until the member
reads it; only for "at once", never a blocked person's, a hidden one or a network room's; one
mail even when two runs race. Against the real outbox, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.chat.messages import mark_read
from app.chat.rooms import create_group, direct_room, leave_group, network_room
from app.chat.sending import store_message
from app.jobs import make_due
from app.mail.worker import SenderLoop
from app.mailprefs import chat_unread
from app.mailprefs.chat_unread import due_conversations, mail_due, mail_unread_chats
from app.mailprefs.preferences import modes_of, set_mode
from app.networks.service import join_open
from app.social.connections import block
from models import (
    AuditEntry,
    MailKind,
    MailMode,
    Message,
    OutboxMessage,
    Room,
    RoomMember,
    db,
)
from models.types import utcnow
from tests.helpers.apps import base_config, login_as

DELAY = timedelta(minutes=30)


@pytest.fixture
def app_config(db_path, tmp_path):
    return {**base_config(db_path), "MAIL_DIR": str(tmp_path / "mail")}


@pytest.fixture
def person(make_user):
    """A member with a verified address (mail goes only there)."""
    def factory(email, name, **kwargs):
        user = make_user(email, display_name=name, direct_messages="members", **kwargs)
        user.email_verified_at = utcnow()
        db.session.commit()
        return user
    return factory


def mails(**where) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.kind == "chat_unread")
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


_client_ids = iter(range(1, 10**6))


def say(room: Room, author, body: str, minutes_ago: float = 0) -> Message:
    message, _ = store_message(db.session, room.id, author.id, body, f"c{next(_client_ids)}")
    if minutes_ago:
        message.created_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return message


def audited(action: str, target_kind: str, target_id: int) -> None:
    """A moderated change needs its audit entry in the same transaction (models/moderation.py)."""
    db.session.add(AuditEntry(actor_id=None, action=action, target_kind=target_kind,
                              target_id=target_id, reason="test"))


def run(minutes_later: float = 0):
    """The job, as if it ran `minutes_later` from now."""
    report = mail_unread_chats(db.session, utcnow() + timedelta(minutes=minutes_later))
    db.session.rollback()
    return report


def marker(room: Room, user) -> RoomMember:
    db.session.rollback()
    return db.session.get(RoomMember, (room.id, user.id))


@pytest.fixture
def pair(person):
    alice = person("alice@example.org", "Alice")
    bob = person("bob@example.org", "Bob")
    room = direct_room(db.session, bob, alice)
    db.session.commit()
    return alice, bob, room


def test_an_unread_message_is_mailed_once_after_the_delay_until_the_member_comes_back(app, pair):
    alice, bob, room = pair
    long_tail = "la suite " * 40
    first = say(room, bob, f"Bonjour Alice,\n\n<b>Osier</b> & rotin à partager ? {long_tail}")
    assert run(minutes_later=29).queued == 0 and mails() == []  # not unread long enough yet

    report = run(minutes_later=31)
    assert (report.due, report.queued, report.already) == (1, 1, 0)
    (mail,) = mails()
    assert mail.to_address == alice.email and mail.user_id == alice.id
    assert mail.subject == "1 message non lu de Bob"
    # A short excerpt on one line, cut with an ellipsis; plain in the text, escaped in HTML.
    assert "> Bonjour Alice, <b>Osier</b> & rotin à partager ? la suite" in mail.text
    assert "…" in mail.text and long_tail.strip() not in mail.text
    assert "&lt;b&gt;Osier&lt;/b&gt; &amp; rotin" in mail.html and "<b>Osier" not in mail.html
    link = f"/chat/{room.id}#m{first.id}"
    assert link in mail.text and link in mail.html.replace("&#35;", "#")
    assert "Bob vous a écrit" in mail.text
    assert mail.headers["List-Unsubscribe"].startswith("<") and "/mail/unsubscribe/" in \
        mail.headers["List-Unsubscribe"]
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Messages privés et de groupe" in mail.text  # the kind this mail belongs to
    assert marker(room, alice).mailed_through_id == first.id
    assert marker(room, bob).mailed_through_id is None  # his own message: nothing for him

    # Run again, and again with more messages while she still has not read: nothing more.
    assert run(minutes_later=32).queued == 0
    say(room, bob, "Tu es là ?", minutes_ago=0)
    say(room, bob, "Je passe demain.", minutes_ago=0)
    assert run(minutes_later=90).queued == 0 and len(mails()) == 1

    # She comes back: the mail's link opens the conversation, which reads it.
    client = app.test_client()
    login_as(client, alice)
    (url,) = re.findall(r"https?://\S+/chat/\d+#m\d+", mail.text)
    assert client.get(urlsplit(url).path).status_code == 200
    state = marker(room, alice)
    assert state.last_read_id >= state.mailed_through_id
    assert run(minutes_later=90).queued == 0  # nothing unread

    # A new message left unread 30 minutes: one new mail, counting only what is unread.
    latest = say(room, bob, "Finalement, jeudi.")
    assert run(minutes_later=29).queued == 0
    assert run(minutes_later=31).queued == 1
    second = mails()[-1]
    assert len(mails()) == 2 and second.subject == "1 message non lu de Bob"
    assert "Finalement, jeudi." in second.text and f"#m{latest.id}" in second.text
    assert run(minutes_later=60).queued == 0


def test_the_mails_one_click_link_stops_them(app, pair):
    alice, bob, room = pair
    say(room, bob, "Bonjour", minutes_ago=31)
    run()
    (mail,) = mails()
    response = app.test_client().post(urlsplit(mail.headers["List-Unsubscribe"].strip("<>")).path,
                                      data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert modes_of(db.session, alice.id)[MailKind.MESSAGES] == MailMode.APP
    mark_read(db.session, db.session.get(Room, room.id), alice.id, 10**9)
    db.session.commit()
    say(room, bob, "Encore", minutes_ago=31)
    assert run().queued == 0 and len(mails()) == 1


def test_the_mail_counts_the_unread_messages_and_speaks_the_members_language(app, pair):
    alice, bob, room = pair
    alice.locale = "en"
    db.session.commit()
    say(room, bob, "One", minutes_ago=40)
    say(room, bob, "Two", minutes_ago=35)
    newest = say(room, bob, "Three, the latest", minutes_ago=1)
    assert run().queued == 1  # the oldest has waited 40 minutes
    (mail,) = mails()
    assert mail.subject == "3 unread messages from Bob"
    assert "Bob wrote to you: you have 3 unread messages." in mail.text
    assert "The latest, from Bob:\n> Three, the latest" in mail.text
    assert "No other e-mail about this conversation until you have read it." in mail.text
    assert '<html lang="en">' in mail.html
    assert marker(room, alice).mailed_through_id == newest.id


def test_only_members_who_want_messages_at_once_and_may_receive_mail(app, person):
    bob = person("bob@example.org", "Bob")
    people = {mode: person(f"{mode}@example.org", f"Mode {mode}") for mode in MailMode}
    for mode, someone in people.items():
        set_mode(db.session, someone.id, MailKind.MESSAGES, mode)
    unverified = person("unverified@example.org", "Unverified")
    unverified.email_verified_at = None
    suspended = person("suspended@example.org", "Suspended")
    audited("suspend", "profile", suspended.profile.id)
    suspended.suspended_at = utcnow()
    db.session.commit()
    for someone in [*people.values(), unverified, suspended]:
        room = direct_room(db.session, bob, someone)
        db.session.commit()
        say(room, bob, "Bonjour", minutes_ago=31)
    assert run().queued == 1
    assert [m.to_address for m in mails()] == [people[MailMode.NOW].email]


def test_blocked_own_hidden_deleted_and_old_messages_are_never_mailed(app, person):
    alice = person("alice@example.org", "Alice")
    bob, carol, dave = (person(f"{n}@example.org", n.title()) for n in ("bob", "carol", "dave"))
    erin = person("erin@example.org", "Erin")
    with_bob = direct_room(db.session, bob, alice)
    with_carol = direct_room(db.session, carol, alice)
    with_dave = direct_room(db.session, dave, alice)
    with_erin = direct_room(db.session, erin, alice)
    db.session.commit()
    say(with_bob, bob, "Message de Bob", minutes_ago=31)
    block(db.session, alice.id, bob.id)  # she blocked him after he wrote
    say(with_carol, carol, "Message de Carol", minutes_ago=31)
    block(db.session, carol.id, alice.id)  # Carol blocked her: nothing of Carol's either
    db.session.commit()
    hidden = say(with_dave, dave, "Message masqué", minutes_ago=31)
    audited("hide", "message", hidden.id)
    hidden.hidden_at = utcnow()
    deleted = say(with_dave, dave, "Message effacé", minutes_ago=31)
    deleted.deleted_at, deleted.body = utcnow(), ""
    say(with_dave, alice, "Mon propre message", minutes_ago=31)  # (Dave reads in the app)
    set_mode(db.session, dave.id, MailKind.MESSAGES, MailMode.APP)
    say(with_erin, erin, "Il y a deux semaines", minutes_ago=14 * 24 * 60)  # past the max age
    db.session.commit()
    assert run().queued == 0 and mails() == []
    # The same rooms come to life: only what counts is mailed, counted and quoted.
    say(with_dave, dave, "Un vrai message de Dave", minutes_ago=31)
    say(with_erin, erin, "Et maintenant ?", minutes_ago=31)
    assert run().queued == 2
    assert {m.subject for m in mails()} == {"1 message non lu de Dave",
                                            "1 message non lu de Erin"}
    assert all("masqué" not in m.text and "effacé" not in m.text and "Bob" not in m.text
               for m in mails())


def test_a_group_mail_names_the_group_and_its_writers_and_the_network_room_mails_nothing(
        app, person, make_network, monkeypatch):
    monkeypatch.setattr(chat_unread, "AUTHORS_SHOWN", 1)  # "Bob and 1 other person"
    alice = person("alice@example.org", "Alice")
    bob, carol, dave = (person(f"{n}@example.org", n.title()) for n in ("bob", "carol", "dave"))
    group = create_group(db.session, bob, "Atelier osier", [alice, carol, dave])
    unnamed = create_group(db.session, carol, "", [alice, bob])
    db.session.commit()
    say(group, bob, "Premier", minutes_ago=45)
    say(group, carol, "Deuxième", minutes_ago=40)
    say(group, bob, "Troisième, de Bob", minutes_ago=2)
    say(unnamed, carol, "Sans nom", minutes_ago=31)
    # Dave left the group: nothing for him. The network room: nothing for anyone.
    leave_group(db.session, group, dave.id)
    network = make_network(bob, "Réseau des vanniers")
    join_open(db.session, network, alice, None)
    db.session.commit()
    room = network_room(db.session, network)
    db.session.commit()
    mark_read(db.session, room, alice.id, 0)  # a read marker row, as opening the room makes
    db.session.commit()
    say(room, bob, "Dans le réseau", minutes_ago=60)

    assert run().queued == 5  # Alice x2, Carol (Bob's), Bob (Carol's, in the group and unnamed)
    to_alice = {m.subject: m for m in mails(to_address=alice.email)}
    # (A subject is on one line, its spaces plain.)
    assert set(to_alice) == {"3 messages non lus dans « Atelier osier »",
                             "1 message non lu dans « Bob, Carol »"}
    text = to_alice["3 messages non lus dans « Atelier osier »"].text
    assert ("Dans la conversation «\u00a0Atelier osier\u00a0», vous avez 3 messages non lus de "
            "Bob et 1 autre personne.") in text
    assert "Le dernier, de Bob\u00a0:\n> Troisième, de Bob" in text
    assert f"/chat/{group.id}#m" in text
    assert mails(to_address=dave.email) == []
    assert all("Dans le réseau" not in m.text for m in mails())
    assert marker(room, alice).mailed_through_id is None


def test_a_member_who_read_meanwhile_gets_nothing(app, pair):
    alice, bob, room = pair
    message = say(room, bob, "Bonjour", minutes_ago=31)
    due = due_conversations(db.session, utcnow(), DELAY, timedelta(days=7))
    assert [(d.room_id, d.user_id, d.unread, d.newest_id) for d in due] == [
        (room.id, alice.id, 1, message.id)]
    db.session.rollback()
    mark_read(db.session, db.session.get(Room, room.id), alice.id, message.id)
    db.session.commit()
    report = mail_due(db.session, due)  # found due a moment ago, read since
    assert (report.queued, report.already) == (0, 1) and mails() == []


def test_two_runs_that_found_the_same_conversation_queue_one_mail(app, pair):
    """Both runs read the candidates before either wrote: the second finds the row taken."""
    alice, bob, room = pair
    say(room, bob, "Bonjour", minutes_ago=31)
    db.session.rollback()
    window = timedelta(days=7)
    with Session(db.engine) as first, Session(db.engine) as second:
        found_first = due_conversations(first, utcnow(), DELAY, window)
        found_second = due_conversations(second, utcnow(), DELAY, window)
        first.rollback()
        second.rollback()
        assert len(found_first) == len(found_second) == 1
        assert mail_due(first, found_first).queued == 1
        report = mail_due(second, found_second)
        assert (report.queued, report.already) == (0, 1)
    assert len(mails()) == 1


def test_two_runs_at_once_in_two_threads_queue_one_mail(app, pair, monkeypatch):
    """The second run's UPDATE waits for the first's lock (a row lock on PostgreSQL, the write
    lock on SQLite), then finds the row taken: one mail."""
    alice, bob, room = pair
    say(room, bob, "Bonjour", minutes_ago=31)
    db.session.rollback()
    real_take = chat_unread.take
    first_took, second_tries = threading.Event(), threading.Event()
    taken, errors = {}, []

    def racing_take(session, due):
        name = threading.current_thread().name
        if name == "second":
            assert first_took.wait(10)
            second_tries.set()
        result = real_take(session, due)
        taken[name] = result
        if name == "first":
            first_took.set()
            assert second_tries.wait(10)
            time.sleep(0.3)  # the second's UPDATE is now waiting for this transaction
        return result
    monkeypatch.setattr(chat_unread, "take", racing_take)

    def job():
        try:
            with app.app_context():
                mail_unread_chats(db.session)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=job, name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and taken == {"first": True, "second": False}
    assert len(mails()) == 1


def test_the_command_and_the_mail_loop_run_the_job(app, pair):
    alice, bob, room = pair
    say(room, bob, "Par la commande", minutes_ago=0)
    later = (utcnow() + timedelta(minutes=31)).isoformat()
    result = app.test_cli_runner().invoke(args=["mail", "chat-unread", "--now", later])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 mails queued") and len(mails()) == 1
    result = app.test_cli_runner().invoke(args=["mail", "chat-unread", "--now", "hier"])
    assert result.exit_code != 0

    # The mail loop of the server: it looks, queues and sends in the same turn, then waits
    # CHAT_UNREAD_MAIL_EVERY before looking again. Alice read, then Bob wrote again.
    mark_read(db.session, db.session.get(Room, room.id), alice.id, 10**9)
    db.session.commit()
    say(room, bob, "Par la boucle", minutes_ago=31)
    loop = SenderLoop(app, owner="test-loop")
    assert loop.turn().sent == 2  # the command's mail, and the loop's
    assert [m.status for m in mails()] == ["sent", "sent"]
    assert "Par la boucle" in mails()[-1].text
    mark_read(db.session, db.session.get(Room, room.id), alice.id, 10**9)
    db.session.commit()
    say(room, bob, "Trop tôt pour la boucle", minutes_ago=31)
    assert loop.turn().sent == 0 and len(mails()) == 2  # looked less than a minute ago
    make_due(db.session, "chat_unread")
    assert loop.turn().sent == 1


def test_the_preferences_page_says_when_messages_are_mailed(app, client, person):
    alice = person("alice@example.org", "Alice")
    login_as(client, alice)
    html = client.get("/people/me/mail").get_data(as_text=True)
    assert "reste non lue 30 minutes" in html
    app.config["CHAT_UNREAD_MAIL_DELAY"] = 60
    assert "reste non lue 1 minute," in client.get("/people/me/mail").get_data(as_text=True)


def test_admins_see_where_a_chat_mail_goes_never_what_it_quotes(app, pair, make_user):
    alice, bob, room = pair
    say(room, bob, "Un secret entre nous", minutes_ago=31)
    run()
    (mail,) = mails()
    admin = app.test_client()
    login_as(admin, make_user("admin@example.org", role="admin"))
    listing = admin.get("/admin/mail").get_data(as_text=True)
    shown = admin.get(f"/admin/mail/{mail.id}").get_data(as_text=True)
    for page in (listing, shown):
        assert alice.email in page
        assert "Un secret entre nous" not in page and mail.subject not in page
        assert "conversation privée" in page


def test_the_marker_is_what_the_update_checks(app, pair):
    """`take` changes the row once per return of the member."""
    alice, bob, room = pair
    message = say(room, bob, "Bonjour", minutes_ago=31)
    (due,) = due_conversations(db.session, utcnow(), DELAY, timedelta(days=7))
    assert chat_unread.take(db.session, due) is True
    assert chat_unread.take(db.session, due) is False
    db.session.commit()
    db.session.execute(update(RoomMember).where(RoomMember.room_id == room.id,
                                                RoomMember.user_id == alice.id)
                       .values(last_read_id=message.id))
    db.session.commit()
    assert chat_unread.take(db.session, due) is False  # read: nothing unread up to it
    db.session.rollback()
