"""Login sessions: one `LoginSession` row (table user_session) per login, named in the session
cookie and the remember-me cookie by a secret whose hash the row keeps.

The Flask-Login id is "user id:account token:login secret". A cookie works while the account
token is the account's (a new password or "log out everywhere" rotates it) and its login session
is not ended (logging out ends it). Sockets carry their login session's id (realtime/presence.py),
so ending a session closes its sockets at the commit (realtime/hooks.py).

These functions never commit: the views do.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import header
from models import LoginSession, User, db
from models.types import utcnow
from models.user import login_secret_hash, parse_cookie_id

USER_AGENT_MAX = 300


def log_in(user: User, remember: bool = False) -> LoginSession:
    """A new login session for this device, and Flask-Login's cookies naming it."""
    secret = secrets.token_urlsafe(24)
    login = LoginSession(user_id=user.id, token_hash=login_secret_hash(secret),
                         user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX])
    db.session.add(login)
    db.session.flush()
    user.login_secret, user.login_session_id = secret, login.id
    login_user(user, remember=remember)
    session["login_id"] = str(login.id)
    return login


def keep_logged_in(user: User) -> None:
    """After the account token changed (a new password): this device's cookies carry the new
    token, in a new login session (the old one ended with the others)."""
    log_in(user, remember=bool(request.cookies.get(
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))))


@cache
def _account_statement(with_header: bool = False) -> Select:
    """Every request of a member runs it: built once (building costs more than running).
    `with_header`: the page's header too (app/header.py), one statement instead of two."""
    user_id = bindparam("user_id")
    return (select(User, LoginSession.id, LoginSession.last_seen_at,
                   *(header.columns(user_id) if with_header else ()))
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(User.id == user_id,
                   LoginSession.token_hash == bindparam("token_hash"),
                   LoginSession.revoked_at.is_(None)))


def load(cookie_id: str) -> User | None:
    """Flask-Login's user loader: the account of a valid, unended login session, with
    `login_session_id` and `login_secret` set; None for anything else."""
    parsed = parse_cookie_id(cookie_id or "")
    if parsed is None:
        return None
    user_id, token, secret = parsed
    with_header = header.read_before_view()
    row = db.session.execute(_account_statement(with_header), {
        "user_id": user_id, "token_hash": login_secret_hash(secret)}).first()
    if row is None:
        return None
    user, login_id, last_seen = row[:3]
    if user.suspended_at is not None or not secrets.compare_digest(user.session_token, token):
        return None
    user.login_secret, user.login_session_id = secret, login_id
    if with_header:
        header.keep(user, *row[3:])
    _seen(login_id, last_seen)
    return user


def _seen(login_id: int, last_seen) -> None:
    """Last seen, written at most every LOGIN_SEEN_SECONDS (not a write per request), on a
    connection of its own: the request's transaction is the view's, and stays so."""
    now = utcnow()
    if last_seen is not None and now - last_seen < timedelta(
            seconds=current_app.config["LOGIN_SEEN_SECONDS"]):
        return
    try:
        with db.engine.begin() as connection:
            connection.execute(update(LoginSession).where(LoginSession.id == login_id)
                               .values(last_seen_at=now))
    except SQLAlchemyError:  # busy: the next request will try again
        current_app.logger.warning("login session %s: last seen not updated", login_id)


def active_sessions(db_session: Session, user: User) -> list[LoginSession]:
    return list(db_session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def end_session(db_session: Session, user: User, login_id: int) -> bool:
    """End one of this person's login sessions (its cookies stop working; its sockets close at
    the commit). False if there is no such active session of theirs."""
    login = db_session.scalar(select(LoginSession).where(
        LoginSession.id == login_id, LoginSession.user_id == user.id,
        LoginSession.revoked_at.is_(None)))
    if login is None:
        return False
    login.revoked_at = utcnow()
    return True


def end_everywhere(user: User) -> None:
    """Every login session of the account ends, this one included."""
    user.sign_out_everywhere()


# -- "Chrome on Android": what the sessions page says of a User-Agent --------------------------

_BROWSERS = [  # first match wins: Edge and Opera also say "Chrome", Chrome also says "Safari"
    (r"Edg(e|A|iOS)?/", "Edge"), (r"OPR/|Opera", "Opera"), (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"), (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
]
_SYSTEMS = [
    (r"Android", "Android"), (r"iPhone|iPod", "iPhone"), (r"iPad", "iPad"),
    (r"CrOS", "ChromeOS"), (r"Windows", "Windows"), (r"Macintosh|Mac OS X", "macOS"),
    (r"Linux|X11", "Linux"),
]


def device_label(user_agent: str) -> str:
    """A person's words for a User-Agent: "Chrome sur Android", "Firefox sur Windows"…"""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent or "")),
                   None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent or "")),
                  None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system
    return _("Unknown device")
