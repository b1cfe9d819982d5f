"""Accounts and profiles."""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, Integer, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import db
from models.skill import Skill, profile_skill
from models.territory import Commune
from models.types import UTCDateTime, str_enum, utcnow

STRONG_PASSWORD_HASH = "scrypt"  # Werkzeug's default: memory-hard, about 0.1 s a hash here


class HashCounter:
    """How many password hashes were computed (made or checked) in this process: the login's
    constant work is tested by counting them, not by timing them."""

    def __init__(self) -> None:
        self.count = 0


HASHES = HashCounter()


def password_hash_method() -> str:
    """The app's PASSWORD_HASH_METHOD (scrypt unless the test suite lowers it: a test checks
    that production keeps the strong default)."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or STRONG_PASSWORD_HASH
    return STRONG_PASSWORD_HASH


def hash_password(password: str) -> str:
    """The one place passwords are hashed, with the configured method (counted in HASHES)."""
    HASHES.count += 1
    return generate_password_hash(password, method=password_hash_method())


def verify_password(stored_hash: str, password: str) -> bool:
    """The one place a password is checked against a hash (counted in HASHES)."""
    HASHES.count += 1
    return check_password_hash(stored_hash, password)


_DUMMY_HASHES: dict[str, str] = {}


def dummy_password_hash() -> str:
    """A hash of a random password made with the configured method (and its parameters): what
    a login for an unknown address is checked against, so that it costs what a real account's
    check costs."""
    method = password_hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


def login_secret_hash(secret: str) -> str:
    """What a login session keeps of the secret in its cookie (a leaked table opens nothing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_cookie_id(cookie_id: str) -> tuple[int, str, str] | None:
    """(user id, account token, login secret) from a Flask-Login id, or None if malformed."""
    parts = cookie_id.split(":") if isinstance(cookie_id, str) else []
    if len(parts) != 3:
        return None
    user_id, token, secret = parts
    if not user_id.isdigit() or len(user_id) > 18 or not 0 < len(token) <= 64 \
            or not 0 < len(secret) <= 64:
        return None
    return int(user_id), token, secret


class Role(enum.StrEnum):
    MEMBER = "member"
    ORGANISER = "organiser"
    ADMIN = "admin"


class ProfileKind(enum.StrEnum):
    INDEPENDENT = "independent"
    COMPANY = "company"
    ASSOCIATION = "association"
    ARTIST = "artist"
    EMPLOYEE = "employee"  # teleworking employee
    PROJECT = "project"  # project holder


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


class DirectMessages(enum.StrEnum):
    """Who may start a direct conversation with someone (their choice, on their profile)."""
    CONNECTIONS = "connections"
    MEMBERS = "members"


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __shown_on_pages__ = ("display_name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(str_enum(Role, 20), default=Role.MEMBER)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Part of the login cookie: changing it (new password) signs out every other device.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by an admin: no login
    # When the owner followed a link mailed to `email` (None: not verified; they still use the
    # site, moderators see "address not verified").
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (app/auth/two_factor.py): the TOTP secret (base32), kept from the setup
    # page; `totp_enabled_at` set once a code confirmed it (None: no second step at login);
    # `totp_last_step` the 30-second step of the last code accepted (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()
    # Bumped in the transaction that changes something only this person's pages show (their
    # connections, blocks, memberships, declaration: models/personal.py); member pages cached
    # per login session key on it (app/pagecache.py).
    personal_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The SHA-256 of the secret in the private link of their calendar of events they are going
    # to (app/events/feeds.py); None: no link. A new link revokes the old one.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    profile: Mapped[Profile] = relationship(back_populates="user", uselist=False,
                                            cascade="all, delete-orphan")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        """Hash (scrypt, see `hash_password`) and sign out every device (the caller logs the
        current one in again)."""
        self.password_hash = hash_password(password)
        self.sign_out_everywhere()

    def sign_out_everywhere(self) -> None:
        """A new account token and every login session ended: every login cookie, remember-me
        cookie and open socket of this account stops working (sockets close at the commit,
        realtime/hooks.py)."""
        self.session_token = secrets.token_hex(16)
        session = object_session(self)
        if session is not None and self.id is not None:
            session.execute(update(LoginSession).where(
                LoginSession.user_id == self.id, LoginSession.revoked_at.is_(None))
                .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))

    # The login session this object was loaded for (set by the user loader, or by
    # app.auth.sessions.log_in): its id, and the secret the cookie holds.
    login_session_id = None
    login_secret = None

    def get_id(self) -> str:
        """What the session and remember-me cookies hold: "id:account token:login secret".
        Without a login session (no log_in) the value is one no loader accepts."""
        return f"{self.id}:{self.session_token}:{self.login_secret or ''}"

    def __eq__(self, other):
        """The same account (Flask-Login's default compares get_id, which names a login)."""
        if isinstance(other, User):
            return self.id is not None and self.id == other.id
        return NotImplemented

    __hash__ = object.__hash__

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @property
    def is_organiser(self) -> bool:
        return self.role in (Role.ORGANISER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class PendingSignup(db.Model):
    """A sign-up waiting for its mailed link (app/auth/signup.py): what the form gave, kept until
    the link is followed (then the account is made from it and every pending sign-up of the
    address goes) or for SIGNUP_MAX_AGE. Not unique per address: each sign-up sends its own
    link, and the first one followed wins. Only a SHA-256 of the link's token is kept (a leaked
    table finishes nobody's sign-up)."""
    __tablename__ = "pending_signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # normalised
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The page's language at sign-up: its mail's, then the account's.
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginSession(db.Model):
    """One login: a device's session cookie (and its remember-me cookie) names it by a secret
    whose hash is kept here. Ending it (log out, "log out everywhere", a new password) ends that
    cookie and the device's sockets."""
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Updated at most every LOGIN_SEEN_SECONDS (app/auth/sessions.py), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Profile(db.Model):
    __tablename__ = "profile"
    __shown_on_pages__ = True
    # The directory filters by one of these, then by visibility, newest first: with these
    # covering indexes its counts and pages are index-only reads.
    __table_args__ = (
        Index("ix_profile_visibility_updated", "visibility", "updated_at"),
        Index("ix_profile_commune_visibility_updated", "commune_insee", "visibility", "updated_at"),
        Index("ix_profile_kind_visibility_updated", "kind", "visibility", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[ProfileKind] = mapped_column(str_enum(ProfileKind, 20),
                                              default=ProfileKind.INDEPENDENT)
    headline: Mapped[str] = mapped_column(String(140), default="")
    bio: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee"))
    offers: Mapped[str] = mapped_column(Text, default="")  # "I can help with"
    needs: Mapped[str] = mapped_column(Text, default="")  # "I am looking for"
    website: Mapped[str] = mapped_column(String(300), default="")
    # The key of the profile picture in the image store (app/images/storage.py); None: initials.
    avatar: Mapped[str | None] = mapped_column(String(40), active_history=True)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility, 10),
                                                   default=Visibility.PUBLIC)
    # Who may start a direct conversation with this person.
    direct_messages: Mapped[DirectMessages] = mapped_column(
        str_enum(DirectMessages, 12), default=DirectMessages.CONNECTIONS,
        server_default=DirectMessages.CONNECTIONS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow, index=True)

    user: Mapped[User] = relationship(back_populates="profile")
    commune: Mapped[Commune | None] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=profile_skill, order_by=Skill.name)

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "display_name": self.user.display_name,
            "kind": self.kind,
            "headline": self.headline,
            "bio": self.bio,
            "commune": self.commune.to_dict() if self.commune else None,
            "skills": [s.name for s in self.skills],
            "offers": self.offers,
            "needs": self.needs,
            "website": self.website,
            "visibility": self.visibility,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


