"""Who may do what on a place, and the place a URL names (404 when there is none): shared by
the place pages and the governance polls."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from models import Place, db


def can_edit(place: Place) -> bool:
    """Organisers, and the animators of this place."""
    return current_user.is_authenticated and (
        current_user.is_organiser or any(a.id == current_user.id for a in place.animators))


def place_or_404(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        abort(404)
    return place
