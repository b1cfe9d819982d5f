"""Saving a people search: checked like the search page reads it (search/understanding/), so
a place no one knows is refused with the same words ("Commune inconnue : Rodes — vouliez-vous
dire Rodez ?"), within limits of number, rate and size. Plain functions; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ProfileKind, SavedSearch
from models.types import utcnow
from search.understanding import sources, understand

QUERY_MAX = 200
WITHIN_MAX = 200
PER_MEMBER_MAX = 20  # saved searches a member may keep
CREATED_PER_DAY_MAX = 30  # saved in 24 hours (deleting and saving again counts too)


class Refused(ValueError):
    """Why a search cannot be saved, in words for the member."""


@dataclass
class Criteria:
    q: str
    commune: str
    within_km: int | None
    profile_kind: ProfileKind | None


def criteria(q: str, commune: str, within_km, profile_kind) -> Criteria:
    within = int(within_km) if within_km not in (None, "") else None
    kind = ProfileKind(profile_kind) if profile_kind in set(ProfileKind) else None
    return Criteria(" ".join((q or "").split())[:QUERY_MAX], " ".join((commune or "").split()),
                    min(max(within, 0), WITHIN_MAX) if within else None, kind)


def check(session: Session, c: Criteria) -> None:
    """Refuse an empty search, and a place that is unknown (or a distance with no place)."""
    understood = understand(sources.gazetteer(session), c.q, c.commune, c.within_km)
    if not understood.text.strip() and understood.place is None and not c.profile_kind \
            and not understood.unplaceable:
        raise Refused(_("Say what to look for: words, a place or a kind of profile."))
    for notice in understood.notices:
        if notice.kind == "unknown":
            if notice.suggestions:
                raise Refused(_("Unknown commune: %(typed)s — did you mean %(names)s?",
                                typed=notice.typed, names=_(" or ").join(notice.suggestions)))
            raise Refused(_("Unknown commune: %(typed)s.", typed=notice.typed))
        if notice.kind == "no_origin":
            raise Refused(_("%(km)s around which commune? Add one, for example “near Rodez”.",
                            km=notice.typed))


def save(session: Session, user_id: int, c: Criteria,
         existing: SavedSearch | None = None) -> SavedSearch:
    check(session, c)
    if existing is None:
        kept = session.scalar(select(func.count()).select_from(SavedSearch)
                              .where(SavedSearch.user_id == user_id)) or 0
        if kept >= PER_MEMBER_MAX:
            raise Refused(_("You keep %(num)d saved searches, the most there can be: delete "
                            "one first.", num=PER_MEMBER_MAX))
        recent = session.scalar(select(func.count()).select_from(SavedSearch).where(
            SavedSearch.user_id == user_id,
            SavedSearch.created_at > utcnow() - timedelta(days=1))) or 0
        if recent >= CREATED_PER_DAY_MAX:
            raise Refused(_("Too many searches saved today: try again tomorrow."))
        existing = SavedSearch(user_id=user_id)
        session.add(existing)
    existing.query, existing.commune = c.q, c.commune
    existing.within_km, existing.profile_kind = c.within_km, c.profile_kind
    session.flush()
    return existing


def describe(s: SavedSearch) -> str:
    """A saved search in a few words: "menuisier · Rodez · 20 km"."""
    parts = [s.query or "", s.commune or "", f"{s.within_km} km" if s.within_km else ""]
    return " · ".join(p for p in parts if p) or "—"


def search_args(s: SavedSearch) -> dict:
    """The search page's query string for this saved search."""
    args = {"q": s.query, "type": "profile"}
    if s.commune:
        args["commune"] = s.commune
    if s.within_km:
        args["within_km"] = s.within_km
    if s.profile_kind:
        args["profile_kind"] = str(s.profile_kind)
    return args
