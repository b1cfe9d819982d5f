"""The gazetteer and the thesaurus, read from the database once per process and kept while
unchanged (the communes, EPCIs and skills change rarely: a count and the highest key tell)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Commune, Epci, Skill, SkillAlias
from search.understanding.places import CommuneRow, Gazetteer
from search.understanding.thesaurus import Thesaurus

_lock = threading.Lock()
_kept: dict[str, tuple[object, object]] = {}


def _signature(session: Session, *columns) -> tuple:
    """Per table: how many rows, and the highest key."""
    return tuple(session.execute(select(*[
        select(f(c)).scalar_subquery() for c in columns for f in (func.count, func.max)])).one())


def gazetteer(session: Session) -> Gazetteer:
    bind = str(session.get_bind().url)
    signature = (bind, _signature(session, Commune.insee, Epci.code))
    kept = _kept.get("gazetteer")
    if kept and kept[0] == signature:
        return kept[1]
    epcis = dict(session.execute(select(Epci.code, Epci.name)).all())
    rows = [CommuneRow(insee, name, tuple((postcodes or "").split()), epci, lat, lon, pop or 0)
            for insee, name, postcodes, epci, lat, lon, pop in session.execute(
                select(Commune.insee, Commune.name, Commune.postcodes, Commune.epci_code,
                       Commune.lat, Commune.lon, Commune.population))]
    found = Gazetteer(rows, epcis)
    with _lock:
        _kept["gazetteer"] = (signature, found)
    return found


def thesaurus(session: Session) -> Thesaurus:
    bind = str(session.get_bind().url)
    signature = (bind, _signature(session, SkillAlias.key, Skill.id),
                 session.scalar(select(func.count()).select_from(Skill)))
    kept = _kept.get("thesaurus")
    if kept and kept[0] == signature:
        return kept[1]
    labels: dict[int, list[str]] = {}
    # Canonical skills only (the seed list, or curated): a tag one member typed ("menusier")
    # is neither a synonym nor a word to protect from correction.
    for skill_id, name, name_en in session.execute(
            select(Skill.id, Skill.name, Skill.name_en).where(Skill.canonical)):
        labels[skill_id] = [name, name_en or ""]
    for skill_id, label in session.execute(
            select(SkillAlias.skill_id, SkillAlias.label).join(Skill).where(Skill.canonical)):
        labels[skill_id].append(label)
    found = Thesaurus(labels.items())
    with _lock:
        _kept["thesaurus"] = (signature, found)
    return found
