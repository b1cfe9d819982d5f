"""The tiers-lieux directory: places, pricing plans, followers, future users, governance polls."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.places import polls, views  # noqa: F401
from app.places.blueprint import bp

__all__ = ["bp"]
