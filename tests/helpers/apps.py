"""What tests need to configure an app and drive it through its forms: the suite's
configuration, the test password, the CSRF token of a page, logging in and out."""
from __future__ import annotations

import contextvars
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from models import User, db
from tests.helpers import databases

TEST_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def base_config(db_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": databases.database_url(db_path),
        "SEARCH_INDEX_DIR": str(db_path.parent / "search-index"),
        # One PBKDF2 round instead of scrypt: hashing was half the time of a test that makes
        # users (tests/test_passwords.py checks production keeps scrypt).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # Staff log in through the form in many tests: two-factor sign-in is not required here
        # (production requires it of organisers and admins); tests/test_two_factor.py turns it on.
        "STAFF_2FA_REQUIRED": False,
        # Pictures and other uploads beside the test's database, never in the project's instance/.
        "UPLOADS_DIR": str(db_path.parent / "uploads"),
        # PostgreSQL: no "SELECT 1" before each use of a pooled connection (production checks,
        # for a server restarted under it; a test's server is not).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False} if databases.ON_POSTGRES else {},
    }


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production (fresh `g`, its own DB
    session), even though the test itself holds an app context. Afterwards the test's session
    ends its transaction so it sees what the request committed."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.rollback()
        return response


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms (CSRF included)."""

    def __init__(self, client):
        self.client = client

    def csrf(self, url: str = "/auth/login") -> str:
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def login(self, email: str, password: str = TEST_PASSWORD, follow: bool = False):
        return self.client.post("/auth/login", data={
            "email": email, "password": password, "csrf_token": self.csrf()},
            follow_redirects=follow)

    def logout(self):
        return self.client.post("/auth/logout", data={"csrf_token": self.csrf("/")})

    def register(self, email: str, display_name: str = "Camille Fabre",
                 password: str = TEST_PASSWORD, finish: bool = True):
        """The sign-up form; with `finish`, once it is accepted, the link of the mail it queued
        and that page's button: the answer is then the button's (302 to the profile editor,
        logged in). `finish=False` (or a taken address, which gets no link) stops at the form's
        answer (302 to "look in your mailbox")."""
        response = self.client.post("/auth/register", data={
            "email": email, "display_name": display_name, "password": password,
            "csrf_token": self.csrf("/auth/register")})
        if not finish or response.status_code != 302:
            return response
        return self.finish_sign_up(email)

    def sign_up_link(self, email: str) -> str:
        """The path of the last sign-up link queued for this address (the outbox keeps it)."""
        from models import OutboxMessage
        from tests.helpers.signup import link_path
        db.session.rollback()
        text = db.session.scalar(select(OutboxMessage.text).where(
            OutboxMessage.to_address == User.normalise_email(email),
            OutboxMessage.kind == "signup_link").order_by(OutboxMessage.id.desc()).limit(1))
        assert text is not None, f"no sign-up mail to {email}"
        return link_path(text)

    def finish_sign_up(self, email: str, link: str | None = None):
        link = link or self.sign_up_link(email)
        return self.client.post(link, data={"csrf_token": self.csrf(link)})


def login_as(client, user: User) -> None:
    """Log a test client in as this user (through the real form)."""
    AuthActions(client).login(user.email)
