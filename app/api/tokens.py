"""Personal access tokens on API v1: `Authorization: Bearer mlg_…`.

Before each API view: a request with an Authorization header is authenticated by its token
alone (never by a cookie, and CSRF does not apply: app/security.py), a token that is unknown,
revoked, expired or whose member is suspended gets a 401 JSON answer with a translated
`detail`, and the view's scope (its `@contract`) must be one of the token's, else 403. A route
marked `token_only` refuses a request without a token (a cookie does not authenticate it).
Each use with the organiser scope is written to the audit log. Rate-limited per token
(API_TOKEN_RATE_LIMIT)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.api.blueprint import bp
from app.api.contract import ORGANISER_READ
from app.api.contract import of as contract_of
from app.api.token_service import token_hash
from app.extensions import limiter
from app.moderation.audit import audit
from models import AccessToken, db
from models.types import utcnow

SEEN_EVERY = timedelta(minutes=1)  # last use written at most this often (no write per request)


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _refuse(status: int, detail: str, code: str):
    title = _("Please log in") if status == 401 else _("You are not allowed to do this")
    headers = {"WWW-Authenticate": f'Bearer error="{code}"'} if status == 401 else {}
    return {"error": title, "detail": detail, "code": code, "status": status}, status, headers


def _rate_key() -> str:
    return "api-token:" + token_hash(_bearer() or "")[:24]


@bp.before_request
def authenticate():
    declared = contract_of(request.endpoint)
    secret = _bearer()
    if secret is None:
        if declared is not None and declared.token_only:
            return _refuse(401, _("This route needs a personal access token: the header "
                                  "“Authorization: Bearer <token>”."), "token_required")
        return None
    token = db.session.scalar(select(AccessToken).where(
        AccessToken.token_hash == token_hash(secret))) if secret else None
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return _refuse(401, _("This access token is unknown or was revoked."), "invalid_token")
    if token.expires_at is not None and token.expires_at <= now:
        return _refuse(401, _("This access token has expired. Create a new one on your "
                              "settings page."), "invalid_token")
    user = token.user
    if user.suspended_at is not None:
        return _refuse(401, _("This account is suspended."), "invalid_token")
    # From here on the request is the token's member, and only theirs: Flask-Login reads
    # g._login_user first, so the session cookie is never looked at.
    g._login_user = user
    g.api_token = token
    if request.endpoint is None:
        return None  # a 404 or 405 follows
    if declared is None or declared.scope is None:
        return _refuse(403, _("Access tokens cannot use this route."), "not_for_tokens")
    if declared.scope not in token.scope_list:
        return _refuse(403, _("This access token does not have the scope “%(scope)s”.",
                              scope=declared.scope), "insufficient_scope")
    _seen(token, now)
    if declared.scope == ORGANISER_READ:
        audit(db.session, user, "api_token", "token", token.id, label=token.name[:200],
              detail=f"{request.method} {request.path}"[:300])
        db.session.commit()
    return None


def _seen(token: AccessToken, now) -> None:
    """Its last use, on a connection of its own (the view's transaction stays the view's)."""
    if token.last_used_at is not None and now - token.last_used_at < SEEN_EVERY:
        return
    try:
        with db.engine.begin() as connection:
            connection.execute(update(AccessToken).where(AccessToken.id == token.id)
                               .values(last_used_at=now))
    except SQLAlchemyError:  # busy: the next use writes it
        pass


limiter.limit(lambda: current_app.config["API_TOKEN_RATE_LIMIT"], key_func=_rate_key,
              exempt_when=lambda: _bearer() is None)(bp)
