"""Signed links for accounts (itsdangerous, keyed by SECRET_KEY, one salt per purpose).

- Choosing a new password (a mail, or a link an admin hands over by phone): one hour, and
  single-use: the token carries a fingerprint of the current password hash, so it dies as soon
  as the password changes (by this link or otherwise).
- Confirming the address: a week, valid while the account still has that address.
- Confirming a new address: a day, valid while the account still has the old one.

Finishing a sign-up is not a signed link: a random token, of which the `pending_signup` row keeps
only a SHA-256 (`signup_token_hash`); the row is the proof, valid SIGNUP_MAX_AGE, gone once
used."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from models import User
from models.types import ID_MAX

PASSWORD_MAX_AGE = 3600
VERIFY_MAX_AGE = 7 * 24 * 3600
CHANGE_MAX_AGE = 24 * 3600
SIGNUP_MAX_AGE = 48 * 3600
TOKEN_MAX_LENGTH = 600  # longer than any token made here: refused before any work
PASSWORD_VIA = ("mail", "admin")


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"maillage-{purpose}")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(("password:" + user.password_hash).encode()).hexdigest()[:20]


def _load(purpose: str, token: str, max_age: int) -> dict | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # also an expired one (SignatureExpired), a malformed one
        return None
    return data if isinstance(data, dict) else None


def _user(session: Session, data: dict) -> User | None:
    user_id = data.get("u")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= ID_MAX:
        return None
    return session.get(User, user_id)


def _same(stored, given) -> bool:
    return isinstance(given, str) and secrets.compare_digest(stored.encode(), given.encode())


def password_token(user: User, via: str = "mail") -> str:
    return _serializer("password").dumps({"u": user.id, "p": _password_fingerprint(user),
                                          "v": via})


def password_token_user(session: Session, token: str) -> tuple[User, str] | None:
    """(the account, "mail" or "admin") while the link is valid, else None."""
    data = _load("password", token, PASSWORD_MAX_AGE)
    user = _user(session, data) if data else None
    if user is None or not _same(_password_fingerprint(user), data.get("p")) \
            or data.get("v") not in PASSWORD_VIA:
        return None
    return user, data["v"]


def verify_token(user: User) -> str:
    return _serializer("verify").dumps({"u": user.id, "e": user.email})


def verify_token_user(session: Session, token: str) -> User | None:
    data = _load("verify", token, VERIFY_MAX_AGE)
    user = _user(session, data) if data else None
    return user if user is not None and _same(user.email, data.get("e")) else None


def change_token(user: User, new_email: str) -> str:
    return _serializer("change").dumps({"u": user.id, "o": user.email, "n": new_email})


def change_token_user(session: Session, token: str) -> tuple[User, str] | None:
    """(the account, its new address) while the account still has the old one."""
    data = _load("change", token, CHANGE_MAX_AGE)
    user = _user(session, data) if data else None
    new = data.get("n") if data else None
    if user is None or not _same(user.email, data.get("o")) or not isinstance(new, str):
        return None
    return user, new


def new_signup_token() -> tuple[str, str]:
    """(the token for the link, the hash the pending sign-up keeps)."""
    token = secrets.token_urlsafe(32)
    return token, signup_token_hash(token)


def signup_token_hash(token: str) -> str | None:
    """What a pending sign-up keeps of its token; None for what no link of ours holds."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return hashlib.sha256(token.encode()).hexdigest()
