"""The organisers' pages and exports. Everyone but organisers and admins gets 403, on every
route of this blueprint (one `before_request`), pages and exports alike."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.csvexport import csv_response
from app.organisers.aggregates import overview, small
from app.organisers.blueprint import bp
from app.organisers.charts import charts as chart_list
from app.organisers.data import current_rows
from app.organisers.events import UPCOMING_DAYS, usage
from app.organisers.exports import communes_csv, communes_geojson, events_csv
from app.organisers.figures import map_events, map_figures, map_notes
from app.organisers.mapsvg import map_filename, map_legend, map_sites, map_svg, svg_response
from app.organisers.params import (
    cluster_params,
    filters_from_request,
    float_arg,
    run_clusters,
    viability_from_request,
)
from app.organisers.report import GAP_KM, council, report_filename, report_html, report_pdf
from app.organisers.spreadsheets import french_csv_response, xlsx_response
from app.organisers.tables import (
    assumptions_table,
    communes_table,
    declarations_table,
    display_value,
    events_table,
    filter_labels,
    gap_lists,
    paris_today,
)
from app.organisers.viability import without_small_cells
from app.templating import _url_with as url_with
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
    k, occupancy, co2 = cluster_params()
    now = utcnow()
    upcoming, events = map_events(db.session, now, filters.epci, links=not standalone)
    figures = map_figures(
        db.session, rows, current_app.config["ORGANISER_MIN_CELL"],
        k=k if request.args.get("k") else None, occupancy=occupancy, co2=co2,
        selected=request.args.get("commune", "")[:5], epci_lines=bool(request.args.get("epcis")),
        epci=filters.epci,
        place_url=None if standalone else (lambda p: url_for("places.show", place_id=p.id)),
        events=events, title=_("Declared demand by home commune"),
        notes=map_notes(db.session, filters, now))
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
    """The viability sheet of a candidate site (GET: nothing is stored; printable, with its
    assumptions, date and filters). Its figures follow the small-cell rule as the shared view
    and the report do (`viability.without_small_cells`)."""
    filters = filters_from_request()
    found = viability_from_request(current_rows(db.session, filters))
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    return render_template("organisers/viability.html", form=found.form, sheet=found.sheet,
                           shown=without_small_cells(found.sheet, threshold) if found.sheet
                           else None, site_name=found.site_name, filters=filters,
                           assumptions=assumptions_table(found, threshold) if found.sheet
                           else None, display=display_value, today=paris_today(utcnow()),
                           filter_labels=filter_labels(db.session, filters),
                           organisation=current_app.config["ORGANISATION_NAME"],
                           threshold=threshold, small=small, **_choices()), \
        200 if found.sheet else 422


@bp.route("/gaps")
def gap_page():
    filters = filters_from_request()
    km = float_arg("km", GAP_KM, 1.0, 200.0)
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    found = gap_lists(db.session, current_rows(db.session, filters), km, threshold)
    return render_template("organisers/gaps.html", found=found.communes, communes=found.names,
                           km=km, by_epci=found.epcis, threshold=threshold, filters=filters,
                           **_choices())


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


# --- the report to take to the council, and the exports people open ---------------------------

@bp.route("/report.pdf")
def report_pdf_view():
    """The council report (app/organisers/report.py) for the filters, sites and plan of the
    query string; a plan with errors goes back to the viability page, which shows them."""
    filters = filters_from_request()
    found = council(db.session, filters, utcnow())
    if found.viability.sheet is None:
        return redirect(url_for("organisers.viability_page", **request.args.to_dict()))
    pdf = report_pdf(report_html(db.session, found), request.host_url)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{report_filename(found.now)}"'})


@bp.route("/export/tables.xlsx")
def export_tables_xlsx():
    """The report's tables (and the events), one sheet each."""
    found = council(db.session, filters_from_request(), utcnow(), events=True)
    organisation = current_app.config["ORGANISATION_NAME"]
    return xlsx_response(list(found.tables.values()), "maillage-tableaux.xlsx",
                         _("Where to open a coworking place: report for the council"),
                         organisation)


@bp.route("/export/declarations.xlsx")
def export_declarations_xlsx():
    return xlsx_response([declarations_table(db.session)], "maillage-declarations.xlsx",
                         _("Declarations"), current_app.config["ORGANISATION_NAME"])


@bp.route("/export/communes-fr.csv")
def export_communes_csv_fr():
    rows = current_rows(db.session, filters_from_request())
    return french_csv_response(communes_table(db.session, rows,
                                              current_app.config["ORGANISER_MIN_CELL"]),
                               "maillage-demande-communes-fr.csv")


@bp.route("/export/events-fr.csv")
def export_events_csv_fr():
    found = usage(db.session, filters_from_request(), utcnow())
    return french_csv_response(events_table(found, current_app.config["ORGANISER_MIN_CELL"]),
                               "maillage-evenements-fr.csv")


@bp.route("/export/declarations-fr.csv")
def export_declarations_csv_fr():
    return french_csv_response(declarations_table(db.session), "maillage-declarations-fr.csv")
