"""Two-factor sign-in: a TOTP authenticator app (RFC 6238, 30-second codes of 6 digits) and 10
single-use recovery codes, kept as SHA-256 hashes (README, Security).

- Setting up (`/auth/two-factor/setup`): a secret is made and kept on the account, shown as a
  QR code made here (segno, inline SVG: nothing from another host) and as text; a code from the
  app confirms it (`totp_enabled_at`), the recovery codes are shown once, and every other login
  session ends (one made with the password alone must not outlive the second factor).
- Logging in: the password's success is kept in the session (`PENDING`, with the account token,
  for TWO_FACTOR_PENDING_SECONDS); the login session is made by `sessions.log_in` only after a
  correct code (`finish`). A code is accepted once (`totp_last_step`), a recovery code once.
- Staff: with STAFF_2FA_REQUIRED, an organiser or admin without it set up reaches no staff page
  (`/organisers/`, `/moderation/`, `/admin/`, the moderation API) until it is (`staff_blocked`).

Plain functions; the views commit.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app, redirect, session, url_for
from markupsafe import Markup
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from app.auth import sessions
from app.auth.redirects import safe_next
from models import RecoveryCode, User
from models.types import utcnow

ISSUER = "Maillage"
PENDING = "two_factor_pending"
RECOVERY_CODES = 10
STEP = 30
# What an organiser or admin without two-factor sign-in cannot reach when it is required.
STAFF_BLUEPRINTS = ("organisers", "moderation", "admin", "census")
STAFF_API_PREFIXES = ("/api/v1/moderation", "/api/v1/organisers", "/api/v1/admin")


def enabled(user) -> bool:
    return getattr(user, "totp_enabled_at", None) is not None


def staff_blocked(user) -> bool:
    """An organiser or admin who must set up two-factor sign-in before any staff page."""
    return bool(current_app.config.get("STAFF_2FA_REQUIRED")) \
        and getattr(user, "is_authenticated", False) and user.is_organiser and not enabled(user)


# -- setting up -------------------------------------------------------------------------------

def start_setup(user: User) -> str:
    """The secret being set up (made once, kept until confirmed)."""
    if not user.totp_secret or enabled(user):
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def qr_svg(user: User) -> Markup:
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    import segno  # here: importing it took a twentieth of a process's start
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ',
                              1))


def grouped(secret: str) -> str:
    """The secret as one types it: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_setup(session_: Session, user: User, code: str) -> list[str] | None:
    """The recovery codes (to show once) if `code` is the app's current one; None otherwise."""
    if not user.totp_secret or not check_totp(user, code):
        return None
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(session_, user)


def disable(session_: Session, user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    for row in session_.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session_.delete(row)


# -- codes ------------------------------------------------------------------------------------

def _digits(code) -> str:
    return "".join(ch for ch in str(code or "") if not ch.isspace())


def check_totp(user: User, code) -> bool:
    """The app's code for now (or the step before or after, for a slow clock), used once."""
    code = _digits(code)
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = int(time.time()) // STEP
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP), code) and step > (user.totp_last_step or -1):
            return _take_step(user, step)
    return False


def _take_step(user: User, step: int) -> bool:
    """Mark this code's step used, in the database and only if no other request did first (two
    requests with one code at once: the second finds the step taken once the first's row lock
    or SQLite's write lock is released). The caller commits."""
    session_ = object_session(user)
    if session_ is None or user.id is None:
        user.totp_last_step = step
        return True
    taken = session_.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _recovery_hash(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes(session_: Session, user: User) -> list[str]:
    """Ten new codes ("abcd-efgh"), replacing the old ones; only their hashes are kept."""
    for row in session_.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session_.delete(row)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
        session_.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    return codes


def use_recovery_code(session_: Session, user: User, code) -> bool:
    code = str(code or "")
    if not 8 <= len(code) <= 20:
        return False
    row = session_.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
        RecoveryCode.used_at.is_(None)).with_for_update())
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def recovery_codes_left(session_: Session, user: User) -> int:
    return len(list(session_.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))))


# -- the second step of a login ---------------------------------------------------------------

def begin(user: User, remember: bool, next_url: str | None) -> None:
    """The password was right: remember it for a few minutes, in this browser's session only."""
    session[PENDING] = {"uid": user.id, "token": user.session_token, "remember": bool(remember),
                        "at": int(time.time()), "next": next_url}


def pending(session_: Session) -> tuple[User, dict] | None:
    """The account waiting for its second factor, or None (none, expired, or its password
    changed or the account was suspended meanwhile)."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    if time.time() - state.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user = session_.get(User, state.get("uid"))
    if user is None or user.suspended_at is not None or not enabled(user) \
            or not secrets.compare_digest(user.session_token, str(state.get("token"))):
        session.pop(PENDING, None)
        return None
    return user, state


def second_factor(session_: Session, user: User, code) -> bool:
    """A code from the app, or an unused recovery code."""
    return check_totp(user, code) or use_recovery_code(session_, user, code)


def login_or_second_step(user: User, remember: bool):
    """Where a right password leads: the second step (a redirect) for an account with
    two-factor sign-in, else a login session at once and None (the caller commits and goes on).
    `sessions.log_in` is never called before the second factor."""
    if enabled(user):
        begin(user, remember, safe_next(url_for("main.home")))
        return redirect(url_for("auth.two_factor_login"))
    sessions.log_in(user, remember=remember)
    return None
