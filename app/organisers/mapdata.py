"""What the demand map shows, gathered in one function for every place that draws it: the map
page (`views.demand_map`) and the council report's PDF (`report.py`). Both render the same
drawing, `templates/organisers/_map_svg.html`, from what `map_layers` returns: a layer added
here (and drawn there) reaches the page and the PDF alike."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.organisers.aggregates import per_commune, suppress
from app.organisers.clusters import Result
from app.organisers.data import Filters, Row
from app.organisers.events import UPCOMING_DAYS, upcoming_per_commune
from app.organisers.mapsvg import map_shape, shade_classes
from models import Commune, Place, PlaceStatus


def map_layers(session: Session, rows: list[Row], filters: Filters, result: Result | None,
               selected: str, threshold: int, now: datetime) -> dict:
    """The template context of the map's drawing: outlines, shades (cells under `threshold`
    suppressed), places, the upcoming events per commune, the proposed sites of `result`
    and the selected commune (an INSEE code, or "")."""
    cells = suppress(per_commune(rows), threshold)
    upcoming = upcoming_per_commune(session, now, filters.epci)
    return {
        "shape": map_shape(session),
        "cells": cells,
        "shades": shade_classes({c: v["people"] or 0 for c, v in cells.items()}),
        "places": session.scalars(select(Place).where(Place.status != PlaceStatus.CLOSED)).all(),
        "result": result,
        "sites": [s.commune for s in result.sites] if result else [],
        "commune": session.get(Commune, selected) if selected else None,
        "upcoming": upcoming,
        "upcoming_days": UPCOMING_DAYS,
        # The events list's commune filter, as a label ("Rodez (12000)": no homonym confusion).
        "event_communes": {c.insee: c.label for c in session.scalars(
            select(Commune).where(Commune.insee.in_(list(upcoming))))},
        "threshold": threshold,
    }
