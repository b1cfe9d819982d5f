"""Demand per commune as CSV rows and GeoJSON, for the organisers' filtered exports and the
public open-data files. Cells under ORGANISER_MIN_CELL are never exported at all. And the
events per place and month beside the demand nearby (their small counts of people left empty)."""
from __future__ import annotations

import json
from datetime import datetime

from flask import Response, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csvexport import csv_response
from app.organisers.aggregates import per_commune, small, suppress
from app.organisers.data import Filters, current_rows
from app.organisers.events import usage
from models import Commune


def _cells(session: Session, filters: Filters) -> dict:
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    cells = suppress(per_commune(current_rows(session, filters)), threshold)
    return {insee: cell for insee, cell in cells.items() if cell["people"] is not None}


def communes_csv(session: Session, filters: Filters, filename: str) -> Response:
    cells = _cells(session, filters)
    communes = {c.insee: c for c in session.scalars(select(Commune).where(
        Commune.insee.in_(list(cells))))}
    rows = [["insee", "commune", "epci", "people", "desk_days_per_week", "budget_median_eur"]]
    for insee, cell in sorted(cells.items()):
        c = communes[insee]
        rows.append([insee, c.name, c.epci.name if c.epci else "", cell["people"],
                     round(cell["desk_days"], 1), cell["budget_median"]])
    return csv_response(rows, filename)


def communes_geojson(session: Session, filters: Filters, filename: str) -> Response:
    cells = _cells(session, filters)
    communes = {c.insee: c for c in session.scalars(
        select(Commune).where(Commune.insee.in_(list(cells))))}
    features = [{
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": communes[insee].outline},
        "properties": {"insee": insee, "commune": communes[insee].name, "people": cell["people"],
                       "desk_days_per_week": round(cell["desk_days"], 1),
                       "budget_median_eur": cell["budget_median"]},
    } for insee, cell in sorted(cells.items())]
    return geojson_response(features, filename)


def geojson_response(features: list[dict], filename: str) -> Response:
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def events_csv(session: Session, filters: Filters, now: datetime, filename: str) -> Response:
    """Events, registrations and declared demand nearby per place (or commune) and month, every
    month of the window (zeros included). Counts of people under ORGANISER_MIN_CELL, the
    registrations and the demand, are left empty (0 stays 0: it tells of no one); the events
    are published on their pages, and their counts are kept whole."""
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    found = usage(session, filters, now)
    rows = [["place_id", "place", "place_status", "commune_insee", "commune", "epci", "month",
             "events", "registrations", "demand_nearby"]]
    for use in found.uses:
        place, commune = use.place, use.commune
        demand = small(use.demand, threshold)
        for month in found.months:
            counts = use.months.get(month)
            registrations = small(counts.registrations, threshold) if counts else 0
            rows.append([place.id if place else "", place.name if place else "",
                         str(place.status) if place else "", commune.insee, commune.name,
                         commune.epci.name if commune.epci else "", month,
                         counts.events if counts else 0,
                         "" if registrations is None else registrations,
                         "" if demand is None else demand])
    return csv_response(rows, filename)
