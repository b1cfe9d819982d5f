"""Open data: the public aggregates anyone may download and reuse (Licence Ouverte 2.0):
the tiers-lieux (CSV and GeoJSON points at the commune's centre) and coworking demand per
commune (CSV and GeoJSON outlines), with the organisers' privacy threshold: a commune with fewer
than ORGANISER_MIN_CELL declarations is left out. No name, no contact, no declaration.

Places imported from a list (app/places/sources.py) carry that list's attribution, as its
licence asks: a column of the CSV, a property of each GeoJSON feature and an `attribution`
member of the collection, and a line of the page."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import select

from app.csvexport import csv_response
from app.organisers.data import Filters
from app.organisers.exports import communes_csv, communes_geojson
from app.places.sources import SOURCES, sources_in_use
from models import Place, db

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


def _places() -> list[Place]:
    return list(db.session.scalars(select(Place).order_by(Place.id)))


def _place_row(place: Place) -> dict:
    prices = [plan.price_cents / 100 for plan in place.plans]
    return {"id": place.id, "name": place.name, "status": place.status,
            "insee": place.commune_insee, "commune": place.commune.name,
            "desks": place.capacity_desks, "free_first_month": place.free_first_month,
            "lowest_price_eur": min(prices) if prices else None,
            "equipment": " ".join(place.equipment or []),
            "kind": place.kind or "", "source": place.source or "",
            "source_id": place.source_id or "",
            "confirmed": place.confirmed_at is not None if place.source else None,
            "attribution": SOURCES[place.source].attribution if place.source in SOURCES else ""}


PLACE_COLUMNS = ["id", "name", "status", "insee", "commune", "desks", "free_first_month",
                 "lowest_price_eur", "equipment", "kind", "source", "source_id", "confirmed",
                 "attribution"]


@bp.route("/")
def index():
    return render_template("opendata/index.html",
                           threshold=current_app.config["ORGANISER_MIN_CELL"],
                           sources=sources_in_use(db.session))


@bp.route("/places.csv")
def places_csv():
    rows = [_place_row(p) for p in _places()]
    return csv_response([PLACE_COLUMNS] + [[row[k] for k in PLACE_COLUMNS] for row in rows],
                        "maillage-tiers-lieux.csv")


@bp.route("/places.geojson")
def places_geojson():
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [p.commune.lon, p.commune.lat]},
                 "properties": _place_row(p)} for p in _places()]
    collection = {"type": "FeatureCollection",
                  "licence": "Licence Ouverte 2.0 (Etalab)",
                  "attribution": [s.attribution for s in sources_in_use(db.session)],
                  "features": features}
    return Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json",
                    headers={"Content-Disposition":
                             'attachment; filename="maillage-tiers-lieux.geojson"'})


@bp.route("/demand-communes.csv")
def demand_csv():
    return communes_csv(db.session, Filters(), "maillage-demande-communes.csv")


@bp.route("/demand-communes.geojson")
def demand_geojson():
    return communes_geojson(db.session, Filters(), "maillage-demande-communes.geojson")
