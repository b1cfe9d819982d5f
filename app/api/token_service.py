"""Personal access tokens: made (the secret shown once, only its SHA-256 kept) and revoked.
Plain functions over a session: the caller commits."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app.api.contract import ORGANISER_READ, SCOPES
from models import AccessToken, User
from models.types import utcnow

TOKEN_PREFIX = "mlg_"


def token_hash(secret: str) -> str:
    # A token is 32 random bytes: a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def create_token(session, user: User, name: str, scopes: list[str],
                 expires_in_days: int | None) -> tuple[AccessToken, str]:
    """A new token and its secret. The organiser scope only for organisers."""
    scopes = [s for s in SCOPES if s in scopes and (s != ORGANISER_READ or user.is_organiser)]
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(user_id=user.id, name=name.strip()[:80], prefix=secret[:12],
                        token_hash=token_hash(secret), scopes=" ".join(scopes),
                        expires_at=utcnow() + timedelta(days=expires_in_days)
                        if expires_in_days else None)
    session.add(token)
    session.flush()
    return token, secret


def revoke_token(session, user: User, token_id: int) -> bool:
    """Revoke one of `user`'s tokens; False when it is not theirs or already revoked."""
    token = session.get(AccessToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True
