"""Names on the organisers' map that do not overlap (app/organisers/mapsvg.py draws them):
placed greedily around their points, most important first, clear of the map's edges, the
markers and each other; on a phone, fewer and larger."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.organisers.mapcontent import MapContent
    from app.organisers.mapshape import MapShape


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
