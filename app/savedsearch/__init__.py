"""Saved searches ("Me prévenir" on a people search) and their alerts: `service.py` (saving,
editing, limits), `alerts.py` (profiles new or edited since the last look, matched against
every saved search, told by a notification and the member's daily digest), `access.py`,
`views.py` (/searches/)."""
from __future__ import annotations

from app.savedsearch import views  # noqa: F401  (routes)
from app.savedsearch.blueprint import bp

__all__ = ["bp"]
