"""People: profiles, the profile editor and the directory."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.people import mydata, views  # noqa: F401
from app.people.blueprint import bp

__all__ = ["bp"]
