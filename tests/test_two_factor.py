"""Two-factor sign-in (issue 20): TOTP from an authenticator app, with single-use recovery
codes; required of organisers and admins when STAFF_2FA_REQUIRED. Real forms, real pyotp codes
computed from the secret the database keeps."""
from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from models import LoginSession, RecoveryCode, User, db
from tests.helpers.apps import TEST_PASSWORD, base_config, csrf_from
from tests.helpers.staff import post_form, totp_now

CODE_RE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.fixture
def app_config(db_path):
    return {**base_config(db_path), "STAFF_2FA_REQUIRED": True,
            "LOGIN_RATE_LIMIT": "1000 per minute"}  # many logins from one test address


def password_step(client, user, next_url: str | None = None):
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": user.email, "password": TEST_PASSWORD,
                                  "csrf_token": csrf_from(client.get("/auth/login").get_data(
                                      as_text=True))})


def set_up(client, user) -> list[str]:
    """Set two-factor sign-in up from the account page: scan (the secret), confirm a code."""
    page = client.get("/auth/two-factor/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "<label" in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # made here, no host
    done = client.post("/auth/two-factor/setup", data={"code": totp_now(user),
                                                       "csrf_token": csrf_from(html)})
    assert done.status_code == 200
    codes = CODE_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    return codes


def log_out(client):
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/").get_data(
        as_text=True))})


def test_staff_without_two_factor_cannot_reach_staff_pages(app, make_user):
    olga = make_user(display_name="Olga", role="organiser")
    client = app.test_client()
    assert password_step(client, olga).status_code == 302  # no 2FA yet: logged in
    for url in ("/organisers/", "/moderation/", "/moderation/audit"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/two-factor/setup")
    api = client.get("/api/v1/moderation/reports")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "two_factor_required"
    admin = make_user(display_name="Adèle", role="admin")
    admin_client = app.test_client()
    password_step(admin_client, admin)
    assert admin_client.get("/admin/mail").headers["Location"].startswith(
        "/auth/two-factor/setup")
    # A member is not concerned; turned off, staff pass as before.
    app.config["STAFF_2FA_REQUIRED"] = False
    assert client.get("/moderation/").status_code == 200


def test_setup_then_login_needs_the_second_factor(app, make_user):
    olga = make_user(display_name="Olga", role="organiser")
    client = app.test_client()
    password_step(client, olga)
    # A wrong code: a clear French error, the QR code again, nothing turned on.
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    wrong = client.post("/auth/two-factor/setup", data={"code": "000000" if totp_now(olga) !=
                                                        "000000" else "111111",
                                                        "csrf_token": csrf_from(page)})
    assert wrong.status_code == 422 and "Ce code n’est pas celui" in wrong.get_data(as_text=True)
    db.session.refresh(olga)
    assert olga.totp_enabled_at is None
    codes = set_up(client, olga)
    assert client.get("/moderation/").status_code == 200
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and not any(c in h for h in hashes for c in codes)  # hashed
    log_out(client)
    # The password alone: no login session, the staff pages stay shut.
    sessions_before = db.session.scalar(select(func.count()).select_from(LoginSession))
    first = password_step(client, olga, "/moderation/")
    assert first.status_code == 302 and first.headers["Location"] == "/auth/two-factor"
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == sessions_before
    assert client.get("/moderation/").headers["Location"].startswith("/auth/login")
    assert client.get("/organisers/").status_code == 403  # its answer to anyone logged out
    # A wrong code: translated, 422, still not in.
    form = client.get("/auth/two-factor").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in form and "<main" in form
    bad = client.post("/auth/two-factor", data={"code": "12", "csrf_token": csrf_from(form)})
    assert bad.status_code == 422 and "Ce code n’est pas le bon" in bad.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302
    # The right code from the app: in, and sent where they were going.
    good = client.post("/auth/two-factor", data={"code": totp_now(olga),
                                                 "csrf_token": csrf_from(form)})
    assert good.status_code == 302 and good.headers["Location"] == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    assert client.get("/organisers/").status_code == 200


def verified(user):
    """A member turns two-step login on once their address is confirmed."""
    from models.types import utcnow
    user.email_verified_at = utcnow()
    db.session.commit()
    return user


def test_an_unconfirmed_address_cannot_turn_it_on(app, make_user):
    """Otherwise whoever signed up with another person's address could lock its owner out."""
    user = make_user(display_name="Inès")
    client = app.test_client()
    password_step(client, user)
    answer = client.get("/auth/two-factor/setup")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/people/me")
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None
    profile = client.get(client.get("/people/me").headers["Location"])
    assert "Confirmez d’abord votre adresse" in profile.get_data(as_text=True)


def test_a_code_works_once_and_recovery_codes_once_each(app, make_user):
    user = verified(make_user(display_name="Mina"))
    client = app.test_client()
    password_step(client, user)
    codes = set_up(client, user)
    log_out(client)
    # The code that confirmed the setup cannot log in again (same 30-second step).
    db.session.refresh(user)
    used_step = user.totp_last_step
    password_step(client, user)
    form = client.get("/auth/two-factor").get_data(as_text=True)
    same = pyotp.TOTP(user.totp_secret).at(used_step * 30)
    assert client.post("/auth/two-factor", data={"code": same, "csrf_token": csrf_from(
        form)}).status_code == 422
    # A recovery code, typed loosely (capitals, spaces): in.
    loose = " " + codes[0].upper().replace("-", " ") + " "
    assert client.post("/auth/two-factor", data={"code": loose, "csrf_token": csrf_from(
        form)}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.used_at.is_not(None))) == 1
    log_out(client)
    # The same recovery code again: refused; another one: in.
    password_step(client, user)
    form = client.get("/auth/two-factor").get_data(as_text=True)
    again = client.post("/auth/two-factor", data={"code": codes[0], "csrf_token": csrf_from(
        form)})
    assert again.status_code == 422 and "déjà été utilisé" in again.get_data(as_text=True)
    assert client.post("/auth/two-factor", data={"code": codes[1], "csrf_token": csrf_from(
        form)}).status_code == 302
    status = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "8 codes de secours" in status


def test_the_code_step_is_rate_limited_and_never_a_500(app, make_user):
    user = verified(make_user(display_name="Noé"))
    client = app.test_client()
    password_step(client, user)
    set_up(client, user)
    log_out(client)
    password_step(client, user)
    form = client.get("/auth/two-factor").get_data(as_text=True)
    token = csrf_from(form)
    answers = [client.post("/auth/two-factor", data={"code": code, "csrf_token": token})
               for code in ("abc", "9" * 40, "", "\x00", "1234567", "000 000", "x", "y", "z")]
    assert all(a.status_code in (422, 429) for a in answers)
    assert answers[-1].status_code == 429
    assert "Trop de codes essayés" in answers[-1].get_data(as_text=True)
    # Without CSRF: refused with the form, never a 500.
    assert client.post("/auth/two-factor", data={"code": "123456"}).status_code == 422
    # Without a pending password step: back to the login page.
    assert app.test_client().get("/auth/two-factor").headers["Location"].startswith(
        "/auth/login")


def test_a_password_reset_does_not_skip_the_second_factor(app, make_user):
    from app.auth.tokens import password_token
    user = verified(make_user(display_name="Lou"))
    client = app.test_client()
    password_step(client, user)
    set_up(client, user)
    log_out(client)
    db.session.refresh(user)
    url = f"/auth/reset/{password_token(user)}"
    reset = post_form(client, url, {"new_password": "un nouveau mot de passe",
                                    "confirm": "un nouveau mot de passe"})
    assert reset.status_code == 302 and reset.headers["Location"] == "/auth/two-factor"
    assert client.get("/people/me/edit").status_code == 302  # not logged in yet
    form = client.get("/auth/two-factor").get_data(as_text=True)
    assert client.post("/auth/two-factor", data={"code": totp_now(user), "csrf_token": csrf_from(
        form)}).status_code == 302
    assert client.get("/people/me/edit").status_code == 200


def test_one_code_checked_by_two_requests_at_once_works_once(app, make_user):
    """Both requests loaded the account before either used the code: the second finds the
    code's step taken in the database, not in its stale copy."""
    import pyotp
    from sqlalchemy.orm import Session

    from app.auth import two_factor
    user = make_user(display_name="Jo")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    with Session(db.engine) as first, Session(db.engine) as second:
        mine, theirs = first.get(User, user.id), second.get(User, user.id)
        assert mine.totp_last_step is None and theirs.totp_last_step is None
        assert two_factor.check_totp(mine, code)
        first.commit()
        assert not two_factor.check_totp(theirs, code)
        second.rollback()
