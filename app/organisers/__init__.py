"""The organisers' space: demand overview, offline map, clusters, gaps and exports.
Organisers and admins only: every route of `bp` starts with `require_organiser()`. `shared_bp`
serves the read-only links organisers give to people without an account."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprints.
from app.organisers import prospects, share_views, views  # noqa: F401
from app.organisers.blueprint import bp, shared_bp

__all__ = ["bp", "shared_bp"]
