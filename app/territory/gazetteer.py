"""Load the shipped gazetteer, find communes as people type them, measure distances.

Plain functions taking a session or plain data: no request, no flask.g.
"""
from __future__ import annotations

import difflib
import json
import math
import re
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Commune, Epci
from models.textkey import fold

EARTH_RADIUS_KM = 6371.0088
MAX_TYPED = 120  # longer than any commune label: refused before any matching
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
    query = query.strip()[:MAX_TYPED]
    if query.isascii() and query.isdigit():
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


def match_communes(session: Session, typed: str) -> list[Commune]:
    """The communes a person may have meant by what they typed: a label such as
    "Rignac (12390)", a name, a postcode, or an INSEE code. One match means no doubt; several
    (a postcode or a name shared by several communes) are shown back so the person can choose.
    Postcodes win over INSEE codes: people know their postcode, and the two look alike."""
    typed = (typed or "").strip()
    if not typed or len(typed) > MAX_TYPED:
        return []
    if typed.isascii() and typed.isdigit() and len(typed) == 5:
        by_postcode = [c for c in search_communes(session, typed, limit=50)
                       if typed in c.postcode_list]
        if by_postcode:
            return by_postcode
        commune = session.get(Commune, typed)
        return [commune] if commune else []
    if re.fullmatch(r"\d[AB]\d{3}", typed):  # Corsica's INSEE codes
        commune = session.get(Commune, typed)
        return [commune] if commune else []
    name, postcode = typed, None
    head, paren, tail = typed.rpartition("(")
    if paren and tail.rstrip().endswith(")"):
        inside = tail.rstrip()[:-1].strip()
        if inside.isascii() and inside.isdigit() and len(inside) == 5:
            name, postcode = head, inside
    candidates = list(session.scalars(
        select(Commune).where(Commune.name_key == name_key(name)).order_by(Commune.insee)))
    if postcode:
        candidates = [c for c in candidates if postcode in c.postcode_list] or candidates
    return candidates


def close_communes(session: Session, typed: str, limit: int = 3) -> list[Commune]:
    """For a name that matches no commune ("Rignak"), the communes whose folded names are
    closest to it ("Rignac"), most similar first; none when nothing is close. The gazetteer's
    folded names are compared in memory (a few thousand at most: a few milliseconds)."""
    typed = (typed or "").strip()
    head, paren, _tail = typed.rpartition("(")
    key = name_key(head if paren else typed)
    if len(key) < 3 or len(typed) > MAX_TYPED:
        return []
    keys: dict[str, list[str]] = {}
    for insee, commune_key in session.execute(select(Commune.insee, Commune.name_key)):
        keys.setdefault(commune_key, []).append(insee)
    close = difflib.get_close_matches(key, keys, n=limit, cutoff=0.75)
    codes = [insee for found in close for insee in keys[found]][:limit]
    communes = {c.insee: c for c in session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    return [communes[code] for code in codes if code in communes]


def resolve_commune(session: Session, typed: str) -> Commune | None:
    """The one commune meant by what was typed, or None when unknown or ambiguous."""
    found = match_communes(session, typed)
    return found[0] if len(found) == 1 else None


def commune_labels(session: Session, codes: list[str]) -> dict[str, str]:
    """INSEE code -> "Name (postcode)" for the codes that exist."""
    if not codes:
        return {}
    return {c.insee: c.label for c in session.scalars(
        select(Commune).where(Commune.insee.in_(codes)))}
