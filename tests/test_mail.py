"""E-mail: the outbox, the sender against a real SMTP server (aiosmtpd, started by the test),
and the accounts by mail (password reset, address verification and change, the admin's
recovery link). Tests that ask for the `smtp` fixture send to it; the others have no SMTP
settings, so mail lands as .eml files in a temporary MAIL_DIR."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.mail import queue_mail
from app.mail.sender import has_due, retry_delay, send_pending
from app.mail.worker import SenderLoop, hold_lease, release_lease, start_in_server
from models import AuditEntry, MailStatus, OutboxMessage, User, db
from models.types import utcnow
from tests.helpers import databases
from tests.helpers.apps import TEST_PASSWORD, base_config, csrf_from, login_as
from tests.helpers.smtp import SmtpSink, link_in, parts, wait_for

ROOT = Path(__file__).resolve().parent.parent
NEW_PASSWORD = "une toute nouvelle phrase"


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def app_config(db_path, tmp_path, request):
    config = {**base_config(db_path), "MAIL_DIR": str(tmp_path / "mail")}
    if "smtp" in request.fixturenames:
        sink = request.getfixturevalue("smtp")
        config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_SECURITY="none",
                      MAIL_SENDER="Maillage <bonjour@maillage.test>")
    return config


def send_all(**kwargs):
    """Passes of the sender until nothing is due (a pass ends early on a dead connection)."""
    total = None
    for _ in range(20):
        report = send_pending(db.session, **kwargs)
        total = report if total is None else total
        if total is not report:
            for name in ("sent", "deferred", "failed", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        if not has_due(db.session, kwargs.get("now")):
            return total
    raise AssertionError("the outbox never emptied")


def outbox(**where) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def page_without_clock(response) -> str:
    """The page less what carries the time: its rendering time and the CSRF token (signed with
    a timestamp, so two tokens made in different seconds differ)."""
    html = re.sub(r'<meta name="rendered-at"[^>]*>', "", response.get_data(as_text=True))
    return re.sub(r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]*"', r'\1""', html)


def form_post(client, url: str, data: dict, page_url: str | None = None):
    token = csrf_from(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


# -- the outbox and the sender ------------------------------------------------------------------

def test_a_mail_is_queued_in_the_events_transaction_and_rendered_in_the_recipients_language(
        app, make_user):
    camille = make_user("camille@example.org", display_name="Camille")
    queue_mail(db.session, camille.email, "verify_address",
               {"name": "Camille", "address": camille.email, "url": "http://x/auth/verify/t"},
               user=camille)
    db.session.rollback()  # the event rolled back: no mail
    assert outbox() == []
    queue_mail(db.session, camille.email, "verify_address",
               {"name": "Camille", "address": camille.email, "url": "http://x/auth/verify/t"},
               user=camille)
    camille.locale = "en"
    queue_mail(db.session, camille.email, "verify_address",
               {"name": "<b>Camille</b>", "address": camille.email, "url": "http://x/v?a=1&b=2"},
               user=camille)
    db.session.commit()
    french, english = outbox()
    assert french.subject == "Confirmez votre adresse sur Maillage"
    assert "Bonjour Camille" in french.text and "http://x/auth/verify/t" in french.text
    assert english.subject == "Confirm your address on Maillage"
    assert "Hello <b>Camille</b>," in english.text  # plain text stays plain
    assert "Hello &lt;b&gt;Camille&lt;/b&gt;," in english.html  # HTML is escaped
    assert 'href="http://x/v?a=1&amp;b=2"' in english.html
    assert "<img" not in english.html and "<table" in english.html
    assert french.status == MailStatus.QUEUED and french.attempts == 0
    assert french.message_id != english.message_id and french.message_id.startswith("<")


def test_the_sender_delivers_each_message_once_with_its_message_id(app, make_user, smtp):
    camille = make_user("camille@example.org", display_name="Camille")
    for n in range(3):
        queue_mail(db.session, camille.email, "verify_address",
                   {"name": "Camille", "address": camille.email, "url": f"http://x/{n}"},
                   user=camille)
    db.session.commit()
    report = send_all()
    assert (report.sent, report.deferred, report.failed) == (3, 0, 0)
    rows = outbox()
    assert {r.status for r in rows} == {MailStatus.SENT} and all(r.sent_at for r in rows)
    assert smtp.message_ids() == {r.message_id: 1 for r in rows}
    message = smtp.to("camille@example.org")[0]
    assert message["From"] == "Maillage <bonjour@maillage.test>"
    assert message["Subject"] == rows[0].subject
    text, html = parts(message)
    assert "http://x/0" in text and "<table" in html
    assert send_all().sent == 0  # nothing twice


def test_a_permanent_refusal_fails_at_once_a_temporary_one_is_retried(app, make_user, smtp):
    smtp.refuse["nobody@example.org"] = "550 5.1.1 No such user"
    smtp.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    for to in ("nobody@example.org", "busy@example.org", "ok@example.org"):
        queue_mail(db.session, to, "verify_address", {"name": "X", "address": to, "url": "u"})
    db.session.commit()
    now = utcnow()
    send_all(now=now)
    nobody, busy, ok = outbox()
    assert nobody.status == MailStatus.FAILED and "550" in nobody.last_error
    assert busy.status == MailStatus.QUEUED and busy.attempts == 1 and "451" in busy.last_error
    assert busy.next_attempt_at == now + timedelta(seconds=retry_delay(app.config, 1))
    assert ok.status == MailStatus.SENT
    del smtp.refuse["busy@example.org"]
    send_all(now=now + timedelta(hours=1))
    assert outbox(to_address="busy@example.org")[0].status == MailStatus.SENT


def test_an_outage_keeps_every_message_then_each_is_delivered_exactly_once(app, smtp):
    for n in range(100):
        queue_mail(db.session, f"person{n}@example.org", "verify_address",
                   {"name": f"P{n}", "address": "a", "url": f"http://x/{n}"})
    db.session.commit()
    smtp.stop()  # the server is down: connections refused
    now = utcnow()
    send_all(now=now)
    rows = outbox()
    assert len(rows) == 100 and {r.status for r in rows} == {MailStatus.QUEUED}
    assert {r.attempts for r in rows} == {1}
    assert all(r.next_attempt_at == now + timedelta(seconds=60) for r in rows)
    assert all("Connection refused" in r.last_error or "111" in r.last_error for r in rows)
    later = now + timedelta(minutes=5)
    send_all(now=later)  # still down: the backoff doubles
    rows = outbox()
    assert {r.attempts for r in rows} == {2}
    assert all(r.next_attempt_at == later + timedelta(seconds=120) for r in rows)
    smtp.start()  # back, on the same port
    report = send_all(now=later + timedelta(hours=1))
    assert report.sent == 100
    rows = outbox()
    assert {r.status for r in rows} == {MailStatus.SENT} and {r.attempts for r in rows} == {3}
    assert smtp.message_ids() == {r.message_id: 1 for r in rows}


def test_a_message_failing_for_two_days_is_given_up_with_its_reason(app, smtp):
    queue_mail(db.session, "late@example.org", "verify_address",
               {"name": "L", "address": "a", "url": "u"})
    db.session.commit()
    smtp.stop()
    created = outbox()[0].created_at
    send_all(now=created + timedelta(days=2, seconds=1))
    row = outbox()[0]
    assert row.status == MailStatus.FAILED and row.attempts == 1
    assert row.last_error.startswith("Given up after 1 attempts:")


def test_two_senders_at_once_never_send_a_message_twice(app, smtp):
    for n in range(60):
        queue_mail(db.session, f"p{n}@example.org", "verify_address",
                   {"name": "P", "address": "a", "url": "u"})
    db.session.commit()
    app.config["MAIL_BATCH"] = 5
    errors = []

    def sender():
        try:
            with app.app_context():
                send_pending(db.session)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    send_all()  # whatever a busy database made one of them leave
    rows = outbox()
    assert {r.status for r in rows} == {MailStatus.SENT}
    assert smtp.message_ids() == {r.message_id: 1 for r in rows}


def _flask_mail_loop(db_path, tmp_path, port: int, log_name: str) -> subprocess.Popen:
    env = {**os.environ, "MAILLAGE_DATABASE_URL": databases.database_url(db_path),
           "MAILLAGE_SECRET_KEY": "mail-tests", "MAILLAGE_MAIL_SERVER": "127.0.0.1",
           "MAILLAGE_MAIL_PORT": str(port), "MAILLAGE_MAIL_SECURITY": "none",
           "MAILLAGE_SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
           "MAILLAGE_MAIL_DIR": str(tmp_path / "mail"), "MAILLAGE_MAIL_BATCH": "10",
           "MAILLAGE_MAIL_POLL_SECONDS": "0.1", "MAILLAGE_MAIL_LEASE_SECONDS": "2",
           "MAILLAGE_MAIL_SENDER_LEASE_SECONDS": "2"}
    log = open(tmp_path / log_name, "w")
    return subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi.py",
                             "mail", "send", "--loop"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def test_a_sender_killed_mid_batch_and_started_again_doubles_nothing(app, smtp, db_path,
                                                                     tmp_path):
    for n in range(30):
        queue_mail(db.session, f"p{n}@example.org", "verify_address",
                   {"name": "P", "address": "a", "url": f"http://x/{n}"})
    db.session.commit()
    db.session.remove()
    smtp.hold_after = 12  # the 13th MAIL FROM waits: the sender is mid-batch, 12 sent
    first = _flask_mail_loop(db_path, tmp_path, smtp.port, "first.log")
    try:
        smtp.wait_for(smtp.held.is_set, 60, "the sender to reach the 13th message")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    smtp.hold_after = None
    smtp.release.set()
    assert len(smtp.messages) == 12
    assert len(outbox(status=MailStatus.SENT)) == 12  # each marked right after its "250"
    assert len(outbox(status=MailStatus.SENDING)) >= 1  # claimed by the dead sender
    db.session.remove()
    second = _flask_mail_loop(db_path, tmp_path, smtp.port, "second.log")
    try:
        smtp.wait_for(lambda: len(outbox(status=MailStatus.SENT)) == 30, 60,
                      "the second sender to send the rest")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    rows = outbox()
    assert smtp.message_ids() == {r.message_id: 1 for r in rows}
    assert "30 sent" not in (tmp_path / "second.log").read_text()  # it sent only the rest
    db.session.remove()


def test_the_background_sender_runs_in_one_process_at_a_time(app, tmp_path):
    assert start_in_server(app) is None  # off under TESTING unless turned on
    now = utcnow()
    assert hold_lease(db.session, "a", 60, now)
    assert not hold_lease(db.session, "b", 60, now)  # a holds it
    assert hold_lease(db.session, "a", 60, now)  # renewed
    assert hold_lease(db.session, "b", 60, now + timedelta(seconds=61))  # a's expired
    release_lease(db.session, "b")  # a clean stop: the next one need not wait
    app.config.update(MAIL_SENDER_THREAD=True, MAIL_POLL_SECONDS=0.05,
                      MAIL_SENDER_LEASE_SECONDS=1)
    loop = start_in_server(app)
    try:
        queue_mail(db.session, "bg@example.org", "verify_address",
                   {"name": "B", "address": "a", "url": "u"})
        db.session.commit()
        wait_for(lambda: bool(outbox(status=MailStatus.SENT)), 30, "the background sender")
    finally:
        loop.stop.set()
        loop.task.join(30)  # not left running against the next test's database
    assert not loop.task.is_alive()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_a_second_loop_waits_while_the_first_holds_the_lease(app):
    queue_mail(db.session, "x@example.org", "verify_address", {"name": "X", "address": "a",
                                                                "url": "u"})
    db.session.commit()
    first, second = SenderLoop(app), SenderLoop(app)
    app.config["MAIL_SENDER_LEASE_SECONDS"] = 600
    assert first.turn().sent == 1
    assert second.turn() is None  # not its turn
    assert first.turn().sent == 0


# -- without SMTP: .eml files, the admin's pages, the recovery link -------------------------------

def test_without_smtp_mail_lands_as_eml_files_shown_to_admins(app, client, auth, make_user,
                                                              tmp_path):
    assert auth.register("nouvelle@example.org", display_name="<i>Nina</i>",
                         finish=False).status_code == 302
    rows = outbox()
    assert [r.kind for r in rows] == ["signup_link"] and rows[0].to_address == \
        "nouvelle@example.org"
    assert send_all().sent == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1 and not list((tmp_path / "mail").glob("*.tmp"))
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "nouvelle@example.org" and message["Message-ID"] == rows[0].message_id
    text, html = parts(message)
    assert "/auth/register/confirm/" in text and "/auth/register/confirm/" in html
    assert outbox()[0].status == MailStatus.SENT

    make_user("admin@example.org", role="admin")
    make_user("orga@example.org", role="organiser")
    admin, organiser = app.test_client(), app.test_client()
    login_as(admin, db.session.scalar(select(User).where(User.email == "admin@example.org")))
    login_as(organiser, db.session.scalar(select(User).where(User.email == "orga@example.org")))
    listing = admin.get("/admin/mail")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "nouvelle@example.org" in html and "Terminez votre inscription sur Maillage" in html
    shown = admin.get(f"/admin/mail/{rows[0].id}").get_data(as_text=True)
    assert "&lt;i&gt;Nina&lt;/i&gt;" in shown and "<i>Nina</i>" not in shown
    # The link that acts for its recipient is not shown to the admin (recovery is audited,
    # through /admin/recovery).
    assert "/auth/register/confirm/" not in shown and "lien masqué" in shown
    assert admin.get("/admin/mail?status=sent").status_code == 200
    assert admin.get("/admin/mail?status=nonsense&page=abc").status_code == 200
    assert admin.get("/admin/mail/999999999999").status_code == 404
    for url in ("/admin/mail", f"/admin/mail/{rows[0].id}", "/admin/recovery"):
        assert organiser.get(url).status_code == 403
        assert app.test_client().get(url).status_code == 403


def test_an_admin_recovery_link_lets_a_member_back_in_once(app, client, make_user):
    member = make_user("perdu@example.org", display_name="Paul Perdu")
    admin_user = make_user("admin@example.org", role="admin", display_name="Ada Admin")
    elsewhere, admin = app.test_client(), app.test_client()
    login_as(elsewhere, member)
    login_as(admin, admin_user)
    assert elsewhere.get("/people/me/edit").status_code == 200
    unknown = form_post(admin, "/admin/recovery", {"email": "nobody@example.org",
                                                   "reason": "appel"})
    assert unknown.status_code == 422 and "nobody@example.org" in unknown.get_data(as_text=True)
    missing_reason = form_post(admin, "/admin/recovery", {"email": "perdu@example.org"})
    assert missing_reason.status_code == 422
    issued = form_post(admin, "/admin/recovery", {"email": "Perdu@example.org ",
                                                  "reason": "appel du 12, boîte perdue"})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="recovery-link">http://localhost(/auth/reset/[^<\s]+)<',
                     issued.get_data(as_text=True)).group(1)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery_link"))
    assert entry.actor_name == "Ada Admin" and entry.target_label == "Paul Perdu"
    assert entry.reason == "appel du 12, boîte perdue" and link not in (entry.detail or "")
    assert outbox() == []  # nothing mailed: the admin hands it over

    page = client.get(link)
    assert page.status_code == 200 and "perdu@example.org" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    short = client.post(link, data={"new_password": "court", "confirm": "court",
                                    "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert short.status_code == 422
    done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302
    assert client.get("/people/me/edit").status_code == 200  # in, on this device
    assert elsewhere.get("/people/me/edit").status_code == 302  # out everywhere else
    assert client.get(link).status_code == 400  # once
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "recovery_used")) is not None
    fresh = app.test_client()
    assert form_post(fresh, "/auth/login", {"email": "perdu@example.org",
                                             "password": NEW_PASSWORD}).status_code == 302


# -- password reset by mail ---------------------------------------------------------------------

def test_password_reset_end_to_end_through_a_real_smtp_server(app, client, make_user, smtp):
    camille = make_user("camille@example.org", display_name="Camille")
    elsewhere = app.test_client()
    login_as(elsewhere, camille)
    assert elsewhere.get("/people/me/edit").status_code == 200
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in login_page and "Mot de passe oublié" in login_page

    known = form_post(client, "/auth/forgot", {"email": "Camille@Example.org"})
    unknown = form_post(client, "/auth/forgot", {"email": "personne@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert page_without_clock(known).replace("camille@example.org", "@") == \
        page_without_clock(unknown).replace("personne@example.org", "@")
    assert [r.to_address for r in outbox()] == ["camille@example.org"]

    assert send_all().sent == 1
    [message] = smtp.to("camille@example.org")
    assert message["Subject"] == "Choisissez un nouveau mot de passe pour Maillage"
    text, html = parts(message)
    link = link_in(message, "/auth/reset/")
    assert link in text and link in html and "dans l’heure" in text

    form = client.get(link)
    assert form.status_code == 200
    token = csrf_from(form.get_data(as_text=True))
    differ = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": "autre chose ici",
                                     "csrf_token": token})
    assert differ.status_code == 422
    assert client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "csrf_token": token}).status_code == 302
    assert client.get("/people/me/edit").status_code == 200
    assert elsewhere.get("/people/me/edit").status_code == 302  # the other session is over
    assert client.get(link).status_code == 400  # single use
    user = db.session.get(User, camille.id)
    assert user.check_password(NEW_PASSWORD) and user.email_verified_at is not None
    other = app.test_client()
    assert form_post(other, "/auth/login", {"email": "camille@example.org",
                                             "password": TEST_PASSWORD}).status_code == 422


def test_the_reset_mail_is_in_english_for_an_english_speaker(app, client, make_user, smtp):
    user = make_user("jo@example.org")
    user.locale = "en"
    db.session.commit()
    form_post(client, "/auth/forgot", {"email": "jo@example.org"})
    send_all()
    assert smtp.to("jo@example.org")[0]["Subject"] == "Choose a new password for Maillage"


def test_reset_requests_are_limited_and_the_answer_never_changes(app, client, make_user):
    make_user("camille@example.org")
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "6 per hour"
    answers = [form_post(client, "/auth/forgot", {"email": "camille@example.org"})
               for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert len({page_without_clock(a) for a in answers}) == 1
    assert len(outbox()) == 3  # PASSWORD_RESET_ADDRESS_LIMIT: 3 an hour to one address
    form_post(client, "/auth/forgot", {"email": "x@example.org"})
    limited = form_post(client, "/auth/forgot", {"email": "y@example.org"})
    assert limited.status_code == 429 and 'value="y@example.org"' in limited.get_data(as_text=True)
    bad = form_post(app.test_client(), "/auth/forgot", {"email": "pas une adresse"})
    assert bad.status_code == 422 and 'value="pas une adresse"' in bad.get_data(as_text=True)


@pytest.mark.parametrize("token", [
    "x", "a" * 5000, "é" * 30, "..%2F..", "eyJ1IjoxfQ.abc.def",
])
def test_hostile_links_are_refused_never_a_500(app, client, token):
    for url in (f"/auth/reset/{token}", f"/auth/verify/{token}", f"/auth/email/confirm/{token}"):
        assert client.get(url).status_code in (400, 404), url
    assert client.post(f"/auth/reset/{token}", data={"new_password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD}).status_code in (
        400, 404)


def test_well_signed_tokens_with_odd_contents_are_refused(app, client, make_user):
    user = make_user()
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="maillage-password")
    for payload in ({"u": str(user.id), "p": "x", "v": "mail"}, {"u": 10**30, "p": "x"},
                    {"u": True}, ["list"], {"u": user.id, "p": None, "v": "mail"},
                    {"u": user.id, "p": "0" * 20, "v": "root"}):
        assert client.get(f"/auth/reset/{signer.dumps(payload)}").status_code == 400, payload


# -- the address: verification and change -------------------------------------------------------

def test_address_verification_on_request(app, client, make_user, smtp):
    """A sign-up confirms its address (its link came through the mailbox: tests/test_auth.py);
    an account made otherwise (`flask user create-admin`, or before sign-up went through a
    link) confirms it with a link it asks for from its profile."""
    nina = make_user("nina@example.org", display_name="Nina")
    assert nina.email_verified_at is None
    login_as(client, nina)
    profile = client.get(f"/people/{nina.profile.id}").get_data(as_text=True)
    assert "n’est pas encore confirmée" in profile
    # Moderators see it.
    make_user("admin@example.org", role="admin")
    admin = app.test_client()
    login_as(admin, db.session.scalar(select(User).where(User.email == "admin@example.org")))
    assert "adresse non vérifiée" in admin.get(f"/moderation/profile/{nina.profile.id}") \
        .get_data(as_text=True)

    for _ in range(2):
        resend = client.post("/auth/verify-again", data={"csrf_token": csrf_from(profile)})
        assert resend.status_code == 302
        send_all()
    first = smtp.to("nina@example.org")[0]
    assert first["Subject"] == "Confirmez votre adresse sur Maillage"
    assert len(smtp.to("nina@example.org")) == 2
    link = link_in(smtp.to("nina@example.org")[1], "/auth/verify/")
    assert app.test_client().get(link).status_code == 302  # no need to be logged in
    db.session.rollback()
    assert db.session.get(User, nina.id).email_verified_at is not None
    assert "adresse non vérifiée" not in admin.get(f"/moderation/profile/{nina.profile.id}") \
        .get_data(as_text=True)
    assert "pas encore confirmée" not in client.get(f"/people/{nina.profile.id}") \
        .get_data(as_text=True)
    # Resending is limited (VERIFY_RESEND_RATE_LIMIT) and pointless once verified.
    assert client.post("/auth/verify-again", data={"csrf_token": csrf_from(profile)}) \
        .status_code == 302
    send_all()
    assert len(smtp.to("nina@example.org")) == 2
    assert client.post("/auth/verify-again").status_code == 400  # CSRF


def test_changing_the_address_needs_the_password_and_the_new_mailbox(app, client, make_user,
                                                                      smtp):
    paul = make_user("paul@example.org", display_name="Paul")
    taken = make_user("pris@example.org")
    login_as(client, paul)
    wrong = form_post(client, "/auth/email", {"new_email": "paul@nouveau.example",
                                               "current_password": "pas le bon"})
    assert wrong.status_code == 422
    assert 'value="paul@nouveau.example"' in wrong.get_data(as_text=True)  # nothing lost
    # An address another account has is answered like any other (issue 20: nothing tells who
    # has an account); its mailbox gets no link, the old address its notice.
    assert form_post(client, "/auth/email", {"new_email": taken.email,
                                             "current_password": TEST_PASSWORD}).status_code == 302
    assert [(r.to_address, r.kind) for r in outbox()] == [("paul@example.org",
                                                           "address_change_notice")]
    asked = form_post(client, "/auth/email", {"new_email": "Paul@Nouveau.example",
                                              "current_password": TEST_PASSWORD})
    assert asked.status_code == 302
    db.session.rollback()
    assert db.session.get(User, paul.id).email == "paul@example.org"  # not yet
    send_all()
    [confirm] = smtp.to("paul@nouveau.example")
    assert smtp.to(taken.email) == []
    notice = smtp.to("paul@example.org")[-1]
    assert "paul@nouveau.example" in parts(notice)[0]
    assert "/auth/forgot" in parts(notice)[0]
    link = link_in(confirm, "/auth/email/confirm/")
    scanner = app.test_client().get(link)  # a mail scanner opening it changes nothing
    assert scanner.status_code == 200
    db.session.rollback()
    assert db.session.get(User, paul.id).email == "paul@example.org"
    done = app.test_client()
    page = done.get(link)
    assert done.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))}) \
        .status_code == 302
    db.session.rollback()
    user = db.session.get(User, paul.id)
    assert user.email == "paul@nouveau.example" and user.email_verified_at is not None
    assert done.get(link).status_code == 400  # the old address is gone: the link too
    fresh = app.test_client()
    assert form_post(fresh, "/auth/login", {"email": "paul@nouveau.example",
                                             "password": TEST_PASSWORD}).status_code == 302


def test_mail_rows_go_with_an_erased_account(app, make_user):
    user = make_user()
    queue_mail(db.session, user.email, "verify_address", {"name": "A", "address": "a",
                                                          "url": "u"}, user=user)
    db.session.commit()
    db.session.delete(user)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_server_process_sends_in_the_background(template_db, tmp_path):
    """gunicorn with its gevent worker (gunicorn.conf.py) starts the sender: a sign-up's mail
    is written without any command run."""
    import requests

    from tests.helpers.browser import LiveServer
    db_file = tmp_path / "live.sqlite3"
    databases.copy(template_db, db_file)
    server = LiveServer(db_file, tmp_path, env={"MAILLAGE_MAIL_POLL_SECONDS": "0.2"})
    try:
        http = requests.Session()
        page = http.get(server.url + "/auth/register", timeout=10).text
        response = http.post(server.url + "/auth/register", data={
            "email": "live@example.org", "display_name": "Live", "password": TEST_PASSWORD,
            "csrf_token": csrf_from(page)}, allow_redirects=False, timeout=10)
        assert response.status_code == 302
        wait_for(lambda: list((tmp_path / "mail").glob("*.eml")), 30, "the .eml file")
        [eml] = (tmp_path / "mail").glob("*.eml")
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert message["To"] == "live@example.org"
        assert server.url + "/auth/register/confirm/" in parts(message)[0]
    finally:
        server.stop()
        databases.drop(db_file)


def test_one_reset_link_posted_twice_at_once_sets_one_password(app, make_user):
    """The second request checked the link before the first changed the password: it still
    finds the password changed when it takes the row, and sets nothing."""
    from sqlalchemy import event, update

    from app.auth.tokens import password_token
    mia = make_user("mia@example.org", display_name="Mia")
    link = f"/auth/reset/{password_token(mia, 'mail')}"
    client = app.test_client()
    token = csrf_from(client.get(link).get_data(as_text=True))
    done = []

    def the_other_request_first(conn, cursor, statement, *_):
        # Right before this request takes the row: the other one (same link) has just
        # committed its new password.
        if not done and statement.lstrip().upper().startswith("UPDATE") \
                and "password_hash" in statement:
            done.append(True)
            with db.engine.begin() as other:
                other.execute(update(User).where(User.id == mia.id).values(
                    password_hash="pbkdf2:sha256:1$other$" + "0" * 64))
    event.listen(db.engine, "before_cursor_execute", the_other_request_first)
    try:
        second = client.post(link, data={"new_password": "le second mot de passe",
                                         "confirm": "le second mot de passe",
                                         "csrf_token": token})
    finally:
        event.remove(db.engine, "before_cursor_execute", the_other_request_first)
    assert done and second.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, mia.id).password_hash.startswith("pbkdf2:sha256:1$other$")
