"""An offline map: commune outlines from the shipped gazetteer drawn as SVG paths (no tile
server, no JavaScript). Projected once per process: equirectangular, scaled by cos(latitude)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Commune

WIDTH = 1000


@dataclass(frozen=True)
class MapShape:
    width: int
    height: int
    paths: dict[str, str]  # INSEE -> SVG path data
    centres: dict[str, tuple[int, int]]
    names: dict[str, str]


def map_shape(session: Session) -> MapShape:
    rows = tuple(session.execute(select(Commune.insee, Commune.name, Commune.lat, Commune.lon,
                                        Commune.outline).order_by(Commune.insee)))
    return _project(tuple((r[0], r[1], r[2], r[3], _freeze(r[4])) for r in rows))


def _freeze(outline) -> tuple:
    return tuple(tuple(tuple(tuple(p) for p in ring) for ring in poly) for poly in outline or ())


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

    paths, centres, names = {}, {}, {}
    for insee, name, lat, lon, outline in rows:
        parts = []
        for poly in outline:
            for ring in poly:
                points, last = [], None
                for lon_, lat_ in ring:
                    p = xy(lon_, lat_)
                    if p != last:
                        points.append(p)
                        last = p
                if len(points) >= 3:
                    parts.append("M" + " ".join(f"{x} {y}" for x, y in points) + "Z")
        paths[insee] = "".join(parts)
        centres[insee] = xy(lon, lat)
        names[insee] = name
    return MapShape(WIDTH, height, paths, centres, names)


def shade_classes(values: dict[str, int], levels: int = 5) -> dict[str, int]:
    """Each commune with demand gets a shade 1..levels by quantile (0: none)."""
    positive = sorted(v for v in values.values() if v > 0)
    if not positive:
        return {}
    cuts = [positive[min(len(positive) - 1, (len(positive) * i) // levels)] for i in range(1, levels)]
    return {c: 1 + sum(v > cut for cut in cuts) for c, v in values.items() if v > 0}
