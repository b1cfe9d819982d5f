"""Open data: the public aggregates anyone may download and reuse (Licence Ouverte 2.0):
the tiers-lieux (CSV and GeoJSON points at the commune's centre) and coworking demand per
commune (CSV and GeoJSON outlines), with the organisers' privacy threshold: a commune with fewer
than ORGANISER_MIN_CELL declarations is left out. No name, no contact, no declaration."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from app.csvexport import csv_response
from app.organisers.data import Filters
from app.organisers.exports import communes_csv, communes_geojson, geojson_response
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
            "equipment": " ".join(place.equipment or [])}


@bp.route("/")
def index():
    return render_template("opendata/index.html",
                           threshold=current_app.config["ORGANISER_MIN_CELL"])


@bp.route("/places.csv")
def places_csv():
    rows = [_place_row(p) for p in _places()]
    header = ["id", "name", "status", "insee", "commune", "desks", "free_first_month",
              "lowest_price_eur", "equipment"]
    return csv_response([header] + [[row[k] for k in header] for row in rows],
                        "maillage-tiers-lieux.csv")


@bp.route("/places.geojson")
def places_geojson():
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [p.commune.lon, p.commune.lat]},
                 "properties": _place_row(p)} for p in _places()]
    return geojson_response(features, "maillage-tiers-lieux.geojson")


@bp.route("/demand-communes.csv")
def demand_csv():
    return communes_csv(db.session, Filters(), "maillage-demande-communes.csv")


@bp.route("/demand-communes.geojson")
def demand_geojson():
    return communes_geojson(db.session, Filters(), "maillage-demande-communes.geojson")
