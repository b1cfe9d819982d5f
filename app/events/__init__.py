"""Events: open days, discovery days, trainings, meet-ups, permanences; registrations with a
waiting list; calendar feeds."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.events import feeds, views  # noqa: F401
from app.events.blueprint import bp

__all__ = ["bp"]
