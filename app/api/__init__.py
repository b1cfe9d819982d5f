"""JSON API v1."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.api import chat, demand, moderation, networks, places, search, views  # noqa: F401
from app.api.blueprint import bp

__all__ = ["bp"]
