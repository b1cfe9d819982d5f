import pytest
from sqlalchemy import func, select

from models import User, db
from tests.conftest import TEST_PASSWORD, AuthActions


@pytest.mark.strong_passwords
def test_register_logs_in_and_leads_to_the_profile_editor(client, auth):
    r = auth.register("Camille@Example.org", display_name="  Camille   Fabre ")
    assert r.status_code == 302 and r.headers["Location"].endswith("/people/me/edit")
    user = db.session.scalar(select(User).where(User.email == "camille@example.org"))
    assert user.display_name == "Camille Fabre" and user.role == "member"
    assert user.password_hash.startswith(("scrypt:", "argon2")) and TEST_PASSWORD not in user.password_hash
    assert client.get("/people/me/edit").status_code == 200


def test_a_taken_address_is_answered_like_a_new_one_and_creates_nothing(app, client, auth,
                                                                          make_user):
    """Sign-up does not say which addresses have an account (issue 20): the same redirect and
    message as a new address; nothing is created and nobody is logged in. (The account owner's
    notice is tested in tests/test_security_hardening.py.)"""
    make_user("taken@example.org")
    r = auth.register("TAKEN@example.org", display_name="Dominique Vidal")
    assert r.status_code == 302 and r.headers["Location"].endswith("/people/me/edit")
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(User.display_name)) == "Alex Martin"
    assert client.get("/people/me/edit").status_code == 302  # not logged in
    page = client.get("/auth/login").get_data(as_text=True)
    assert "utilise déjà" not in page and "Bienvenue" in page


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
