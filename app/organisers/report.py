"""The report to take to the council: one PDF (A4, French first) holding the organisation's
name, the filters and the date, the demand overview, the map, the proposed sites, the viability
sheet with every assumption and the price-rise scenarios, the gaps, the methodology and the
sources, and the small-cell rule, which every figure in it follows.

`council` gathers the figures (as `tables.py` tables: the XLSX workbook is made of the same
ones), `report_html` lays them out (templates/organisers/report.html, its print CSS in
report.css), `report_pdf` turns that into a PDF with WeasyPrint. The map is the map page's own
drawing (`mapdata.map_layers` and templates/organisers/_map_svg.html), styled by the site's
stylesheet inside the SVG (WeasyPrint styles an inline SVG from its own <style> only).

WeasyPrint fetches nothing: the stylesheets are inlined, and its URL fetcher refuses every URL
(a name typed by a member could otherwise make the server fetch an address)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.organisers.aggregates import overview
from app.organisers.clusters import Result
from app.organisers.data import Filters, Row, current_rows
from app.organisers.events import usage
from app.organisers.mapdata import map_layers
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
    viability: Viability
    tables: dict[str, Table]


def council(session: Session, filters: Filters, now: datetime, *, events: bool = False
            ) -> Council:
    """The report's figures for the request's filters and settings (?k=&occupancy=&co2=&km=
    and the viability sheet's ?site=&rent=&price_…). `events`: add the events table (the
    workbook has it; the PDF does not)."""
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    rows = current_rows(session, filters)
    k, occupancy, co2 = cluster_params()
    km = float_arg("km", GAP_KM, 1.0, 200.0)
    result = run_clusters(rows, k, occupancy, co2)
    found = viability_from_request(rows)
    names = dict(session.execute(select(Commune.insee, Commune.name)).all())
    settings = [(_("Number of sites (K)"), k, INT), (_("Desk occupancy"), occupancy, RATIO),
                (_("kg CO2 per km"), co2, DECIMAL), (_("No open place within (km)"), km, INT)]
    tables = {
        "filters": filters_table(session, filters, now, settings),
        "overview": overview_table(overview(rows), threshold),
        "communes": communes_table(session, rows, threshold),
        "sites": sites_table(result, names, threshold),
    }
    if found.sheet:
        tables["assumptions"] = assumptions_table(found, threshold)
        tables["viability"] = viability_table(found.sheet, threshold)
        tables["scenarios"] = scenarios_table(found.sheet, threshold)
    gaps_communes, gaps_epcis = gap_tables(gap_lists(session, rows, km, threshold), km, threshold)
    tables["gaps_communes"], tables["gaps_epcis"] = gaps_communes, gaps_epcis
    if events:
        tables["events"] = events_table(usage(session, filters, now), threshold)
    return Council(filters, now, rows, k, occupancy, co2, km, result, found, tables)


def _map_url(query: dict):
    """The map's links in the PDF: the map page, with the report's filters, at a commune."""
    def url_with(**changes) -> str:
        args = {**query, **{k: v for k, v in changes.items() if v is not None}}
        return url_for("organisers.demand_map", **args)
    return url_with


@lru_cache(maxsize=4)
def _site_rules(path: str, mtime: float) -> tuple[tuple[frozenset[str], str], ...]:
    """The site stylesheet's rules (outside @media): (the classes a rule's selector names,
    the rule's text)."""
    import tinycss2
    css = Path(path).read_text(encoding="utf-8")
    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True):
        if rule.type == "qualified-rule":
            classes = frozenset(re.findall(r"\.([\w-]+)", tinycss2.serialize(rule.prelude)))
            if classes:
                rules.append((classes, tinycss2.serialize([rule])))
    return tuple(rules)


def map_css(markup: str) -> str:
    """The rules of the site's stylesheet that style `markup` (every class they name is in it):
    the map's colours, markers and legend, whatever the map page adds there, and nothing of
    the rest of the site, which WeasyPrint would otherwise match against every outline."""
    path = Path(current_app.static_folder) / "css" / "maillage.css"
    used = {name for found in re.findall(r'class="([^"]*)"', markup) for name in found.split()}
    return "\n".join(text for classes, text in _site_rules(str(path), path.stat().st_mtime)
                     if classes <= used)


def map_figure(layers: dict, url_with) -> tuple[Markup, str]:
    """The map page's own drawing (templates/organisers/_map_svg.html) for the PDF, and the
    CSS it needs. WeasyPrint styles an inline SVG from a <style> inside it only: the rules go
    there, and into the document for the legend."""
    markup = render_template("organisers/_map_svg.html", **layers, url_with=url_with)
    css = map_css(markup)
    start = markup.find("<svg")
    if start < 0:
        return Markup(markup), css
    at = markup.index(">", start) + 1
    return Markup(f"{markup[:at]}<style>{css}</style>{markup[at:]}"), css


def report_html(session: Session, found: Council) -> str:
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    filters_query = {k: v for k, v in request.args.items()
                     if k in ("epci", "campaign", "track", "since", "until") and v}
    layers = map_layers(session, found.rows, found.filters, found.result,
                        found.viability.form.site.data or "", threshold, found.now)
    figure, css = map_figure(layers, _map_url({**filters_query, "k": found.k}))
    groups: dict[str, list] = {}
    for question, answer, n in found.tables["overview"].rows[1:]:
        groups.setdefault(question, []).append((answer, n))
    overview_groups = [(q, max((n for _a, n in items if isinstance(n, int)), default=0), items)
                       for q, items in groups.items()]
    return render_template(
        "organisers/report.html", c=found, t=found.tables, threshold=threshold,
        organisation=current_app.config["ORGANISATION_NAME"], today=paris_today(found.now),
        filter_labels=filter_labels(session, found.filters),
        co2_source=current_app.config["CO2_SOURCE"], map_css=Markup(css), map_figure=figure,
        sites=layers["sites"], overview_groups=overview_groups, display=display_value,
        is_hidden=lambda value: isinstance(value, Hidden))


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"the report fetches nothing ({url[:80]})")


def report_pdf(html: str, base_url: str) -> bytes:
    """`base_url` (the site's address) makes the PDF's links absolute; nothing is fetched."""
    import weasyprint
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_refuse).write_pdf()
