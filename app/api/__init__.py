"""JSON API v1."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.api import (  # noqa: F401
    chat,
    demand,
    events,
    moderation,
    networks,
    places,
    search,
    views,
)
from app.api.blueprint import bp

__all__ = ["bp"]
