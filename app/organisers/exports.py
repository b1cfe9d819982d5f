"""Demand per commune as CSV rows and GeoJSON, for the organisers' filtered exports and the
public open-data files. Cells under ORGANISER_MIN_CELL are never exported at all."""
from __future__ import annotations

import json

from flask import Response, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csvexport import csv_response
from app.organisers.aggregates import per_commune, suppress
from app.organisers.data import Filters, current_rows
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
