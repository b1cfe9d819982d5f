"""The census in the field (issue 24): a campaign's frame, its target sample, outreach, the
do-not-contact list, letters and flyers with a QR code. See docs/architecture.md."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprints.
from app.census import (  # noqa: F401
    draw_views,
    field_views,
    frame_views,
    links,
    print_views,
    progress_views,
    suppression_views,
    views,
)
from app.census.blueprint import bp, links_bp

__all__ = ["bp", "links_bp"]
