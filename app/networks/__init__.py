"""Skill and territorial networks: charters, membership, invitations, posts and comments."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.networks import invitations, membership, pages, posts  # noqa: F401
from app.networks.blueprint import bp

__all__ = ["bp"]
