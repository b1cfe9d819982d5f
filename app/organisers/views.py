"""The organisers' pages and exports. Everyone but organisers and admins gets 403, on every
route of this blueprint (one `before_request`), pages and exports alike."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.csvexport import csv_response
from app.organisers.aggregates import gaps, overview, per_commune, small
from app.organisers.blueprint import bp
from app.organisers.charts import charts as chart_list
from app.organisers.data import current_rows, geography, open_place_communes
from app.organisers.events import UPCOMING_DAYS, upcoming_per_commune, usage
from app.organisers.exports import communes_csv, communes_geojson, events_csv
from app.organisers.figures import filter_summary, map_figures
from app.organisers.mapsvg import map_filename, map_legend, map_sites, map_svg, svg_response
from app.organisers.params import cluster_params, filters_from_request, float_arg, run_clusters
from app.templating import _url_with as url_with
from app.templating import datetimeformat
from models import Campaign, Commune, Declaration, DeclarationVersion, Epci, db
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
    charts = chart_list(data) if data.total >= threshold else []
    return render_template("organisers/index.html", data=data, charts=charts,
                           threshold=threshold, filters=filters, **_choices())


def _map_figures(filters, rows, *, standalone: bool = False):
    """The map of these declarations as the page's query string asks (sites when ?k= is there,
    the selected commune, EPCI boundaries), its title and notes."""
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    k, occupancy, co2 = cluster_params()
    upcoming = upcoming_per_commune(db.session, utcnow(), filters.epci)
    # The events list's commune filter, as a label ("Rodez (12000)": no homonym confusion).
    labels = {c.insee: c.label for c in db.session.scalars(
        select(Commune).where(Commune.insee.in_(list(upcoming))))}
    events = {insee: (n, None if standalone else url_for(
        "events.index", commune=labels.get(insee, insee), days=UPCOMING_DAYS))
        for insee, n in upcoming.items() if insee in labels}
    notes = [*filter_summary(db.session, filters),
             _("Figures as of %(date)s", date=datetimeformat(utcnow(), "long"))]
    figures = map_figures(
        db.session, rows, threshold, k=k if request.args.get("k") else None,
        occupancy=occupancy, co2=co2, selected=request.args.get("commune", "")[:5],
        epci_lines=bool(request.args.get("epcis")), epci=filters.epci,
        place_url=None if standalone else (lambda p: url_for("places.show", place_id=p.id)),
        events=events, title=_("Declared demand by home commune"), notes=notes)
    return figures, upcoming, k


@bp.route("/map")
def demand_map():
    filters = filters_from_request()
    figures, upcoming, k = _map_figures(filters, current_rows(db.session, filters))
    content = figures.content
    commune = db.session.get(Commune, content.selected) if content.selected else None
    svg = map_svg(db.session, content, commune_url=lambda insee: url_with(commune=insee) + "#figures")
    query = request.query_string.decode("utf-8", "replace")
    return render_template(
        "organisers/map.html", svg=svg, figures=figures, commune=commune, filters=filters,
        map_title=content.title, notes=content.notes, table_links=True, print_head=True,
        legend_lines=map_legend(db.session, content), site_lines=map_sites(db.session, content),
        svg_url=url_for("organisers.demand_map_svg") + (f"?{query}" if query else ""),
        png_filename=map_filename("png"), upcoming=upcoming, upcoming_days=UPCOMING_DAYS,
        threshold=content.threshold, k=k, epci_lines=content.epci_lines, **_choices())


@bp.route("/map.svg")
def demand_map_svg():
    """The same map as a file: its legend, its sites, the filters and the date inside."""
    filters = filters_from_request()
    figures, _upcoming, _k = _map_figures(filters, current_rows(db.session, filters),
                                          standalone=True)
    return svg_response(map_svg(db.session, figures.content, standalone=True), map_filename("svg"))


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
    from app.organisers.figures import plan_from, viability_for
    from app.organisers.forms import ViabilityForm
    filters = filters_from_request()
    rows = current_rows(db.session, filters)
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
        sheet = viability_for(db.session, rows, form.site.data, plan_from(form),
                              bool(form.include_open.data))
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
