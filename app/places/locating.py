"""Where a place of the list is (app/places/importer.py): the territory's communes (the
gazetteer), and each row's commune found from its INSEE code, else its postcode and typed
commune name, else its coordinates inside the communes' outlines; `Unplaced` when it cannot
be told for certain."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.cleaning import clean_text, repair_mojibake
from app.territory.gazetteer import name_key
from models import Commune

_CODE = re.compile(r"\d[\dAB]\d{3}")  # INSEE codes (2A004) and postcodes
# Commune names typed in the list that are not the gazetteer's, even folded: typed -> official.
KNOWN_RENAMES = {name_key("Vabre l'Abbaye"): "Vabres-l'Abbaye"}


@dataclass
class Row:
    """A row of the list: its line in the file and its values by column ("" when absent)."""
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


class Unplaced(Exception):
    """A row of the territory whose commune cannot be told for certain."""


@dataclass
class _Commune:
    insee: str
    name: str
    key: str
    postcodes: list[str]


class Territory:
    """The gazetteer as the import reads it: communes by code and postcode, and their outlines
    (loaded the first time coordinates are needed), with bounding boxes."""

    def __init__(self, session: Session):
        self.session = session
        self.communes = {c.insee: _Commune(c.insee, c.name, c.name_key, c.postcode_list)
                         for c in session.scalars(select(Commune))}
        self.departements = {code[:3] if code.startswith("97") else code[:2]
                             for code in self.communes}
        self.by_postcode: dict[str, list[_Commune]] = {}
        for commune in self.communes.values():
            for postcode in commune.postcodes:
                self.by_postcode.setdefault(postcode, []).append(commune)
        self._shapes: list[tuple[str, tuple[float, float, float, float], list]] | None = None
        self._box: tuple[float, float, float, float] | None = None

    def departement_of(self, code: str) -> str:
        return code[:3] if code.startswith("97") else code[:2]

    def _load_shapes(self) -> None:
        self._shapes = []
        for insee, outline in self.session.execute(select(Commune.insee, Commune.outline)):
            points = [p for polygon in outline or [] for ring in polygon for p in ring]
            if not points:
                continue
            lons, lats = [p[0] for p in points], [p[1] for p in points]
            self._shapes.append((insee, (min(lons), min(lats), max(lons), max(lats)), outline))
        if self._shapes:
            boxes = [box for _, box, _ in self._shapes]
            self._box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                         max(b[2] for b in boxes), max(b[3] for b in boxes))

    def communes_at(self, lat: float, lon: float) -> list[str]:
        """The communes whose outline holds the point (one, or two on a simplified border)."""
        if self._shapes is None:
            self._load_shapes()
        if self._box is None or not _in_box(lon, lat, self._box):
            return []
        return [insee for insee, box, outline in self._shapes
                if _in_box(lon, lat, box) and _in_outline(lon, lat, outline)]


def _in_box(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _in_ring(x: float, y: float, ring: list) -> bool:
    """Ray casting: does the ring ([lon, lat] points) hold the point?"""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        (xi, yi), (xj, yj) = ring[i][:2], ring[j][:2]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_outline(x: float, y: float, outline: list) -> bool:
    """An outline is a list of polygons, each an outer ring then its holes."""
    return any(polygon and _in_ring(x, y, polygon[0])
               and not any(_in_ring(x, y, hole) for hole in polygon[1:])
               for polygon in outline)


def _code(value: str) -> str:
    """A postcode or INSEE code as the list writes it ("0": none; "1000": "01000")."""
    value = value.strip().upper()
    if value in ("", "0"):
        return ""
    if len(value) == 4 and value.isdigit():
        value = "0" + value
    return value if _CODE.fullmatch(value) else ""


def _coordinates(row: Row) -> tuple[float, float] | None:
    try:
        lat = float(row["LAT"].strip().replace(",", "."))
        lon = float(row["LONG"].strip().replace(",", "."))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def locate(row: Row, territory: Territory) -> tuple[str, str] | None:
    """(INSEE code, how it was found) for a row of the territory; None for a row outside it;
    Unplaced (with the reason) for a row that points into the territory but whose commune
    cannot be told for certain."""
    insee, postcode = _code(row["INSEECOM"]), _code(row["CP"])
    if insee in territory.communes:
        return insee, "INSEE code"
    typed = clean_text(repair_mojibake(row["COMINIT"])[0])
    typed_key = name_key(typed)
    typed_key = name_key(KNOWN_RENAMES.get(typed_key, typed)) if typed_key else ""
    if postcode and typed_key:
        found = [c for c in territory.by_postcode.get(postcode, []) if c.key == typed_key]
        if len(found) == 1:
            return found[0].insee, "postcode and name"
    point = _coordinates(row)
    hits = territory.communes_at(*point) if point else []
    if postcode and len(hits) > 1:  # on a simplified border: the postcode decides
        hits = [h for h in hits if postcode in territory.communes[h].postcodes] or hits
    if len(hits) == 1:
        commune = territory.communes[hits[0]]
        if postcode and postcode not in commune.postcodes:
            raise Unplaced(f"its coordinates fall in {commune.name} ({commune.insee}), whose "
                            f"postcodes are {', '.join(commune.postcodes)}, not {postcode}")
        return commune.insee, "coordinates"
    hinted = (insee and territory.departement_of(insee) in territory.departements) or \
        (postcode and (postcode in territory.by_postcode
                       or territory.departement_of(postcode) in territory.departements))
    if not hits and not hinted:
        return None  # outside the territory
    said = ", ".join(filter(None, [f"INSEE code {insee}" if insee else "",
                                   f"postcode {postcode}" if postcode else "",
                                   f"commune {typed!r}" if typed else ""])) or "no commune"
    if len(hits) > 1:
        raise Unplaced(f"{said}; its coordinates fall on the border of "
                        f"{' and '.join(territory.communes[h].name for h in hits)}")
    where = "no coordinates" if point is None else "coordinates outside every commune"
    raise Unplaced(f"{said} match no commune of the gazetteer, and {where}")
