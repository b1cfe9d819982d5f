"""Index documents built from database rows: plain dicts for the Whoosh writer."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Commune,
    Event,
    EventAudience,
    Network,
    NetworkVisibility,
    Place,
    Post,
    Profile,
    Scope,
    SkillAlias,
    Visibility,
)
from search.understanding.ranking import SKILL_SEPARATOR, sectioned

# The words people search places by (the index is French, whatever the reader's language).
EQUIPMENT_WORDS = {"fibre_wifi": "wifi fibre internet", "video_room": "visioconférence",
                   "meeting_room": "salle de réunion", "printer": "imprimante",
                   "lockers": "casiers", "kitchen": "cuisine", "step_free": "accessible PMR"}


def _aliases(session: Session, skill_ids: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if skill_ids:
        for skill_id, label in session.execute(select(SkillAlias.skill_id, SkillAlias.label)
                                               .where(SkillAlias.skill_id.in_(skill_ids))):
            out.setdefault(skill_id, []).append(label)
    return out


def _place(commune: Commune | None) -> tuple[str, str, str]:
    if commune is None:
        return "", "", ""
    epci = commune.epci
    return (f"{commune.name} {epci.name if epci else ''}", commune.insee,
            epci.code if epci else "")


def _skills(skills, aliases) -> tuple[str, str]:
    """Each skill's spellings, the skills apart (ranking.py weighs by how many there are)."""
    texts = [" ".join([s.name, s.name_en or "", *aliases.get(s.id, [])]) for s in skills]
    return SKILL_SEPARATOR.join(texts), " ".join(str(s.id) for s in skills)


def _doc(key: str, kind: str, title: str, skills: str, body: str, place: str, commune: str,
         epci: str, audience: str, skill_ids: str = "", profile_kind: str = "",
         name: str = "") -> dict:
    """`title`: a profile's headline, or the name of a network, place or event; `name`: a
    person's name (search/understanding/ranking.py weighs each section)."""
    return {"key": key, "kind": kind, "all": sectioned(name, title, skills, body, place),
            "commune": commune, "epci": epci, "audience": audience, "skill_ids": skill_ids,
            "profile_kind": profile_kind}


def profile_docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    query = select(Profile).options(selectinload(Profile.user), selectinload(Profile.skills),
                                    selectinload(Profile.commune).selectinload(Commune.epci))
    if ids is not None:
        query = query.where(Profile.id.in_(list(ids)))
    for chunk in session.scalars(query.execution_options(yield_per=1000)).partitions():
        aliases = _aliases(session, {s.id for p in chunk for s in p.skills})
        for p in chunk:
            skills, skill_ids = _skills(p.skills, aliases)
            place, commune, epci = _place(p.commune)
            yield _doc(f"profile:{p.id}", "profile", p.headline,
                       skills, f"{p.bio}\n{p.offers}\n{p.needs}", place, commune, epci,
                       "public" if p.visibility == Visibility.PUBLIC else "members",
                       skill_ids, str(p.kind), name=p.user.display_name)


def network_audience(network: Network) -> str:
    return f"network:{network.id}" if network.is_private else "public"


def network_docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    query = select(Network).options(selectinload(Network.skills))
    if ids is not None:
        query = query.where(Network.id.in_(list(ids)))
    networks = session.scalars(query).all()
    aliases = _aliases(session, {s.id for n in networks for s in n.skills})
    communes = {c.insee: c for c in session.scalars(select(Commune).where(Commune.insee.in_(
        [n.scope_code for n in networks if n.scope == Scope.COMMUNE])))}
    for n in networks:
        skills, skill_ids = _skills(n.skills, aliases)
        place, commune, epci = _place(communes.get(n.scope_code))
        if n.scope == Scope.EPCI:
            epci = n.scope_code
        yield _doc(f"network:{n.id}", "network", n.name, skills, n.description, place, commune,
                   epci, network_audience(n), skill_ids)


def place_docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    query = select(Place).options(selectinload(Place.plans),
                                  selectinload(Place.commune).selectinload(Commune.epci))
    if ids is not None:
        query = query.where(Place.id.in_(list(ids)))
    for p in session.scalars(query):
        place, commune, epci = _place(p.commune)
        equipment = " ".join(EQUIPMENT_WORDS.get(e, e) for e in p.equipment or [])
        plans = " ".join(plan.name for plan in p.plans)
        yield _doc(f"place:{p.id}", "place", p.name, "", f"{p.description}\n{equipment}\n{plans}",
                   place, commune, epci, "public")


def post_docs(session: Session, ids: Iterable[int] | None = None,
              network_ids: Iterable[int] | None = None) -> Iterator[dict]:
    # A post hidden by a moderator is out of the index until it is restored.
    query = select(Post, Network).join(Network, Network.id == Post.network_id) \
        .where(Post.hidden_at.is_(None))
    if ids is not None:
        query = query.where(Post.id.in_(list(ids)))
    if network_ids is not None:
        query = query.where(Post.network_id.in_(list(network_ids)))
    for post, network in session.execute(query.execution_options(yield_per=1000)):
        # Posts are read by members of the site in open networks, by the network's members
        # otherwise.
        audience = "members" if network.visibility == NetworkVisibility.OPEN \
            else f"network:{network.id}"
        yield _doc(f"post:{post.id}", "post", network.name, "", post.body, "", "", "", audience)


def event_audience(event: Event) -> str:
    """Who may find it: as its page (app/events/access.py)."""
    if event.audience == EventAudience.NETWORK:
        return f"network:{event.network_id}"
    return "public" if event.audience == EventAudience.PUBLIC else "members"


def event_docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    # A cancelled event is out of the index (its page still says so to those who had it).
    query = select(Event).where(Event.cancelled_at.is_(None)).options(
        selectinload(Event.place), selectinload(Event.network),
        selectinload(Event.commune).selectinload(Commune.epci))
    if ids is not None:
        query = query.where(Event.id.in_(list(ids)))
    for e in session.scalars(query):
        place, commune, epci = _place(e.commune)
        where = " ".join(n for n in (e.place.name if e.place else "",
                                     e.network.name if e.network else "", e.address) if n)
        yield _doc(f"event:{e.id}", "event", e.title, "", f"{e.description}\n{where}",
                   place, commune, epci, event_audience(e))


BUILDERS = {"profile": profile_docs, "network": network_docs, "place": place_docs,
            "post": post_docs, "event": event_docs}


def all_docs(session: Session) -> Iterator[dict]:
    for build in BUILDERS.values():
        yield from build(session)


def count_rows(session: Session) -> int:
    """How many rows the index holds documents of, in one statement (a round trip per table
    was a fifth of starting a process on PostgreSQL)."""
    from sqlalchemy import func
    return session.scalar(select(sum(
        (select(func.count()).select_from(m).scalar_subquery()
         for m in (Profile, Network, Place, Post, Event)),
        start=literal(0)))) or 0


