"""Load the shipped gazetteer, find communes as people type them, measure distances.

Plain functions taking a session or plain data: no request, no flask.g.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Commune, Epci
from models.textkey import fold

EARTH_RADIUS_KM = 6371.0088
_LABEL = re.compile(r"^(?P<name>.+?)\s*\((?P<postcode>\d{5})\)\s*$")
# "St Geniez" and "Ste Eulalie" are how people write them; the gazetteer says "Saint"/"Sainte".
_SAINT = re.compile(r"\b(st|ste)\b")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def commune_distance_km(a: Commune, b: Commune) -> float:
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def name_key(text: str) -> str:
    """Folded commune name: accents, case, hyphens and the St/Ste abbreviations do not matter."""
    return _SAINT.sub(lambda m: "saint" if m.group(1) == "st" else "sainte", fold(text))


def load_gazetteer(session: Session, path: Path) -> dict[str, int]:
    """Insert or update every commune and EPCI of the file; idempotent. Returns counts."""
    data = json.loads(Path(path).read_text("utf-8"))
    epcis = {c["epci_code"]: c["epci_name"] for c in data["communes"] if c["epci_code"]}
    existing_epci = {e.code: e for e in session.scalars(select(Epci))}
    for code, name in epcis.items():
        if code in existing_epci:
            existing_epci[code].name = name
        else:
            session.add(Epci(code=code, name=name))
    session.flush()
    existing = {c.insee: c for c in session.scalars(select(Commune))}
    added = 0
    for row in data["communes"]:
        values = dict(
            name=row["name"], name_key=name_key(row["name"]),
            postcodes=" ".join(row["postcodes"]), population=row["population"],
            departement=row["departement"], epci_code=row["epci_code"] or None,
            lat=row["lat"], lon=row["lon"], outline=row["outline"],
        )
        commune = existing.get(row["insee"])
        if commune is None:
            session.add(Commune(insee=row["insee"], **values))
            added += 1
        else:
            for key, value in values.items():
                setattr(commune, key, value)
    return {"communes": len(data["communes"]), "added": added, "epci": len(epcis)}


def search_communes(session: Session, query: str = "", departement: str | None = None,
                    limit: int = 20) -> list[Commune]:
    """Communes whose folded name contains the query, or whose postcode or INSEE code starts
    with it; names that start with the query first, then by population."""
    stmt = select(Commune)
    if departement:
        stmt = stmt.where(Commune.departement == departement)
    query = query.strip()
    if query.isdigit():
        stmt = stmt.where(or_(Commune.postcodes.like(f"{query}%"),
                              Commune.postcodes.like(f"% {query}%"),
                              Commune.insee.like(f"{query}%")))
        stmt = stmt.order_by(Commune.population.desc())
    elif query:
        key = name_key(query)
        if not key:
            return []
        stmt = stmt.where(Commune.name_key.contains(key, autoescape=True))
        stmt = stmt.order_by(Commune.name_key.startswith(key, autoescape=True).desc(),
                             Commune.population.desc())
    else:
        stmt = stmt.order_by(Commune.name_key)
    return list(session.scalars(stmt.limit(limit)))


def resolve_commune(session: Session, typed: str) -> Commune | None:
    """The one commune a person meant by what they typed: a label such as "Rignac (12390)", an
    unambiguous name, a postcode of a single commune, or an INSEE code. Postcodes win over
    INSEE codes: people know their postcode, and the two often look alike (12150)."""
    typed = (typed or "").strip()
    if not typed:
        return None
    if re.fullmatch(r"\d{5}", typed):
        by_postcode = [c for c in search_communes(session, typed, limit=50)
                       if typed in c.postcode_list]
        if by_postcode:
            return by_postcode[0] if len(by_postcode) == 1 else None
    if re.fullmatch(r"\d[\dAB]\d{3}", typed):
        return session.get(Commune, typed)
    match = _LABEL.match(typed)
    name, postcode = (match["name"], match["postcode"]) if match else (typed, None)
    candidates = list(session.scalars(select(Commune).where(Commune.name_key == name_key(name))))
    if postcode:
        candidates = [c for c in candidates if postcode in c.postcode_list] or candidates
    return candidates[0] if len(candidates) == 1 else None
