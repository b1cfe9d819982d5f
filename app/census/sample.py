"""The target sample: who may be drawn (the frame), how many per stratum (the allocation), and
which ones (the draw), reproducibly.

**The frame.** Establishments of the SIRENE register that are active and diffusible, in a
commune of the campaign's territory, within the NAF divisions asked for (all when none) and
outside those excluded, whose SIRET is neither on the do-not-contact list nor on a current
declaration; and, when asked, members (role member, not suspended) living in the territory who
have no current declaration and are not on the list. A non-diffusible establishment is never in
the frame, so never drawn, swapped in, or shown.

**The strata.** Each unit's stratum is its commune's EPCI and the commune's size class, from
its population (INSEE, in the gazetteer): *rural* under 2,000 inhabitants (INSEE's historical
threshold of a rural commune), *small town* from 2,000 to 9,999, *town* from 10,000.

**The allocation** of a sample of `size` (at most the frame's size), in two stages, each by
largest remainder (Hamilton's method, exact fractions; ties go to the first stratum in code
order):
1. to EPCIs in proportion to their units in the frame: EPCI e with c_e of the frame's C units
   has the quota size x c_e / C and gets its whole part, plus one if its remainder is among the
   largest; so every EPCI gets within one target of its quota;
2. within an EPCI of n_e targets, its rural stratum first gets n_e x c_rural / c_e **rounded
   up** (the floor for rural communes: their share or more, at least one target when the EPCI
   has any and a rural unit exists), then the other classes share the rest in proportion, by
   largest remainder. No stratum is asked for more units than it has.

**The draw.** Each unit gets a key, the first 16 hex digits of SHA-256(seed, unit) where the
unit is "siret:<SIRET>" or "user:<id>"; each stratum takes its units of smallest key. The same
seed over the same data gives the same sample, whatever order the database returns rows in; a
swap takes the next unit of the same stratum in that order."""
from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from heapq import nsmallest
from typing import NamedTuple

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from app.census.frame import Place, frame_for, territory
from app.census.refs import REF_LENGTH, new_code
from app.moderation.audit import audit
from models import (
    Campaign,
    CensusDraw,
    CensusSuppression,
    CensusTarget,
    CensusUnit,
    Declaration,
    DeclarationVersion,
    OutreachStatus,
    Profile,
    Role,
    SireneEstablishment,
    User,
)

RURAL_BELOW = 2_000
TOWN_FROM = 10_000
SIZE_CLASSES = ("rural", "small_town", "town")
SIZE_MAX = 1_000
KEY_DIGITS = 16


def size_class(population: int) -> str:
    if population < RURAL_BELOW:
        return "rural"
    return "small_town" if population < TOWN_FROM else "town"


class Unit(NamedTuple):
    """Someone who may be drawn (a tuple: a frame holds a département's establishments)."""

    name: str  # "siret:<SIRET>" or "user:<id>": what the key hashes
    unit: CensusUnit
    commune: str
    epci: str
    size_class: str
    siret: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class Options:
    size: int
    seed: str
    naf_include: tuple[str, ...] = ()
    naf_exclude: tuple[str, ...] = ()
    include_members: bool = True


@dataclass
class Sample:
    chosen: list[tuple[Unit, str]]  # (unit, key), stratum by stratum
    strata: list[dict] = field(default_factory=list)
    frame_size: int = 0


def new_seed() -> str:
    """A seed to show and type back: six digits."""
    return f"{secrets.randbelow(1_000_000):06d}"


def draw_key(seed: str, name: str) -> str:
    """A unit's place in the draw's order (`choose` computes the same inline)."""
    return hashlib.sha256(f"{seed}\x1f{name}".encode()).hexdigest()[:KEY_DIGITS]


# --- the frame ---------------------------------------------------------------------------------

def declared_sirets():
    """The SIRETs of current, not withdrawn declarations (they have answered already)."""
    return (select(DeclarationVersion.siret)
            .join(Declaration, Declaration.id == DeclarationVersion.declaration_id)
            .where(DeclarationVersion.is_current, DeclarationVersion.siret != "",
                   Declaration.withdrawn_at.is_(None)))


def establishments_query(places: dict[str, Place] | None, options: Options,
                         campaign_id: int | None = None, sirets: list[str] | None = None):
    """The eligible establishments: (siret, commune). `places` None: any commune (the caller
    keeps those of the territory); `campaign_id`: leave out those already targets of it."""
    e = SireneEstablishment
    query = select(e.siret, e.commune_insee).where(
        e.active, e.diffusible,
        ~exists().where(CensusSuppression.siret == e.siret),
        e.siret.not_in(declared_sirets()))
    if places is not None:
        query = query.where(e.commune_insee.in_(sorted(places)))
    division = func.substr(e.naf_code, 1, 2)
    if options.naf_include:
        query = query.where(division.in_(sorted(options.naf_include)))
    if options.naf_exclude:
        query = query.where(division.not_in(sorted(options.naf_exclude)))
    if campaign_id is not None:
        query = query.where(~exists().where(CensusTarget.campaign_id == campaign_id,
                                            CensusTarget.siret == e.siret))
    if sirets is not None:
        query = query.where(e.siret.in_(sirets))
    return query


def members_query(places: dict[str, Place] | None, campaign_id: int | None = None,
                  user_ids: list[int] | None = None):
    """The eligible members: (user id, commune)."""
    query = (select(User.id, Profile.commune_insee)
             .join(Profile, Profile.user_id == User.id)
             .where(User.role == Role.MEMBER, User.suspended_at.is_(None),
                    Profile.commune_insee.is_not(None),
                    ~exists().where(Declaration.user_id == User.id,
                                    Declaration.withdrawn_at.is_(None)),
                    ~exists().where(CensusSuppression.user_id == User.id)))
    if places is not None:
        query = query.where(Profile.commune_insee.in_(sorted(places)))
    if campaign_id is not None:
        query = query.where(~exists().where(CensusTarget.campaign_id == campaign_id,
                                            CensusTarget.user_id == User.id))
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    return query


def eligible_units(session: Session, places: dict[str, Place], options: Options, *,
                   campaign_id: int | None = None, restrict: dict[str, Place] | None = None,
                   sirets: list[str] | None = None) -> list[Unit]:
    """The frame: every unit that may be drawn. `restrict`: only these communes (a stratum's,
    for a swap); `sirets`: only these establishments (and no member)."""
    within = restrict if restrict is not None else places
    strata = {insee: (p.epci, size_class(p.population)) for insee, p in within.items()}
    establishment, member = CensusUnit.ESTABLISHMENT, CensusUnit.MEMBER
    units = []
    result = session.execute(establishments_query(within, options, campaign_id, sirets))
    for siret, commune in result:
        found = strata.get(commune)
        if found is not None:
            units.append(Unit("siret:" + siret, establishment, commune, found[0], found[1],
                              siret, None))
    if options.include_members and sirets is None:
        for user_id, commune in session.execute(members_query(within, campaign_id)):
            found = strata.get(commune)
            if found is not None:
                units.append(Unit(f"user:{user_id}", member, commune, found[0], found[1], None,
                                  user_id))
    return units


# --- the allocation ----------------------------------------------------------------------------

def largest_remainder(total: int, weights: dict) -> dict:
    """`total` shared in proportion to `weights` (ints): whole parts, then one more to the
    largest remainders (ties: the smaller key first)."""
    keys = sorted(weights)
    mass = sum(weights.values())
    if total <= 0 or mass <= 0:
        return {k: 0 for k in keys}
    quotas = {k: Fraction(total * weights[k], mass) for k in keys}
    shares = {k: int(quotas[k]) for k in keys}
    left = total - sum(shares.values())
    for k in sorted(keys, key=lambda k: -(quotas[k] - shares[k]))[:left]:  # stable: key order
        shares[k] += 1
    return shares


def allocate(counts: dict[tuple[str, str], int], size: int) -> dict[tuple[str, str], int]:
    """Targets per (EPCI, size class), the rule of the module's docstring."""
    total = sum(counts.values())
    size = max(0, min(size, total))
    per_epci: dict[str, int] = defaultdict(int)
    for (epci, _cls), n in counts.items():
        per_epci[epci] += n
    epci_shares = largest_remainder(size, dict(per_epci))
    out: dict[tuple[str, str], int] = {}
    for epci, n_e in epci_shares.items():
        rural = counts.get((epci, "rural"), 0)
        r = -(-n_e * rural // per_epci[epci]) if n_e and rural else 0  # rounded up
        r = min(r, rural, n_e)
        others = {cls: counts[(epci, cls)] for cls in SIZE_CLASSES
                  if cls != "rural" and counts.get((epci, cls))}
        rest = largest_remainder(n_e - r, others)
        if (epci, "rural") in counts:
            out[(epci, "rural")] = r
        for cls, n in rest.items():
            out[(epci, cls)] = min(n, counts[(epci, cls)])
    return out


def epci_quotas(units: list[Unit], size: int) -> dict[str, Fraction]:
    """Each EPCI's exact proportional quota (size x its units / the frame's units)."""
    per_epci: dict[str, int] = defaultdict(int)
    for u in units:
        per_epci[u.epci] += 1
    total = len(units)
    size = min(size, total)
    return {e: Fraction(size * n, total) for e, n in per_epci.items()} if total else {}


def choose(units: list[Unit], size: int, seed: str) -> Sample:
    """The sample: each stratum's allocated number of units, those of smallest key."""
    strata: dict[tuple[str, str], list[tuple[str, str, Unit]]] = defaultdict(list)
    prefix = f"{seed}\x1f".encode()
    sha256 = hashlib.sha256
    for u in units:
        key = sha256(prefix + u.name.encode()).hexdigest()[:KEY_DIGITS]
        strata[(u.epci, u.size_class)].append((key, u.name, u))
    counts = {k: len(v) for k, v in strata.items()}
    shares = allocate(counts, size)
    total = len(units)
    taken = min(size, total)
    sample = Sample([], [], total)
    for stratum in sorted(strata):
        members = strata[stratum]
        n = shares.get(stratum, 0)
        if n:  # the n smallest (key, name): the same whatever order the units came in
            sample.chosen += [(u, key) for key, _name, u in nsmallest(n, members)]
        sample.strata.append({
            "epci": stratum[0], "size_class": stratum[1], "available": counts[stratum],
            "quota": round(float(Fraction(taken * counts[stratum], total)), 3) if total else 0,
            "drawn": n})
    return sample


# --- drawing and swapping ----------------------------------------------------------------------

class DrawRefused(Exception):
    """A new draw would drop outreach already done (the message says so)."""


def may_draw_again(session: Session, campaign_id: int) -> bool:
    """Only while no target has been contacted, answered or swapped: a new draw replaces the
    sample (letters already printed still lead to the campaign, as answers without a target)."""
    worked = session.scalar(select(exists().where(
        CensusTarget.campaign_id == campaign_id,
        (CensusTarget.status != OutreachStatus.TO_CONTACT)
        | CensusTarget.swapped_out_at.is_not(None))))
    return not worked


def _new_ref(session: Session, taken: set[str]) -> str:
    while True:
        ref = new_code(REF_LENGTH)
        if ref not in taken and session.scalar(select(CensusTarget.id).where(
                CensusTarget.ref == ref)) is None:
            taken.add(ref)
            return ref


def _target(session: Session, campaign: Campaign, draw: CensusDraw | None, unit: Unit,
            key: str, taken: set[str]) -> CensusTarget:
    target = CensusTarget(campaign_id=campaign.id, draw_id=draw.id if draw else None,
                          unit=unit.unit, siret=unit.siret, user_id=unit.user_id,
                          commune_insee=unit.commune, epci_code=unit.epci,
                          size_class=unit.size_class, draw_key=key,
                          ref=_new_ref(session, taken), status=OutreachStatus.TO_CONTACT)
    session.add(target)
    return target


def draw(session: Session, campaign: Campaign, options: Options, actor: User) -> CensusDraw:
    """Draw the campaign's sample (replacing one nobody has worked on yet)."""
    if not may_draw_again(session, campaign.id):
        raise DrawRefused
    frame = frame_for(session, campaign)
    places = territory(session, campaign, frame)
    session.execute(delete(CensusTarget).where(CensusTarget.campaign_id == campaign.id))
    units = eligible_units(session, places, options)
    sample = choose(units, options.size, options.seed)
    record = CensusDraw(campaign_id=campaign.id, seed=options.seed, size=options.size,
                        naf_include=list(options.naf_include),
                        naf_exclude=list(options.naf_exclude),
                        include_members=options.include_members, frame_size=sample.frame_size,
                        strata=sample.strata, drawn_by_id=actor.id)
    session.add(record)
    session.flush()
    taken: set[str] = set()
    for unit, key in sample.chosen:
        _target(session, campaign, record, unit, key, taken)
    audit(session, actor, "census_draw", "campaign", campaign.id, label=campaign.title,
          detail=f"seed {options.seed}, {len(sample.chosen)} of {sample.frame_size}")
    return record


def draw_options(record: CensusDraw | None, seed: str = "") -> Options:
    if record is None:
        return Options(size=1, seed=seed)
    return Options(size=record.size, seed=record.seed, naf_include=tuple(record.naf_include),
                   naf_exclude=tuple(record.naf_exclude),
                   include_members=record.include_members)


def replacement(session: Session, target: CensusTarget, campaign: Campaign,
                siret: str | None = None) -> tuple[Unit, str] | None:
    """Who takes a target's place: the establishment `siret` if given and eligible, else the
    next unit of the target's stratum in the draw's order (same seed). None when there is
    none. Units that are or were targets of the campaign are never offered again."""
    record = session.get(CensusDraw, target.draw_id) if target.draw_id else None
    options = draw_options(record, seed=new_seed())
    places = territory(session, campaign, frame_for(session, campaign))
    if siret is not None:
        found = eligible_units(session, places, options, campaign_id=campaign.id,
                               sirets=[siret])
        return (found[0], draw_key(options.seed, found[0].name)) if found else None
    stratum = {insee: p for insee, p in places.items()
               if p.epci == target.epci_code and size_class(p.population) == target.size_class}
    units = eligible_units(session, places, options, campaign_id=campaign.id, restrict=stratum)
    if not units:
        return None
    keyed = sorted((draw_key(options.seed, u.name), u.name, u) for u in units)
    key, _name, unit = keyed[0]
    return unit, key


def add_replacement(session: Session, campaign: Campaign, old: CensusTarget, unit: Unit,
                    key: str) -> CensusTarget:
    record = session.get(CensusDraw, old.draw_id) if old.draw_id else None
    new = _target(session, campaign, record, unit, key, set())
    session.flush()
    return new


def sample_filter(campaign_id: int):
    """Targets in the sample (not swapped out) of a campaign."""
    return and_(CensusTarget.campaign_id == campaign_id, CensusTarget.swapped_out_at.is_(None))
