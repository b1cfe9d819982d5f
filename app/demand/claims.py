"""Campaign answers given in this browser before an account existed, to claim after signing up.

Kept in the session for CLAIM_HOURS only, and forgotten when someone logs in or out: on a
shared computer, the next person must not be offered (and take) someone else's answer. The
claim link shown after answering works from any device, any time.
"""
from __future__ import annotations

import time

from flask import session
from sqlalchemy import select

from models import Declaration, db

CLAIMS_MAX = 5
CLAIM_HOURS = 2


def remember_claim(token: str) -> None:
    kept = [c for c in session.get("claims", []) if isinstance(c, list) and len(c) == 2]
    session["claims"] = ([[token, time.time()]] + kept)[:CLAIMS_MAX]


def forget_claims() -> None:
    session.pop("claims", None)


def pending_claims() -> list[str]:
    """Tokens answered here recently and not claimed yet (the session is tidied)."""
    fresh = [c for c in session.get("claims", []) if isinstance(c, list) and len(c) == 2
             and isinstance(c[1], (int, float)) and time.time() - c[1] < CLAIM_HOURS * 3600]
    tokens = [str(token) for token, _ in fresh]
    open_ = set(db.session.scalars(select(Declaration.claim_token).where(
        Declaration.claim_token.in_(tokens), Declaration.user_id.is_(None)))) if tokens else set()
    kept = [c for c in fresh if c[0] in open_]
    if kept != session.get("claims"):
        session["claims"] = kept
    return [token for token, _ in kept]
