"""JSON API v1."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.api import (  # noqa: F401
    chat,
    demand,
    events,
    moderation,
    networks,
    openapi,
    places,
    search,
    tokens,
    views,
    writes,
)
from app.api.blueprint import bp
from app.api.contract import check_response
from app.api.http import conditional, cors

# Run in reverse order: the answer is checked, then given its ETag, then its CORS headers.
bp.after_request(cors)
bp.after_request(conditional)
bp.after_request(check_response)

__all__ = ["bp"]
