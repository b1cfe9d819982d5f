"""Canonical skills: the seed list, merging and renaming (organisers), the skills API."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.skills import views  # noqa: F401
from app.skills.blueprint import bp

__all__ = ["bp"]
