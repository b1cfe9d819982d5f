"""Between people: connections, blocks, suggestions and notifications."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.social import views  # noqa: F401
from app.social.blueprint import bp

__all__ = ["bp"]
