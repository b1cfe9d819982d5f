"""The organisers' space: demand overview, offline map, clusters, gaps and exports.
Organisers and admins only: every route starts with `require_organiser()`."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.organisers import prospects, views  # noqa: F401
from app.organisers.blueprint import bp

__all__ = ["bp"]
