"""What the organisers' pages and their JSON twin (`app/api/demand.py`) read from the query
string (the filters, the cluster settings), and the cluster run they share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, request
from sqlalchemy import select

from app.demand import labels as L
from app.forms import int_or_none
from app.organisers.clusters import clusters
from app.organisers.data import Filters, geography, open_place_communes
from models import Commune, db

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


@dataclass
class Viability:
    """The viability sheet a query string asks for: its form (the plan, as typed), the sheet
    (None when the form has errors) and the site's name."""

    form: object
    sheet: object
    site_name: str
    plan: object


def plan_from(form):
    """The `viability.Plan` of a validated `forms.ViabilityForm`."""
    from app.organisers.forms import PRICE_FIELDS
    from app.organisers.viability import Plan
    return Plan(rent=form.parsed["rent"], other_costs=form.parsed["other_costs"],
                prices={f: form.parsed[f"price_{f}"] for f in PRICE_FIELDS},
                free_first_month=bool(form.free_first_month.data),
                occupancy=form.parsed["occupancy"])


def viability_for(session, rows, site: str, plan, include_open: bool):
    """The viability sheet of a place at `site` for the people of `rows` it covers (less those
    an open place already covers, unless `include_open`)."""
    from app.organisers.clusters import covers
    from app.organisers.viability import viability
    geo = geography(session)
    open_places = open_place_communes(session)
    covered = [d for d in (r.demand() for r in rows) if covers(geo, d, site)
               and (include_open or not any(covers(geo, d, p) for p in open_places))]
    return viability(covered, plan)


def viability_from_request(rows, args=None) -> Viability:
    """The viability page's and the report's sheet from ?site=&rent=&price_… (or `args`, a
    shared link's saved plan): the people of `rows` a place at the site covers (those an open
    place already covers set aside, unless ?include_open), at the planned prices. Without a
    site: the first of the three sites the clusters propose, with the form's default plan."""
    from app.organisers.forms import ViabilityForm
    args = request.args if args is None else args
    form = ViabilityForm(args if args.get("site") else None)
    names = dict(db.session.execute(select(Commune.insee, Commune.name)).all())
    suggested = [s.commune for s in run_clusters(rows, 3, current_app.config["DESK_OCCUPANCY"],
                                                 current_app.config["CO2_KG_PER_KM"]).sites]
    form.site.choices = [(c, names[c]) for c in suggested] + [
        (c, names[c]) for c in sorted(names, key=lambda c: names[c]) if c not in suggested]
    if not form.site.data or form.site.data not in names:
        form.site.data = suggested[0] if suggested else next(iter(sorted(names)), "")
    sheet = plan = None
    if form.validate():
        plan = plan_from(form)
        sheet = viability_for(db.session, rows, form.site.data, plan,
                              bool(form.include_open.data))
    return Viability(form, sheet, names.get(form.site.data, ""), plan)
