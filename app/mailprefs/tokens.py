"""Unsubscribe links: signed (itsdangerous, keyed by SECRET_KEY, its own salt) for one member
and one kind (or one digest: every kind in it), with no expiry (a mail read months later must
still stop that kind); the link is the only proof needed (RFC 8058: the mail program posts to
it without any cookie)."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from models import DIGEST_MODES, MailKind, MailMode
from models.types import ID_MAX

SALT = "maillage-unsubscribe"
TOKEN_MAX_LENGTH = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, kind: MailKind | MailMode) -> str:
    """For a kind, or for a digest (MailMode.DAILY, WEEKLY: every kind the member has in it)."""
    what = f"digest:{kind}" if isinstance(kind, MailMode) else str(kind)
    return _serializer().dumps({"u": user_id, "k": what})


def read_unsubscribe_token(token: str) -> tuple[int, MailKind | MailMode] | None:
    """(user id, kind or digest period) of a valid token; None for anything else (tampered,
    malformed, signed for another purpose)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, kind = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= ID_MAX:
        return None
    if isinstance(kind, str) and kind.startswith("digest:") \
            and kind[7:] in {str(m) for m in DIGEST_MODES}:
        return user_id, MailMode(kind[7:])
    if kind not in {str(k) for k in MailKind}:
        return None
    return user_id, MailKind(kind)
