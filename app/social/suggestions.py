"""Who to meet: suggestions ranked by a documented score of skill overlap and distance.

For a member V (skills S_V, commune c_V) and a candidate P:

    overlap(P)   = number of V's skills P also has              ("same skill" list)
                 = number of skills V looks for that P offers   ("what you look for" list)
    distance(P)  = great-circle km between the two communes' centres (the gazetteer);
                   UNKNOWN_KM when either has no commune
    proximity(P) = 1 / (1 + distance / HALF_WEIGHT_KM)          (1 next door, 1/2 at 25 km)
    score(P)     = overlap × proximity

Highest score first; ties go to the nearer person, then the more recently updated profile,
then the lower id. "What V looks for" is every known skill named in V's "I am looking for"
text; "what P offers" is P's skills plus every known skill named in P's "I can help with" text.
Never suggested: V, anyone V blocked or who blocked V, and people already connected or with
a request pending either way. Suggestions are shown to logged-in members only, who may see
members-only profiles anyway.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.social.notify import blocked_between
from app.territory.gazetteer import haversine_km
from models import Commune, Connection, Profile, SkillAlias, User, profile_skill
from models.textkey import fold, skill_key

HALF_WEIGHT_KM = 25.0
UNKNOWN_KM = 100.0
CANDIDATES_MAX = 2000  # most overlapping profiles, scored in Python
NGRAM_MAX = 4
_WORD = re.compile(r"\w+")


@dataclass
class Candidate:
    profile_id: int
    user_id: int
    overlap: int
    lat: float | None
    lon: float | None
    updated_at: datetime


@dataclass
class Suggestion:
    profile_id: int
    user_id: int
    score: float
    distance_km: float | None
    overlap: int


def rank(origin: tuple[float, float] | None, candidates: list[Candidate]) -> list[Suggestion]:
    """The score of the module docstring, sorted. Pure: easy to check by hand."""
    scored = []
    for c in candidates:
        known = origin is not None and c.lat is not None and c.lon is not None
        km = haversine_km(origin[0], origin[1], c.lat, c.lon) if known else None
        proximity = 1 / (1 + (km if km is not None else UNKNOWN_KM) / HALF_WEIGHT_KM)
        scored.append((Suggestion(c.profile_id, c.user_id, c.overlap * proximity, km, c.overlap),
                       c.updated_at))
    scored.sort(key=lambda pair: (-pair[0].score,
                                  pair[0].distance_km if pair[0].distance_km is not None else 1e9,
                                  -pair[1].timestamp(), pair[0].profile_id))
    return [s for s, _ in scored]


def _text_keys(text: str) -> set[str]:
    words = _WORD.findall(fold(text[:5000]))
    keys = {skill_key(" ".join(words[i:i + n])) for n in range(1, NGRAM_MAX + 1)
            for i in range(len(words) - n + 1)}
    keys.discard("")
    return keys


def _skill_ids_by_key(session: Session, keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        found.update((key, skill_id) for key, skill_id in session.execute(
            select(SkillAlias.key, SkillAlias.skill_id)
            .where(SkillAlias.key.in_(ordered[start:start + 500]))))
    return found


def skills_in_text(session: Session, text: str) -> set[int]:
    """Ids of the known skills named in a free text, by any of their spellings (1 to 4 words)."""
    return set(_skill_ids_by_key(session, _text_keys(text)).values())


def _excluded(session: Session, user_id: int) -> set[int]:
    linked = session.execute(select(Connection.low_id, Connection.high_id).where(
        or_(Connection.low_id == user_id, Connection.high_id == user_id)))
    return {user_id} | blocked_between(session, user_id) | {x for pair in linked for x in pair}


def _candidates(session: Session, skill_ids: set[int], excluded: set[int]) -> list[Candidate]:
    if not skill_ids:
        return []
    overlap = func.count(profile_skill.c.skill_id).label("overlap")
    rows = session.execute(
        select(Profile.id, Profile.user_id, overlap, Commune.lat, Commune.lon, Profile.updated_at)
        .join(profile_skill, profile_skill.c.profile_id == Profile.id)
        .outerjoin(Commune, Commune.insee == Profile.commune_insee)
        .where(profile_skill.c.skill_id.in_(skill_ids))
        .group_by(Profile.id, Profile.user_id, Commune.lat, Commune.lon, Profile.updated_at)
        .order_by(overlap.desc(), Profile.updated_at.desc()).limit(CANDIDATES_MAX + len(excluded)))
    return [Candidate(*row) for row in rows if row[1] not in excluded][:CANDIDATES_MAX]


def _origin(profile: Profile) -> tuple[float, float] | None:
    return (profile.commune.lat, profile.commune.lon) if profile.commune else None


def same_skill(session: Session, user: User, limit: int = 12) -> list[Suggestion]:
    """People near you with the same skills."""
    profile = user.profile
    mine = {s.id for s in profile.skills}
    return rank(_origin(profile), _candidates(session, mine, _excluded(session, user.id)))[:limit]


def offers_for_needs(session: Session, user: User, limit: int = 12) -> list[Suggestion]:
    """People whose offers match what you are looking for."""
    profile = user.profile
    wanted = skills_in_text(session, profile.needs or "")
    candidates = _candidates(session, wanted, _excluded(session, user.id))
    if candidates:
        # Skills named in their "I can help with" text count too (one alias query for all).
        scored = candidates[:300]
        ids = [c.profile_id for c in scored]
        offers = dict((pid, text) for pid, text in session.execute(select(Profile.id, Profile.offers)
                                      .where(Profile.id.in_(ids))))
        keys = {pid: _text_keys(text or "") for pid, text in offers.items()}
        by_key = _skill_ids_by_key(session, set().union(*keys.values()))
        tagged: dict[int, set[int]] = {}
        for pid, sid in session.execute(select(profile_skill.c.profile_id, profile_skill.c.skill_id)
                                        .where(profile_skill.c.profile_id.in_(ids))):
            tagged.setdefault(pid, set()).add(sid)
        for c in scored:
            offered = tagged.get(c.profile_id, set()) | {
                by_key[k] for k in keys.get(c.profile_id, ()) if k in by_key}
            c.overlap = len(wanted & offered)
        candidates = scored
    return rank(_origin(profile), candidates)[:limit]
