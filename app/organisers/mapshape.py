"""The territory's shape for the organisers' map (app/organisers/mapsvg.py draws it): commune
outlines from the gazetteer in the database, the départements and EPCI outlines, dissolved from
them, from `data/boundaries.json` (made by `data/build_gazetteer.py`, used only over the
gazetteer it was made from). Projected once per process: equirectangular, scaled by
cos(latitude), 1000 map units wide."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask import g, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Commune

WIDTH = 1000
BOUNDARIES = Path(__file__).resolve().parents[2] / "data" / "boundaries.json"


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
