"""What the organisers' pages and their JSON twin (`app/api/demand.py`) read from the query
string (the filters, the cluster settings), and the cluster run they share."""
from __future__ import annotations

from datetime import date

from flask import current_app, request

from app.demand import labels as L
from app.forms import int_or_none
from app.organisers.clusters import clusters
from app.organisers.data import Filters, geography, open_place_communes
from models import db

K_MAX = 20


def _date_arg(args, name: str) -> date | None:
    try:
        return date.fromisoformat(args.get(name, "")[:10])
    except ValueError:
        return None


def filters_from_request(args=None) -> Filters:
    """The filters of the query string (or of `args`, a shared link's saved ones)."""
    args = request.args if args is None else args
    track = args.get("track", "")
    return Filters(epci=args.get("epci", "")[:9],
                   campaign_id=int_or_none(args.get("campaign")),
                   track=track if track in L.TRACK_LABELS else "",
                   since=_date_arg(args, "since"), until=_date_arg(args, "until"))


def float_arg(name: str, default: float, low: float, high: float, args=None) -> float:
    """A number argument ("0,7" too) clamped to [low, high]; the default when it is not one."""
    raw = (request.args if args is None else args).get(name, "").replace(",", ".")
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return min(max(value, low), high) if value == value else default


def cluster_params(args=None) -> tuple[int, float, float]:
    """(k, desk occupancy, CO2 kg per km) from ?k=&occupancy=&co2= (or `args`), within bounds."""
    args = request.args if args is None else args
    k = int_or_none(args.get("k")) or 3
    return (min(max(k, 1), K_MAX),
            float_arg("occupancy", current_app.config["DESK_OCCUPANCY"], 0.1, 1.0, args),
            float_arg("co2", current_app.config["CO2_KG_PER_KM"], 0.0, 1.0, args))


def run_clusters(rows, k: int, occupancy: float, co2: float):
    return clusters([r.demand() for r in rows], geography(db.session), k,
                    open_places=open_place_communes(db.session), occupancy=occupancy,
                    co2_kg_per_km=co2)
