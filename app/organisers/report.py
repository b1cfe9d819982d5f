"""The report to take to the council: one PDF (A4, French first) holding the organisation's
name, the filters and the date, the demand overview, the map, the proposed sites, the viability
sheet with every assumption and the price-rise scenarios, the gaps, the methodology and the
sources, and the small-cell rule, which every figure in it follows.

`council` gathers the figures (as `tables.py` tables: the XLSX workbook is made of the same
ones), `report_html` lays them out (templates/organisers/report.html, its print CSS in
report.css), `report_pdf` turns that into a PDF with WeasyPrint. The map is the map page's own
drawing, `mapsvg.map_svg` over `figures.map_figures`, standalone: its style, title, filters,
legend, numbered sites and sources inside the SVG (WeasyPrint styles an inline SVG from its own
<style> only).

The organisers ask for it at /organisers/report.pdf (the query string's filters and settings);
a shared read-only link (`share_views.report`) gives it for the link's saved filters, sites and
plan. Either way every figure follows the small-cell rule of `tables.py`.

WeasyPrint fetches nothing: the stylesheets are inlined, and its URL fetcher refuses every URL
(a name typed by a member could otherwise make the server fetch an address)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.organisers.aggregates import overview
from app.organisers.clusters import Result
from app.organisers.data import Filters, Row, current_rows
from app.organisers.events import usage
from app.organisers.figures import map_events, map_figures, map_notes
from app.organisers.mapsvg import map_svg
from app.organisers.params import (
    Viability,
    cluster_params,
    float_arg,
    run_clusters,
    viability_from_request,
)
from app.organisers.tables import (
    DECIMAL,
    INT,
    RATIO,
    Hidden,
    Table,
    assumptions_table,
    communes_table,
    display_value,
    events_table,
    filter_labels,
    filters_table,
    gap_lists,
    gap_tables,
    overview_table,
    paris_today,
    scenarios_table,
    sites_table,
    viability_table,
)
from models import Commune

# WeasyPrint warns about every CSS property of the site's stylesheet it does not know
# (transitions, ::details-content...): not news for a server log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
GAP_KM = 15.0  # the gaps page's default distance


@dataclass
class Council:
    """Everything the report shows, small cells already suppressed."""

    filters: Filters
    now: datetime
    rows: list[Row]
    k: int
    occupancy: float
    co2: float
    km: float
    result: Result
    viability: Viability | None  # None: no viability sheet asked for (a shared link without)
    tables: dict[str, Table]
    epci_lines: bool = False  # the map shows the EPCI boundaries
    map_events: bool = True  # the map shows the events layer (as the organisers' map does)


def council(session: Session, filters: Filters, now: datetime, *, args=None,
            k: int | None = None, sheet: bool = True, map_events: bool = True,
            events: bool = False) -> Council:
    """The report's figures for the request's settings (?k=&occupancy=&co2=&km=&epcis= and the
    viability sheet's ?site=&rent=&price_…), or `args`'s (a shared link's saved ones). `k`:
    the number of sites, when not the query string's (a shared link's, 0 for none); `sheet`:
    False for no viability sheet; `map_events`: the map's events layer; `events`: add the
    events table (the workbook has it; the PDF does not)."""
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    args = request.args if args is None else args
    rows = current_rows(session, filters)
    asked_k, occupancy, co2 = cluster_params(args)
    k = asked_k if k is None else k
    km = float_arg("km", GAP_KM, 1.0, 200.0, args)
    result = run_clusters(rows, k, occupancy, co2)
    found = viability_from_request(rows, args) if sheet else None
    names = dict(session.execute(select(Commune.insee, Commune.name)).all())
    settings = [(_("Number of sites (K)"), k, INT), (_("Desk occupancy"), occupancy, RATIO),
                (_("kg CO2 per km"), co2, DECIMAL), (_("No open place within (km)"), km, INT)]
    tables = {
        "filters": filters_table(session, filters, now, settings),
        "overview": overview_table(overview(rows), threshold),
        "communes": communes_table(session, rows, threshold),
        "sites": sites_table(result, names, threshold),
    }
    if found and found.sheet:
        tables["assumptions"] = assumptions_table(found, threshold)
        tables["viability"] = viability_table(found.sheet, threshold)
        tables["scenarios"] = scenarios_table(found.sheet, threshold)
    gaps_communes, gaps_epcis = gap_tables(gap_lists(session, rows, km, threshold), km, threshold)
    tables["gaps_communes"], tables["gaps_epcis"] = gaps_communes, gaps_epcis
    if events:
        tables["events"] = events_table(usage(session, filters, now), threshold)
    return Council(filters, now, rows, k, occupancy, co2, km, result, found, tables,
                   epci_lines=bool(args.get("epcis")), map_events=map_events)


def map_figure(session: Session, found: Council) -> Markup:
    """The map page's drawing for the PDF: `mapsvg.map_svg` over `figures.map_figures` (as the
    map page, its SVG download and the shared view draw it), for the report's filters and
    sites, the viability sheet's site selected; standalone, so that the SVG carries its own
    style (`static/css/map.css`, every rule under .mmap: nothing else of the report is
    touched), title, filters and date, legend, numbered sites and sources."""
    selected = found.viability.form.site.data if found.viability else ""
    _upcoming, events = map_events(session, found.now, found.filters.epci, links=False) \
        if found.map_events else ({}, {})
    figures = map_figures(
        session, found.rows, current_app.config["ORGANISER_MIN_CELL"], k=found.k or None,
        result=found.result, occupancy=found.occupancy, co2=found.co2, selected=selected or "",
        epci_lines=found.epci_lines, epci=found.filters.epci, events=events,
        title=_("Declared demand by home commune"),
        notes=map_notes(session, found.filters, found.now))
    svg = map_svg(session, figures.content, standalone=True)
    # Inline in the report's HTML: the file's XML declaration stays out.
    return Markup(svg[svg.index("<svg"):])


def report_html(session: Session, found: Council, *, shared_label: str = "",
                census: dict | None = None) -> str:
    """`shared_label`: the name of the read-only link the report is given through, if any;
    `census`: a census campaign's restitution (app/census/progress.py: its title, closing
    date and tables), an extra section before the method."""
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    groups: dict[str, list] = {}
    for question, answer, n in found.tables["overview"].rows[1:]:
        groups.setdefault(question, []).append((answer, n))
    overview_groups = [(q, max((n for _a, n in items if isinstance(n, int)), default=0), items)
                       for q, items in groups.items()]
    return render_template(
        "organisers/report.html", c=found, t=found.tables, threshold=threshold,
        organisation=current_app.config["ORGANISATION_NAME"], today=paris_today(found.now),
        filter_labels=filter_labels(session, found.filters),
        co2_source=current_app.config["CO2_SOURCE"], map_figure=map_figure(session, found),
        overview_groups=overview_groups, display=display_value, shared_label=shared_label,
        census=census, is_hidden=lambda value: isinstance(value, Hidden))


def report_filename(now: datetime) -> str:
    return f"maillage-rapport-{paris_today(now).isoformat()}.pdf"


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"the report fetches nothing ({url[:80]})")


def report_pdf(html: str, base_url: str) -> bytes:
    """`base_url` (the site's address) makes the PDF's links absolute; nothing is fetched.

    Importing WeasyPrint sets Pillow's process-wide `LOAD_TRUNCATED_IMAGES`: from then on the
    picture checks (app/images/processing.py) would take a cut JPEG for a whole one. Pillow's
    default is put back; the documents embed no raster picture."""
    import weasyprint
    from PIL import ImageFile
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_refuse).write_pdf()
