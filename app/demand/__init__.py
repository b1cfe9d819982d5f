"""Coworking demand: declarations of interest and census campaigns."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.demand import campaigns, views  # noqa: F401
from app.demand.blueprint import bp, campaigns_bp

__all__ = ["bp", "campaigns_bp"]
