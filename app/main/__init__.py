"""Home page, health check, language switch."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.main import views  # noqa: F401
from app.main.blueprint import bp

__all__ = ["bp"]
