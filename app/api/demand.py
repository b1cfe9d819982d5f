"""JSON for organisers: the demand clusters (403 for everyone else)."""
from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import ORGANISER_READ, contract
from app.organisers.data import current_rows
from app.organisers.params import cluster_params, filters_from_request, run_clusters
from models import db


@bp.route("/demand/clusters")
@contract(response=schemas.DemandClusters, summary="Coworking demand clusters (organisers)",
          scope=ORGANISER_READ, login="organiser",
          query={"k": int, "occupancy": float, "co2": float, "epci": str, "campaign": str, "track": str,
                 "since": str, "until": str},
          tags=("organisers",))
def demand_clusters():
    """`?k=3&occupancy=0.7&co2=0.218&epci=&campaign=&track=&since=&until=`"""
    if not current_user.is_authenticated or not current_user.is_organiser:
        abort(403)
    k, occupancy, co2 = cluster_params()
    result = run_clusters(current_rows(db.session, filters_from_request()), k, occupancy, co2)
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    return {
        "k": k, "occupancy": occupancy, "co2_kg_per_km": co2, "total": result.total,
        "already_covered": result.already_covered, "uncovered": result.uncovered,
        # A site covering fewer than the threshold keeps its place, not its figures.
        "sites": [{"commune": s.commune, "people": s.people, "desk_days_per_week": s.desk_days,
                   "desks_needed": s.desks_needed, "formulas": dict(s.formulas),
                   "budget_median_eur": s.budget_median,
                   "km_avoided_per_week": round(s.km_avoided, 1),
                   "co2_kg_avoided_per_week": round(s.co2_kg_avoided, 1)}
                  if s.people >= threshold else {"commune": s.commune, "people": None}
                  for s in result.sites],
    }
