"""Whose saved search a URL names: the member's own, else 404 (never telling that it exists)."""
from __future__ import annotations

from flask import abort
from sqlalchemy.orm import Session

from models import SavedSearch


def own_search_or_404(session: Session, search_id: int, user_id: int) -> SavedSearch:
    found = session.get(SavedSearch, search_id)
    if found is None or found.user_id != user_id:
        abort(404)
    return found
