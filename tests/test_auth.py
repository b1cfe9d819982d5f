import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from models import LoginSession, OutboxMessage, PendingSignup, User, db
from models.types import utcnow
from tests.helpers.apps import TEST_PASSWORD, AuthActions, csrf_from


@pytest.mark.strong_passwords
def test_sign_up_is_finished_from_the_mailed_link(client, auth):
    """The form creates nothing and logs nobody in: it queues a link; the link's page (GET) has
    a button and creates nothing either; its POST makes one account, address confirmed, logged
    in, and leads to the profile editor."""
    r = auth.register("Camille@Example.org", display_name="  Camille   Fabre ", finish=False)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/register/sent"
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert client.get("/people/me/edit").status_code == 302  # not logged in
    sent = client.get("/auth/register/sent")
    assert sent.headers["Cache-Control"] == "no-store"  # it shows the address
    assert "Nous avons écrit à camille@example.org" in sent.get_data(as_text=True)
    assert "48 heures" in sent.get_data(as_text=True)
    [pending] = db.session.scalars(select(PendingSignup)).all()
    assert (pending.email, pending.display_name) == ("camille@example.org", "Camille Fabre")
    assert pending.password_hash.startswith(("scrypt:", "argon2"))
    assert TEST_PASSWORD not in pending.password_hash
    password_hash = pending.password_hash
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert (mail.to_address, mail.kind) == ("camille@example.org", "signup_link")
    assert mail.subject == "Terminez votre inscription sur Maillage" and "48 heures" in mail.text
    link = auth.sign_up_link("camille@example.org")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 40 and token not in pending.token_hash  # only its hash is kept
    assert pending.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link in mail.html

    page = client.get(link)  # what a mail scanner's prefetch does: nothing
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Camille Fabre" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0

    r = auth.finish_sign_up("camille@example.org", link)
    assert r.status_code == 302 and r.headers["Location"] == "/people/me/edit"
    [user] = db.session.scalars(select(User)).all()
    assert (user.email, user.display_name, user.role) == ("camille@example.org", "Camille Fabre",
                                                          "member")
    assert user.password_hash == password_hash and user.profile is not None
    assert user.email_verified_at is not None  # the link came through that mailbox
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 0
    editor = client.get("/people/me/edit")
    assert editor.status_code == 200 and "Bienvenue sur Maillage, Camille Fabre" in \
        editor.get_data(as_text=True)
    assert "pas encore confirmée" not in client.get(f"/people/{user.profile.id}") \
        .get_data(as_text=True)
    auth.logout()
    assert auth.login("camille@example.org").status_code == 302  # the password typed at sign-up


def test_a_taken_address_is_answered_like_a_new_one_and_creates_nothing(app, client, auth,
                                                                          make_user):
    """Sign-up does not say which addresses have an account (issue 20): the same redirect and
    page as a new address; nothing is created and nobody is logged in. (The two answers are
    compared, and the account owner's notice tested, in tests/test_security_hardening.py.)"""
    make_user("taken@example.org")
    r = auth.register("TAKEN@example.org", display_name="Dominique Vidal", finish=False)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/register/sent"
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(User.display_name)) == "Alex Martin"
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 0
    assert client.get("/people/me/edit").status_code == 302  # not logged in
    page = client.get("/auth/register/sent").get_data(as_text=True)
    assert "utilise déjà" not in page and "Nous avons écrit à taken@example.org" in page


def test_used_expired_and_unknown_links_are_answered_clearly(app, client, auth):
    auth.register("lou@example.org", display_name="Lou")
    used = auth.sign_up_link("lou@example.org")
    auth.logout()
    other = app.test_client()
    token = csrf_from(other.get("/auth/register").get_data(as_text=True))
    for answer in (other.get(used), other.post(used, data={"csrf_token": token})):
        assert answer.status_code == 404
        html = answer.get_data(as_text=True)
        assert "Ce lien ne fonctionne pas" in html and "déjà servi" in html
        assert 'href="/auth/register"' in html and 'href="/auth/login"' in html

    auth.register("late@example.org", display_name="Late", finish=False)
    late = auth.sign_up_link("late@example.org")
    db.session.execute(update(PendingSignup).values(created_at=utcnow() - timedelta(hours=49)))
    db.session.commit()
    for answer in (other.get(late), other.post(late, data={"csrf_token": token})):
        assert answer.status_code == 410
        assert "valable 48 heures" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(
        User.email == "late@example.org")) == 0

    for link in ("/auth/register/confirm/nope", "/auth/register/confirm/" + "a" * 1000,
                 "/auth/register/confirm/%00%ff", used + "x"):
        assert other.get(link).status_code == 404, link
        assert other.post(link, data={"csrf_token": token}).status_code == 404, link
    assert db.session.scalar(select(func.count(User.id))) == 1  # Lou only


def test_expired_pending_sign_ups_go_at_the_next_sign_up(client, auth):
    auth.register("old@example.org", finish=False)
    db.session.execute(update(PendingSignup).values(created_at=utcnow() - timedelta(hours=49)))
    db.session.commit()
    auth.register("new@example.org", finish=False)
    assert db.session.scalars(select(PendingSignup.email)).all() == ["new@example.org"]


def test_two_pending_sign_ups_for_one_address_the_first_link_followed_wins(app, auth):
    first_device, second_device = app.test_client(), app.test_client()
    first, second = AuthActions(first_device), AuthActions(second_device)
    first.register("Nina@example.org", display_name="Nina Une", finish=False)
    link_one = first.sign_up_link("nina@example.org")
    second.register("nina@example.org", display_name="Nina Deux", finish=False)
    link_two = second.sign_up_link("nina@example.org")
    assert link_one != link_two
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 2
    page_one = first_device.get(link_one).get_data(as_text=True)  # opened, not yet sent

    assert second.finish_sign_up("nina@example.org", link_two).status_code == 302
    late = first_device.post(link_one, data={"csrf_token": csrf_from(page_one)})
    # Every pending sign-up of the address went with the first account: the other link is
    # unknown now. Had it still been there (the race in tests/test_races.py), the answer would
    # be "this address already has an account".
    assert late.status_code == 404
    assert db.session.scalars(select(User.display_name)).all() == ["Nina Deux"]
    assert first_device.get("/people/me/edit").status_code == 302
    assert second_device.get("/people/me/edit").status_code == 200


def test_a_link_for_an_address_that_got_an_account_makes_no_second_one(app, auth, make_user):
    auth.register("max@example.org", display_name="Max Link", finish=False)
    link = auth.sign_up_link("max@example.org")
    page = auth.client.get(link).get_data(as_text=True)
    make_user("max@example.org", display_name="Max Admin")  # e.g. `flask user create-admin`
    assert auth.client.get(link).status_code == 409  # says so, changes nothing
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 1
    r = auth.client.post(link, data={"csrf_token": csrf_from(page)})
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "Cette adresse a déjà un compte" in html and 'href="/auth/login"' in html
    assert 'href="/auth/forgot"' in html
    assert db.session.scalars(select(User.display_name)).all() == ["Max Admin"]
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 0
    assert auth.client.get("/people/me/edit").status_code == 302


def test_the_link_s_button_needs_the_csrf_token(client, auth):
    auth.register("zoe@example.org", finish=False)
    link = auth.sign_up_link("zoe@example.org")
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post(link, data=data)
        assert r.status_code == 422 and "Ce formulaire avait expiré" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert auth.finish_sign_up("zoe@example.org", link).status_code == 302


def test_following_a_link_where_someone_else_is_logged_in_logs_them_out(client, auth, make_user):
    ana = make_user("ana@example.org")
    other_device = AuthActions(client.application.test_client())
    other_device.register("bob@example.org", display_name="Bob", finish=False)
    link = other_device.sign_up_link("bob@example.org")
    auth.login("ana@example.org")
    assert auth.finish_sign_up("bob@example.org", link).status_code == 302
    assert "Bob" in client.get("/people/me/edit").get_data(as_text=True)
    assert db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.user_id == ana.id, LoginSession.revoked_at.is_(None))) == 0


def test_sign_up_mails_to_one_address_are_limited(client, auth, make_user):
    """At most SIGNUP_NOTICE_ADDRESS_LIMIT sign-up mails an hour to one address, links and
    notices alike; past it, the same answer, no mail and no pending sign-up. Links already sent
    still work."""
    answers = [auth.register("flood@example.org", finish=False) for _ in range(4)]
    assert {(a.status_code, a.headers["Location"]) for a in answers} == \
        {(302, "/auth/register/sent")}
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 3
    assert auth.finish_sign_up("flood@example.org").status_code == 302


def test_register_validates_email_and_password_length(client, auth):
    r = auth.register("not-an-email", password="short")
    assert r.status_code == 422
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_login_logout(client, auth, make_user):
    make_user("ana@example.org")
    r = auth.login("ANA@example.org ")
    assert r.status_code == 302
    assert client.get("/people/me/edit").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/people/me/edit").status_code == 302


def test_wrong_password_keeps_the_email(client, auth, make_user):
    make_user("ana@example.org")
    r = auth.login("ana@example.org", "wrong password!")
    assert r.status_code == 422 and 'value="ana@example.org"' in r.get_data(as_text=True)
    assert client.get("/people/me/edit").status_code == 302


def test_logout_needs_post_and_csrf(client, auth, make_user):
    make_user("ana@example.org")
    auth.login("ana@example.org")
    confirm = client.get("/auth/logout")  # a link or a prefetch must not log anyone out
    assert confirm.status_code == 200 and 'method="post"' in confirm.get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/people/me/edit").status_code == 200  # still logged in
    assert auth.logout().status_code == 302
    assert client.get("/people/me/edit").status_code == 302


def test_login_redirect_only_goes_to_this_site(client, auth, make_user):
    make_user("ana@example.org")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post("/auth/login?next=" + target, data={
            "email": "ana@example.org", "password": TEST_PASSWORD, "csrf_token": auth.csrf()})
        assert r.headers["Location"] == "/", target
        auth.logout()
    r = client.post("/auth/login?next=/people/", data={
        "email": "ana@example.org", "password": TEST_PASSWORD, "csrf_token": auth.csrf()})
    assert r.headers["Location"] == "/people/"


def test_session_cookie_flags(client, auth, make_user):
    make_user("ana@example.org")
    r = client.post("/auth/login", data={"email": "ana@example.org", "password": TEST_PASSWORD,
                                         "remember": "y", "csrf_token": auth.csrf()})
    cookies = r.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_change_password(client, auth, make_user):
    make_user("ana@example.org")
    auth.login("ana@example.org")
    token = auth.csrf("/auth/password")
    r = client.post("/auth/password", data={"current_password": "nope", "new_password": "a new long secret",
                                            "confirm": "a new long secret", "csrf_token": token})
    assert r.status_code == 422
    other_device = client.application.test_client()
    AuthActions(other_device).login("ana@example.org")
    assert other_device.get("/people/me/edit").status_code == 200
    r = client.post("/auth/password", data={"current_password": TEST_PASSWORD,
                                            "new_password": "a new long secret",
                                            "confirm": "a new long secret", "csrf_token": token})
    assert r.status_code == 302
    assert client.get("/people/me/edit").status_code == 200  # this device stays logged in
    assert other_device.get("/people/me/edit").status_code == 302  # the other one is out
    auth.logout()
    assert auth.login("ana@example.org", TEST_PASSWORD).status_code == 422
    assert auth.login("ana@example.org", "a new long secret").status_code == 302


def test_a_forged_login_cookie_is_refused(client, make_user):
    user = make_user("ana@example.org")
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # the id alone, without the token
        session["_fresh"] = True
    assert client.get("/people/me/edit").status_code == 302


def test_user_cli_create_admin_and_set_role(runner, app):
    r = runner.invoke(args=["user", "create-admin", "Boss@Example.org", "--password", "long enough pw"])
    assert r.exit_code == 0, r.output
    boss = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert boss.role == "admin" and boss.check_password("long enough pw")
    assert runner.invoke(args=["user", "set-role", "boss@example.org", "organiser"]).exit_code == 0
    db.session.refresh(boss)
    assert boss.role == "organiser"
    assert runner.invoke(args=["user", "set-role", "boss@example.org", "emperor"]).exit_code != 0
    assert runner.invoke(args=["user", "set-role", "nobody@example.org", "admin"]).exit_code != 0
    r = runner.invoke(args=["user", "create-admin", "gen@example.org"])
    assert r.exit_code == 0 and "Password:" in r.output
    r = runner.invoke(args=["user", "create-admin", "weak@example.org", "--password", "short"])
    assert r.exit_code != 0 and "10 characters" in r.output


def test_an_invisible_name_is_refused(client, auth):
    r = auth.register("ghost@example.org", display_name="\u200b\u200b ..")
    assert r.status_code == 422
    assert db.session.scalar(select(func.count(User.id))) == 0
