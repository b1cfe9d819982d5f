"""The organisers' pages and exports. Everyone but organisers and admins gets 403, on every
route of this blueprint (one `before_request`), pages and exports alike."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.csvexport import csv_response
from app.demand import labels as L
from app.organisers.aggregates import gaps, overview, per_commune, small, suppress
from app.organisers.blueprint import bp
from app.organisers.data import current_rows, geography, open_place_communes
from app.organisers.events import UPCOMING_DAYS, upcoming_per_commune, usage
from app.organisers.exports import communes_csv, communes_geojson, events_csv
from app.organisers.mapsvg import map_shape, shade_classes
from app.organisers.params import cluster_params, filters_from_request, float_arg, run_clusters
from models import Campaign, Commune, Declaration, DeclarationVersion, Epci, Place, PlaceStatus, db
from models.types import utcnow


@bp.before_request
def require_organiser():
    if not current_user.is_authenticated or not current_user.is_organiser:
        abort(403)


def _choices() -> dict:
    return {"epcis": db.session.scalars(select(Epci).order_by(Epci.name)).all(),
            "campaigns": db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc())).all()}


@bp.route("/")
def index():
    filters = filters_from_request()
    data = overview(current_rows(db.session, filters))
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    # A filter narrow enough to select one or two people would show their answers.
    charts = _charts(data) if data.total >= threshold else []
    return render_template("organisers/index.html", data=data, charts=charts,
                           threshold=threshold, filters=filters, **_choices())


def _charts(data) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(id, title, [(label, people)]) for each chart of the overview."""
    from app.organisers.aggregates import BUDGET_BANDS, DAYS_BANDS
    from app.people.labels import KIND_LABELS

    def labelled(name: str, labels: dict) -> list[tuple[str, int]]:
        return [(str(labels.get(code, code)), n) for code, n in data.by[name].most_common()]

    def banded(name: str, bands) -> list[tuple[str, int]]:
        return [(label, data.by[name][label]) for _, label in bands if data.by[name][label]]

    return [
        ("c-track", _("Questionnaire"), labelled("track", L.TRACK_LABELS)),
        ("c-formula", _("Formula"), labelled("formula", L.FORMULA_LABELS)),
        ("c-days", _("Days per week"), banded("days", DAYS_BANDS)),
        ("c-budget", _("Budget per month"), banded("budget", BUDGET_BANDS)),
        ("c-equipment", _("Equipment"), labelled("equipment", L.EQUIPMENT_LABELS)),
        ("c-services", _("Services"), labelled("services", L.SERVICE_LABELS)),
        ("c-horizon", _("Start"), labelled("horizon", L.HORIZON_LABELS)),
        ("c-kind", _("Who"), labelled("kind", {**KIND_LABELS,
                                              "anonymous": _("Campaign respondent")})),
        ("c-free", _("A free first month would help"),
         labelled("free_first_month", {"yes": _("yes"), "no": _("no")})),
        ("c-governance", _("Would take part in governance"),
         labelled("governance", L.GOVERNANCE_LABELS)),
        ("c-trend", _("New declarations per month"), data.trend),
    ]


@bp.route("/map")
def demand_map():
    filters = filters_from_request()
    rows = current_rows(db.session, filters)
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    cells = suppress(per_commune(rows), threshold)
    k, occupancy, co2 = cluster_params()
    result = run_clusters(rows, k, occupancy, co2) if request.args.get("k") else None
    shape = map_shape(db.session)
    shades = shade_classes({c: v["people"] or 0 for c, v in cells.items()})
    places = db.session.scalars(select(Place).where(Place.status != PlaceStatus.CLOSED)).all()
    selected = request.args.get("commune", "")[:5]
    commune = db.session.get(Commune, selected) if selected else None
    upcoming = upcoming_per_commune(db.session, utcnow(), filters.epci)
    # The events list's commune filter, as a label ("Rodez (12000)": no homonym confusion).
    event_communes = {c.insee: c.label for c in db.session.scalars(
        select(Commune).where(Commune.insee.in_(list(upcoming))))}
    return render_template("organisers/map.html", shape=shape, shades=shades, cells=cells,
                           places=places, result=result, commune=commune, filters=filters,
                           upcoming=upcoming, upcoming_days=UPCOMING_DAYS,
                           event_communes=event_communes,
                           threshold=threshold, k=k, occupancy=occupancy, co2=co2, **_choices())


@bp.route("/clusters")
def cluster_page():
    filters = filters_from_request()
    rows = current_rows(db.session, filters)
    k, occupancy, co2 = cluster_params()
    result = run_clusters(rows, k, occupancy, co2)
    names = dict(db.session.execute(select(Commune.insee, Commune.name)).all())
    map_query = urlencode({**request.args.to_dict(), "k": k})
    return render_template("organisers/clusters.html", result=result, names=names, k=k,
                           threshold=current_app.config["ORGANISER_MIN_CELL"], map_query=map_query,
                           occupancy=occupancy, co2=co2, filters=filters,
                           co2_source=current_app.config["CO2_SOURCE"], **_choices())


@bp.route("/viability")
def viability_page():
    """The viability sheet of a candidate site (GET: nothing is stored; printable)."""
    from app.organisers.clusters import covers
    from app.organisers.forms import PRICE_FIELDS, ViabilityForm
    from app.organisers.viability import Plan, viability
    filters = filters_from_request()
    rows = current_rows(db.session, filters)
    geo = geography(db.session)
    form = ViabilityForm(request.args if request.args.get("site") else None)
    names = dict(db.session.execute(select(Commune.insee, Commune.name)).all())
    suggested = [s.commune for s in run_clusters(rows, 3, current_app.config["DESK_OCCUPANCY"],
                                                 current_app.config["CO2_KG_PER_KM"]).sites]
    form.site.choices = [(c, names[c]) for c in suggested] + [
        (c, names[c]) for c in sorted(names, key=lambda c: names[c]) if c not in suggested]
    if not form.site.data or form.site.data not in names:
        form.site.data = suggested[0] if suggested else next(iter(sorted(names)), "")
    sheet = None
    if form.validate():
        open_places = open_place_communes(db.session)
        site = form.site.data
        demands = [r.demand() for r in rows]
        covered = [d for d in demands if covers(geo, d, site)
                   and (form.include_open.data or not any(covers(geo, d, p) for p in open_places))]
        plan = Plan(rent=form.parsed["rent"], other_costs=form.parsed["other_costs"],
                    prices={f: form.parsed[f"price_{f}"] for f in PRICE_FIELDS},
                    free_first_month=bool(form.free_first_month.data),
                    occupancy=form.parsed["occupancy"])
        sheet = viability(covered, plan)
    return render_template("organisers/viability.html", form=form, sheet=sheet,
                           site_name=names.get(form.site.data, ""), filters=filters,
                           **_choices()), 200 if sheet else 422


@bp.route("/gaps")
def gap_page():
    filters = filters_from_request()
    km = float_arg("km", 15.0, 1.0, 200.0)
    cells = per_commune(current_rows(db.session, filters))
    found = gaps(cells, geography(db.session), open_place_communes(db.session), km)
    communes = {c.insee: c for c in db.session.scalars(select(Commune))}
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    by_epci: dict[str, int] = {}
    for insee, people, _distance in found:
        epci = communes[insee].epci.name if communes[insee].epci else "—"
        by_epci[epci] = by_epci.get(epci, 0) + people
    # Small cells carry no number, and are not ranked among themselves by their size either.
    found = sorted(found, key=lambda t: (t[1] < threshold, -t[1] if t[1] >= threshold else 0,
                                         communes[t[0]].name))
    epcis = sorted(by_epci.items(), key=lambda t: (t[1] < threshold,
                                                   -t[1] if t[1] >= threshold else 0, t[0]))
    # Totals per EPCI count only the communes shown with a number: otherwise an EPCI total
    # minus its communes' figures would give away a small cell.
    shown = {}
    for insee, people, _distance in found:
        if people >= threshold:
            epci = communes[insee].epci.name if communes[insee].epci else "—"
            shown[epci] = shown.get(epci, 0) + people
    return render_template("organisers/gaps.html", found=found, communes=communes, km=km,
                           by_epci=[(name, total, shown.get(name, 0)) for name, total in epcis],
                           threshold=threshold, filters=filters, **_choices())


@bp.route("/events")
def events_page():
    """Events and registrations per place and month beside the declared demand nearby."""
    filters = filters_from_request()
    found = usage(db.session, filters, utcnow())
    firsts = {month: date.fromisoformat(f"{month}-01") for month in found.months}
    return render_template("organisers/events.html", usage=found, firsts=firsts,
                           threshold=current_app.config["ORGANISER_MIN_CELL"], small=small,
                           filters=filters, **_choices())


@bp.route("/export/events.csv")
def export_events_csv():
    return events_csv(db.session, filters_from_request(), utcnow(), "maillage-evenements.csv")


@bp.route("/export/communes.csv")
def export_communes_csv():
    return communes_csv(db.session, filters_from_request(), "maillage-demande-communes.csv")


@bp.route("/export/communes.geojson")
def export_communes_geojson():
    return communes_geojson(db.session, filters_from_request(),
                            "maillage-demande-communes.geojson")


@bp.route("/export/declarations.csv")
def export_declarations_csv():
    """One line per current declaration, at commune level; a name and an email only for those
    who consented to be contacted (campaign respondents) — members are reached on Maillage."""
    v = DeclarationVersion
    query = (select(Declaration, v, Commune.name).join(v, v.declaration_id == Declaration.id)
             .join(Commune, Commune.insee == v.home_commune_insee)
             .where(v.is_current, Declaration.withdrawn_at.is_(None)).order_by(Declaration.id))
    rows = [["commune_insee", "commune", "track", "formula", "days_per_week", "budget_eur_month",
             "horizon", "equipment", "services", "free_first_month", "governance", "declared_at",
             "contact_name", "contact_email"]]
    for declaration, version, commune in db.session.execute(query):
        consented = declaration.contact_consent
        rows.append([version.home_commune_insee, commune, version.track, version.formula,
                     version.days_per_week, version.budget_eur_month, version.horizon,
                     " ".join(version.equipment), " ".join(version.services),
                     "yes" if version.free_first_month else "no", " ".join(version.governance),
                     version.created_at.date().isoformat(),
                     declaration.contact_name if consented else "",
                     declaration.contact_email if consented else ""])
    return csv_response(rows, "maillage-declarations.csv")
