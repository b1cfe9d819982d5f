"""The organisers' map, drawn as SVG on the server (no tile server, no JavaScript): commune
outlines shaded by declared demand, the boundary between the départements, EPCI boundaries on
demand, places, numbered proposed sites, the selected commune, names placed so that they do not
overlap, and a legend whose classes give their limits and how many communes each holds.

`map_svg` is the one function that draws it, for every use: inline in the organisers' map page
and in the shared read-only view, standalone (title, legend, sources and its own style, from
`static/css/map.css`) for the download, the PNG made from it in the browser and the PDF report.

Outlines come from the gazetteer in the database; the départements and EPCI outlines, dissolved
from them, from `data/boundaries.json` (made by `data/build_gazetteer.py`, drawn only over the
gazetteer it was made from). Projected once per process: equirectangular, scaled by
cos(latitude)."""
from __future__ import annotations

import hashlib
import json
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import Response, g, has_app_context, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Commune

WIDTH = 1000
BOUNDARIES = Path(__file__).resolve().parents[2] / "data" / "boundaries.json"
MAP_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "map.css"
LEVELS = 5


# --- The territory's shape --------------------------------------------------------------------

@dataclass(frozen=True)
class MapShape:
    width: int
    height: int
    paths: dict[str, str]  # INSEE -> SVG path data
    centres: dict[str, tuple[int, int]]
    names: dict[str, str]
    populations: dict[str, int] = field(default_factory=dict)
    epci_of: dict[str, str] = field(default_factory=dict)
    departement_paths: dict[str, str] = field(default_factory=dict)  # code -> outline
    departement_names: dict[str, tuple[str, tuple[int, int]]] = field(default_factory=dict)
    departement_lines: str = ""  # where one département meets another
    epci_paths: dict[str, str] = field(default_factory=dict)


def map_shape(session: Session) -> MapShape:
    """The gazetteer's shape, read once per request (the map, its legend and its list ask)."""
    shape = g.get("organisers_map_shape") if has_app_context() else None
    if shape is None:
        rows = tuple(session.execute(select(
            Commune.insee, Commune.name, Commune.lat, Commune.lon, Commune.outline,
            Commune.population, Commune.epci_code, Commune.departement).order_by(Commune.insee)))
        shape = _project(tuple((r[0], r[1], r[2], r[3], _freeze(r[4]), r[5] or 0, r[6] or "",
                                r[7]) for r in rows))
        if has_app_context():
            g.organisers_map_shape = shape
    return shape


def _freeze(outline) -> tuple:
    return tuple(tuple(tuple(tuple(p) for p in ring) for ring in poly) for poly in outline or ())


@lru_cache(maxsize=1)
def _boundaries(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=2)
def _project(rows: tuple) -> MapShape:
    lons = [p[0] for r in rows for poly in r[4] for ring in poly for p in ring] or [r[3] for r in rows]
    lats = [p[1] for r in rows for poly in r[4] for ring in poly for p in ring] or [r[2] for r in rows]
    if not lons:
        return MapShape(WIDTH, WIDTH, {}, {}, {})
    west, north = min(lons), max(lats)
    kx = math.cos(math.radians((min(lats) + north) / 2))
    scale = (WIDTH - 20) / ((max(lons) - west) * kx or 1.0)
    height = int((north - min(lats)) * scale) + 20

    def xy(lon: float, lat: float) -> tuple[int, int]:
        return (round((lon - west) * kx * scale) + 10, round((north - lat) * scale) + 10)

    def ring_path(ring, closed: bool = True) -> str:
        points, last = [], None
        for lon_, lat_ in ring:
            p = xy(lon_, lat_)
            if p != last:
                points.append(p)
                last = p
        if len(points) < (3 if closed else 2):
            return ""
        return "M" + " ".join(f"{x} {y}" for x, y in points) + ("Z" if closed else "")

    def polygons_path(polygons) -> str:
        return "".join(ring_path(ring) for poly in polygons for ring in poly)

    paths, centres, names, populations, epci_of, by_dep = {}, {}, {}, {}, {}, {}
    for insee, name, lat, lon, outline, population, epci, dep in rows:
        paths[insee] = polygons_path(outline)
        centres[insee] = xy(lon, lat)
        names[insee] = name
        populations[insee] = population
        epci_of[insee] = epci
        by_dep.setdefault(dep, []).append(centres[insee])
    shape = MapShape(WIDTH, height, paths, centres, names, populations, epci_of)
    found = _boundaries(BOUNDARIES)
    codes = hashlib.sha256(" ".join(sorted(r[0] for r in rows)).encode()).hexdigest()
    if found.get("insee_sha256") != codes:
        return shape  # another gazetteer: its communes only
    dep_names = {}
    for code, dep in found["departements"].items():
        points = by_dep.get(code, [(0, 0)])
        dep_names[code] = (dep["name"], (round(sum(p[0] for p in points) / len(points)),
                                         round(sum(p[1] for p in points) / len(points))))
    return MapShape(
        WIDTH, height, paths, centres, names, populations, epci_of,
        departement_paths={code: polygons_path(dep["outline"])
                           for code, dep in found["departements"].items()},
        departement_names=dep_names,
        departement_lines="".join(ring_path(line, closed=False)
                                  for line in found["departement_lines"]),
        epci_paths={code: polygons_path(polygons) for code, polygons in found["epcis"].items()})


# --- What the map shows ------------------------------------------------------------------------

@dataclass(frozen=True)
class MapSite:
    number: int
    insee: str
    people: int | None  # None: under the small-cell threshold


@dataclass(frozen=True)
class MapPlace:
    insee: str
    name: str
    status: str
    url: str | None = None


@dataclass
class MapContent:
    """Everything drawn over the outlines. `cells` are per commune, already suppressed
    (`aggregates.suppress`: people None under the threshold)."""

    cells: dict[str, dict]
    threshold: int
    sites: list[MapSite] = field(default_factory=list)
    places: list[MapPlace] = field(default_factory=list)
    selected: str = ""
    epci_lines: bool = False
    epci: str = ""  # the filter's EPCI, outlined
    events: dict[str, tuple[int, str]] = field(default_factory=dict)  # insee -> (dates, url)
    title: str = ""
    notes: list[str] = field(default_factory=list)  # filters and date, under the title


def map_content(cells: dict, threshold: int, sites=(), places=(),
                place_url: Callable | None = None, **options) -> MapContent:
    """From a cluster result's sites (with `.commune` and `.people`) and Place rows; a site
    covering fewer people than the threshold keeps its number but not its figure."""
    return MapContent(
        cells=cells, threshold=threshold,
        sites=[MapSite(i, s.commune, s.people if s.people >= threshold else None)
               for i, s in enumerate(sites, 1)],
        places=[MapPlace(p.commune_insee, p.name, str(p.status), place_url(p) if place_url else None)
                for p in places], **options)


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


# --- Names that do not overlap -----------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str  # start, middle, end
    kind: str  # town, demand, place, site, selected, departement
    dot: tuple[int, int] | None = None  # a point to draw under a name that has no marker


FONT = 17  # map units (the map is 1000 wide: about 12 px on a desktop screen)
NARROW_FONT = 34  # on a phone the map is 330 px wide: the few names left are drawn larger
NARROW_SCALE = 2.2  # markers too (static/css/map.css scales them in the same proportion)
SITE_R, PLACE_R, TOWN_R = 13, 7, 3
MAIN_TOWNS, NARROW_TOWNS, TOP_DEMAND = 20, 5, 6


def _box(x: float, y: float, text: str, anchor: str, size: float, caps: bool = False):
    width = len(text) * size * (0.9 if caps else 0.58) + 4
    left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
    return (left - 1, y - size * 0.8 - 1, left + width + 1, y + size * 0.25 + 1)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(shape: MapShape, content: MapContent, narrow: bool = False) -> list[Label]:
    """Greedy placement, most important first: the selected commune, the proposed sites, the
    département names, the communes of highest demand, the places, then the main towns by
    population. Each tries twelve positions around its point and takes the first that leaves the
    map's edges, the markers and the names already placed clear; a name with none is left out
    (a site keeps its number, named in the list beside the map)."""
    size = NARROW_FONT if narrow else FONT
    k = NARROW_SCALE if narrow else 1.0
    obstacles, placed = [], []
    for site in content.sites:
        x, y = shape.centres.get(site.insee, (-99, -99))
        obstacles.append((x - SITE_R * k, y - SITE_R * k, x + SITE_R * k, y + SITE_R * k))
    for p in content.places:
        x, y = shape.centres.get(p.insee, (-99, -99))
        obstacles.append((x - PLACE_R * k, y - PLACE_R * k, x + PLACE_R * k, y + PLACE_R * k))
    for insee, (dates, _url) in content.events.items():
        x, y = shape.centres.get(insee, (-99, -99))
        obstacles.append((x + 4, y - 22, x + 14 + 7 * len(str(dates)), y - 6))

    candidates: list[tuple[str, str]] = []  # (insee or "dep:code", kind)
    if content.selected in shape.centres:
        candidates.append((content.selected, "selected"))
    candidates += [(s.insee, "site") for s in content.sites]
    if not narrow:
        candidates += [(f"dep:{code}", "departement") for code in sorted(shape.departement_names)]
        shown = sorted(((v["people"], c) for c, v in content.cells.items()
                        if v["people"] is not None), key=lambda t: (-t[0], t[1]))
        candidates += [(c, "demand") for _, c in shown[:TOP_DEMAND]]
        candidates += [(p.insee, "place") for p in content.places]
    towns = sorted(shape.populations, key=lambda c: (-shape.populations[c], c))
    candidates += [(c, "town") for c in towns[:NARROW_TOWNS if narrow else MAIN_TOWNS]]

    site_codes = {s.insee for s in content.sites}
    place_codes = {p.insee for p in content.places}
    labels, done = [], set()
    for key, kind in candidates:
        if key in done:
            continue
        done.add(key)
        if kind == "departement":
            name, (x, y) = shape.departement_names[key[4:]]
            spots = [(x + dx, y + dy, "middle") for dx, dy in
                     ((0, 0), (0, -40), (0, 40), (0, -80), (0, 80), (-60, 0), (60, 0))]
            text, caps, fs = name.upper(), True, size * 1.5
        else:
            x, y = shape.centres.get(key, (None, None))
            if x is None:
                continue
            r = (SITE_R if key in site_codes else PLACE_R if key in place_codes
                 else TOWN_R) * k + 3
            gap = size * 0.35
            spots = [(x + r, y + gap, "start"), (x - r, y + gap, "end"),
                     (x, y - r - 2, "middle"), (x, y + r + size * 0.8, "middle"),
                     (x + r * 0.7, y - r * 0.7, "start"), (x + r * 0.7, y + r * 0.7 + size * 0.7, "start"),
                     (x - r * 0.7, y - r * 0.7, "end"), (x - r * 0.7, y + r * 0.7 + size * 0.7, "end"),
                     # near an edge: above or below, running away from it
                     (x - r, y - r - 2, "start"), (x - r, y + r + size * 0.8, "start"),
                     (x + r, y - r - 2, "end"), (x + r, y + r + size * 0.8, "end")]
            text, caps, fs = shape.names[key], False, size
        for sx, sy, anchor in spots:
            box = _box(sx, sy, text, anchor, fs, caps)
            if box[0] < 2 or box[1] < 2 or box[2] > shape.width - 2 or box[3] > shape.height - 2:
                continue
            if any(_overlaps(box, o) for o in obstacles) or any(_overlaps(box, p) for p in placed):
                continue
            placed.append(box)
            dot = None
            if key not in site_codes and key not in place_codes and kind != "departement":
                obstacles.append((x - TOWN_R * k, y - TOWN_R * k, x + TOWN_R * k, y + TOWN_R * k))
                dot = (x, y)
            labels.append(Label(round(sx, 1), round(sy, 1), text, anchor, kind, dot))
            break
    return labels


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
