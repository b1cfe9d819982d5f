"""Where should a tiers-lieu open? Greedy maximum coverage of the declared demand.

A declaration is *covered* by a candidate commune when the commune is in its acceptable list, or
within its maximum travel distance of its home commune (great-circle distance between commune
centres, from the gazetteer). Demand already covered by an open place is set aside. Then, K
times, the candidate covering the most not-yet-covered people is picked (ties: the commune with
the lower INSEE code, so results are reproducible). Greedy is the classic (1 - 1/e)
approximation of maximum coverage.

Fast because declarations are grouped first: people with the same home, distance and
acceptable list share one group (100,000 declarations make a few thousand groups), each group
knows the candidates covering it, and each candidate the groups it covers. Choosing a site then
lowers its neighbours' gains once per newly covered group (a "lazy" update), instead of
re-testing every declaration against every candidate each round (`naive_clusters`, the
baseline kept for the benchmark and the tests).

Plain functions over plain data: no session, no request.
"""
from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field

from app.territory.gazetteer import haversine_km

DAYS_OPEN_PER_WEEK = 5


@dataclass(frozen=True)
class Demand:
    """One current declaration, as the algorithm needs it."""

    home: str
    acceptable: frozenset[str] = frozenset()
    max_km: float | None = None
    days: float = 1.0
    formula: str = ""
    budget: int = 0
    commute_km: float | None = None
    commute_days: float | None = None


@dataclass
class Site:
    commune: str
    people: int = 0
    desk_days: float = 0.0  # per week
    desks_needed: int = 0
    formulas: Counter = field(default_factory=Counter)
    budgets: list[int] = field(default_factory=list)
    km_avoided: float = 0.0  # per week
    co2_kg_avoided: float = 0.0  # per week

    @property
    def budget_median(self) -> float | None:
        if not self.budgets:
            return None
        ordered = sorted(self.budgets)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class Result:
    sites: list[Site]
    total: int  # declarations considered
    already_covered: int  # by an open place
    uncovered: int  # by neither an open place nor a chosen site


class Geography:
    """Distances between commune centres, and for each commune the others sorted by distance,
    so that "communes within d km of X" is a binary search. Depends only on the gazetteer:
    built once per process (`app.organisers.data.geography`)."""

    def __init__(self, points: dict[str, tuple[float, float]]):
        self.points = points
        self.codes = sorted(points)
        self._sorted: dict[str, tuple[list[float], list[str]]] = {}
        for home in self.codes:
            pairs = sorted((self.distance(home, c), c) for c in self.codes)
            self._sorted[home] = ([d for d, _ in pairs], [c for _, c in pairs])
        self._within: dict[tuple[str, float], frozenset[str]] = {}

    def distance(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        (lat1, lon1), (lat2, lon2) = self.points[a], self.points[b]
        return haversine_km(lat1, lon1, lat2, lon2)

    def within(self, home: str, km: float) -> frozenset[str]:
        key = (home, km)
        found = self._within.get(key)
        if found is None:
            if home not in self._sorted:
                found = frozenset()
            else:
                distances, codes = self._sorted[home]
                found = frozenset(codes[: bisect.bisect_right(distances, km)])
            self._within[key] = found
        return found


def covers(geo: Geography, demand: Demand, candidate: str) -> bool:
    """The coverage rule, for one pair (what the fast path must agree with)."""
    if candidate in demand.acceptable:
        return True
    return demand.max_km is not None and demand.home in geo.points \
        and candidate in geo.points and geo.distance(demand.home, candidate) <= demand.max_km


def _group(demands: list[Demand]) -> dict[tuple, list[Demand]]:
    groups: dict[tuple, list[Demand]] = {}
    for d in demands:
        groups.setdefault((d.home, d.max_km, d.acceptable), []).append(d)
    return groups


def clusters(demands: list[Demand], geo: Geography, k: int, *,
             open_places: set[str] = frozenset(), candidates: set[str] | None = None,
             occupancy: float = 0.7, co2_kg_per_km: float = 0.218) -> Result:
    """The K sites covering the most demand not already covered by an open place."""
    allowed = set(geo.codes) if candidates is None else set(candidates) & set(geo.points)
    groups = _group(demands)
    keys = list(groups)
    weights = [len(groups[key]) for key in keys]
    # Groups sharing (home, distance) share the communes "near" them: their gains are added
    # and removed together, once per such key instead of once per group.
    near_of: dict[tuple, frozenset[str]] = {}
    members: dict[tuple, list[int]] = {}
    extras: list[frozenset[str]] = []  # acceptable communes beyond the near ones, per group
    already: set[int] = set()
    for g, (home, max_km, acceptable) in enumerate(keys):
        near_key = (home, max_km)
        if near_key not in near_of:
            near_of[near_key] = geo.within(home, max_km) if max_km is not None else frozenset()
        near = near_of[near_key]
        extras.append(acceptable - near)
        if open_places and (not near.isdisjoint(open_places)
                            or not acceptable.isdisjoint(open_places)):
            already.add(g)
            continue
        members.setdefault(near_key, []).append(g)
    uncovered = {nk: sum(weights[g] for g in gs) for nk, gs in members.items()}
    gain = dict.fromkeys(allowed, 0)
    keys_with: dict[str, list[tuple]] = {}
    for nk, weight in uncovered.items():
        for c in near_of[nk]:
            keys_with.setdefault(c, []).append(nk)
            if c in gain:
                gain[c] += weight
    extra_groups: dict[str, list[int]] = {}
    for gs in members.values():
        for g in gs:
            for c in extras[g]:
                extra_groups.setdefault(c, []).append(g)
                if c in gain:
                    gain[c] += weights[g]

    covered: set[int] = set(already)
    group_key = {g: nk for nk, gs in members.items() for g in gs}

    def take(g: int) -> None:
        covered.add(g)
        w = weights[g]
        for c in extras[g]:
            if c in gain:
                gain[c] -= w

    sites: list[Site] = []
    for _ in range(max(0, k)):
        if not gain:
            break
        best = min(gain, key=lambda c: (-gain[c], c))
        if gain[best] <= 0:
            break
        newly: list[int] = []
        for nk in keys_with.get(best, ()):  # every group near the site
            if uncovered[nk]:
                for c in near_of[nk]:
                    if c in gain:
                        gain[c] -= uncovered[nk]
                uncovered[nk] = 0
                for g in members[nk]:
                    if g not in covered:
                        take(g)
                        newly.append(g)
        for g in extra_groups.get(best, ()):  # and those who listed it
            if g not in covered:
                nk, w = group_key[g], weights[g]
                for c in near_of[nk]:
                    if c in gain:
                        gain[c] -= w
                uncovered[nk] -= w
                take(g)
                newly.append(g)
        del gain[best]
        sites.append(_site(best, [d for g in newly for d in groups[keys[g]]], geo, occupancy,
                           co2_kg_per_km))
    total = len(demands)
    already_n = sum(weights[g] for g in already)
    return Result(sites, total, already_n, total - already_n - sum(s.people for s in sites))


def _site(commune: str, people: list[Demand], geo: Geography, occupancy: float,
          co2_kg_per_km: float) -> Site:
    site = Site(commune=commune, people=len(people))
    for d in people:
        site.desk_days += d.days
        site.formulas[d.formula] += 1
        site.budgets.append(d.budget)
        if d.commute_km and d.commute_days:
            # Each day worked at the site instead of commuting saves the commute, less the
            # trip to the site (both ways).
            to_site = geo.distance(d.home, commune) if d.home in geo.points else 0.0
            saved = max(0.0, d.commute_km - to_site) * 2 * min(d.days, d.commute_days)
            site.km_avoided += saved
    site.desks_needed = math.ceil(site.desk_days / (DAYS_OPEN_PER_WEEK * occupancy)) \
        if site.desk_days else 0
    site.co2_kg_avoided = site.km_avoided * co2_kg_per_km
    return site


def naive_clusters(demands: list[Demand], geo: Geography, k: int, *,
                   open_places: set[str] = frozenset(),
                   candidates: set[str] | None = None) -> list[tuple[str, int]]:
    """The baseline: every round, test every declaration against every candidate.
    Returns [(commune, people newly covered)]."""
    candidates = sorted(set(geo.codes if candidates is None else candidates) & set(geo.points))
    remaining = [d for d in demands if not any(covers(geo, d, p) for p in open_places)]
    chosen = []
    for _ in range(max(0, k)):
        best, best_n = None, 0
        for c in candidates:
            n = sum(1 for d in remaining if covers(geo, d, c))
            if n > best_n:
                best, best_n = c, n
        if best is None:
            break
        chosen.append((best, best_n))
        remaining = [d for d in remaining if not covers(geo, d, best)]
        candidates.remove(best)
    return chosen
