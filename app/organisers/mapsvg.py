"""The organisers' map, drawn as SVG on the server (no tile server, no JavaScript): commune
outlines shaded by declared demand, the boundary between the départements, EPCI boundaries on
demand, places, numbered proposed sites, the selected commune, names placed so that they do not
overlap, and a legend whose classes give their limits and how many communes each holds.

`map_svg` is the one function that draws it, for every use: inline in the organisers' map page
and in the shared read-only view, standalone (title, legend, sources and its own style, from
`static/css/map.css`) for the download, the PNG made from it in the browser and the PDF report.

What it shows: app/organisers/mapcontent.py; the territory's outlines, projected:
app/organisers/mapshape.py; where the names go: app/organisers/maplabels.py."""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import Response, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.organisers.mapcontent import MapContent
from app.organisers.maplabels import place_labels
from app.organisers.mapshape import MapShape, map_shape

MAP_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "map.css"
LEVELS = 5


@dataclass(frozen=True)
class DemandClass:
    level: int  # the shade, 1..LEVELS
    low: int
    high: int
    communes: int


@dataclass
class Legend:
    classes: list[DemandClass]
    small: int  # communes under the threshold (no figure)
    none: int  # communes without a declaration
    shades: dict[str, int]  # INSEE -> level (communes with a figure)


def demand_classes(cells: dict[str, dict], threshold: int, communes: int,
                   levels: int = LEVELS) -> Legend:
    """Quantile classes of the communes' people (those at or over the threshold), each with its
    limits (low, high) and its number of communes; a class no commune falls in is left out."""
    values = {c: v["people"] for c, v in cells.items() if v["people"] is not None and v["people"] > 0}
    small = sum(1 for v in cells.values() if v["people"] is None)
    ordered = sorted(values.values())
    if not ordered:
        return Legend([], small, communes - small, {})
    cuts = [ordered[min(len(ordered) - 1, (len(ordered) * i) // levels)] for i in range(1, levels)]
    shades = {c: 1 + sum(v > cut for cut in cuts) for c, v in values.items()}
    classes = []
    for level in range(1, levels + 1):
        members = [values[c] for c, s in shades.items() if s == level]
        if members:
            low = cuts[level - 2] + 1 if level > 1 else min(threshold, min(members))
            high = cuts[level - 1] if level < levels else max(members)
            classes.append(DemandClass(level, low, high, len(members)))
    return Legend(classes, small, communes - small - len(values), shades)


def people_text(people: int | None, threshold: int) -> str:
    if people is None:
        return _("fewer than %(n)d people", n=threshold)
    return ngettext("%(num)d person", "%(num)d people", people)


def covered_text(people: int | None, threshold: int) -> str:
    if people is None:
        return _("fewer than %(n)d people covered", n=threshold)
    return ngettext("%(num)d person covered", "%(num)d people covered", people)


def legend_rows(legend: Legend, content: MapContent, shape: MapShape) -> list[tuple[str, str]]:
    """(swatch class, text) of each line of the legend, the same on the page and in the file."""
    rows = [(f"shade-{c.level}", ngettext("%(low)d to %(high)d people: %(num)d commune",
                                          "%(low)d to %(high)d people: %(num)d communes",
                                          c.communes, low=c.low, high=c.high)
             if c.low != c.high else
             ngettext("%(people)d people: %(num)d commune", "%(people)d people: %(num)d communes",
                      c.communes, people=c.low))
            for c in legend.classes]
    if legend.small:
        rows.append(("shade-small", ngettext(
            "fewer than %(n)d people (figure not shown): %(num)d commune",
            "fewer than %(n)d people (figure not shown): %(num)d communes",
            legend.small, n=content.threshold)))
    rows.append(("shade-0", ngettext("no declaration: %(num)d commune",
                                     "no declaration: %(num)d communes", legend.none)))
    statuses = {p.status for p in content.places}
    if "open" in statuses:
        rows.append(("marker-open", _("open place")))
    if "project" in statuses:
        rows.append(("marker-project", _("projected place")))
    if content.sites:
        rows.append(("marker-site", _("proposed site, numbered")))
    if content.selected:
        rows.append(("selected", _("selected commune")))
    if content.events:
        rows.append(("marker-events", _("events in the next three months (each date counted)")))
    if shape.departement_lines:
        rows.append(("line-departement", _("boundary between départements")))
    if content.epci_lines and shape.epci_paths:
        rows.append(("line-epci", _("boundaries of the communities of communes")))
    if content.epci and content.epci in shape.epci_paths:
        rows.append(("line-filter", _("the community of communes of the filter")))
    return rows


def site_rows(content: MapContent, shape: MapShape) -> list[tuple[int, str, str]]:
    """(number, commune, people covered) of each proposed site, as the list beside the map."""
    return [(s.number, shape.names.get(s.insee, s.insee), covered_text(s.people, content.threshold))
            for s in content.sites]


# --- Drawing ----------------------------------------------------------------------------------

LEGEND_WIDTH = 380  # the standalone file's legend column
LEGEND_CHARS = 44  # characters per line in it
HEADER = 64


@lru_cache(maxsize=1)
def _css(path: Path) -> str:
    return path.read_text("utf-8")


def map_svg(session: Session, content: MapContent, *, standalone: bool = False,
            commune_url: Callable[[str], str] | None = None) -> Markup:
    """The map as SVG markup. Inline (the default): the outlines and what is drawn over them,
    styled by the page's `css/map.css`, the legend being the page's (`legend_rows`); communes
    are links to `commune_url(insee)` when given, kept out of the Tab order (the figures table
    is their keyboard way). Standalone: a whole file (XML declaration, its own style, title and
    notes, the legend and the sites' list beside the map, the sources under it), for the
    download and the PDF report. Its ids start with "map-" (one map per document)."""
    shape = map_shape(session)
    legend = demand_classes(content.cells, content.threshold, len(shape.paths))
    labels = place_labels(shape, content)
    narrow = [] if standalone else place_labels(shape, content, narrow=True)
    sites = {s.insee: s for s in content.sites}
    width, height = shape.width, shape.height
    total_w, total_h = width, height
    legend_lines = legend_rows(legend, content, shape)
    site_lines = site_rows(content, shape)
    column: list[tuple[str, str, list[str], int]] = []  # (kind, class, lines, y) of the legend
    if standalone:
        title = textwrap.wrap(_("People who declared a need, by home commune"), LEGEND_CHARS - 6)
        column.append(("heading", "", title, 4))
        y = 22 + 17 * len(title)
        for cls, text in legend_lines:
            lines = textwrap.wrap(text, LEGEND_CHARS) or [""]
            column.append(("legend", cls, lines, y))
            y += 8 + 17 * max(len(lines), 1) + 4
        if site_lines:
            y += 16
            column.append(("heading", "", [_("Proposed sites")], y))
            y += 24
            for number, name, people in site_lines:
                lines = textwrap.wrap(_("%(name)s: %(covered)s", name=name, covered=people),
                                      LEGEND_CHARS)
                column.append(("site", str(number), lines, y))
                y += 8 + 17 * len(lines) + 4
        total_w = width + LEGEND_WIDTH
        total_h = max(HEADER + height + 40, HEADER + y + 20)
    return Markup(render_template(
        "organisers/map.svg", shape=shape, content=content, legend=legend, labels=labels,
        narrow_labels=narrow, sites=sites, standalone=standalone, commune_url=commune_url,
        total_w=total_w, total_h=total_h, legend_lines=legend_lines,
        column=column, header=HEADER if standalone else 0,
        css=Markup(_css(MAP_CSS)) if standalone else "",
        people_text=people_text, covered_text=covered_text,
        sources=_("Sources: declarations on Maillage; INSEE (COG), IGN (Admin Express), "
                  "Etalab."))).strip()


def map_legend(session: Session, content: MapContent) -> list[tuple[str, str]]:
    """The legend's lines for a page (the standalone file draws its own, the same)."""
    shape = map_shape(session)
    return legend_rows(demand_classes(content.cells, content.threshold, len(shape.paths)),
                       content, shape)


def map_sites(session: Session, content: MapContent) -> list[tuple[int, str, str]]:
    return site_rows(content, map_shape(session))


def map_filename(extension: str) -> str:
    return f"maillage-carte-demande-{date.today().isoformat()}.{extension}"


def svg_response(svg: str, filename: str) -> Response:
    """A standalone map as a download: its type, its name, never sniffed as something else."""
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
