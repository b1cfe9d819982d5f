"""Counts for the organisers: overview, per commune, gaps. Small cells are suppressed in
anything that leaves the page (exports, the map, the report, the shared links): no one is
identifiable below commune level.

The small-cell rule, one for every output, with one threshold (ORGANISER_MIN_CELL): `small` (a
count of people: under the threshold but not 0) and `suppress` (the figures per commune); built
on the same threshold, `charts.shared_charts` (the overview's answers, and those that would give
a small one away by subtraction) and `viability.without_small_cells` (a viability sheet);
`tables.py` writes what they hide as `Hidden` ("fewer than 3")."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from app.organisers.clusters import Geography
from app.organisers.data import Row

DAYS_BANDS = ((1, "≤ 1"), (2, "1,5 – 2"), (3, "2,5 – 3"), (5, "3,5 – 5"), (7, "> 5"))
BUDGET_BANDS = ((49, "0 – 49 €"), (99, "50 – 99 €"), (149, "100 – 149 €"), (199, "150 – 199 €"),
                (299, "200 – 299 €"), (10**9, "≥ 300 €"))


def band(value: float, bands) -> str:
    return next(label for top, label in bands if value <= top)


@dataclass
class Overview:
    total: int = 0
    by: dict[str, Counter] = field(default_factory=dict)
    trend: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM, first declarations)


def overview(rows: list[Row]) -> Overview:
    out = Overview(total=len(rows))
    single = {"track": lambda r: r.track, "kind": lambda r: r.kind or "anonymous",
              "formula": lambda r: r.formula, "days": lambda r: band(r.days_per_week, DAYS_BANDS),
              "budget": lambda r: band(r.budget, BUDGET_BANDS), "horizon": lambda r: r.horizon,
              "free_first_month": lambda r: "yes" if r.free_first_month else "no"}
    for name, key in single.items():
        out.by[name] = Counter(key(r) for r in rows)
    for name in ("equipment", "services", "governance"):
        out.by[name] = Counter(item for r in rows for item in getattr(r, name))
    months = Counter(r.first_at.strftime("%Y-%m") for r in rows)
    out.trend = sorted(months.items())
    return out


def per_commune(rows: list[Row]) -> dict[str, dict]:
    """People, desk-days per week and median budget per home commune."""
    out: dict[str, dict] = {}
    for r in rows:
        cell = out.setdefault(r.home, {"people": 0, "desk_days": 0.0, "budgets": []})
        cell["people"] += 1
        cell["desk_days"] += r.days_per_week
        cell["budgets"].append(r.budget)
    for cell in out.values():
        budgets = sorted(cell.pop("budgets"))
        cell["budget_median"] = budgets[len(budgets) // 2]
    return out


def suppress(cells: dict[str, dict], threshold: int) -> dict[str, dict]:
    """Cells with fewer than `threshold` people lose every figure but the fact that they are
    small (people: None)."""
    return {k: (v if v["people"] >= threshold else {"people": None, "desk_days": None,
                                                      "budget_median": None})
            for k, v in cells.items()}


def demand_near(rows: list[Row], geo: Geography, communes: set[str]) -> dict[str, int]:
    """For each of `communes`, the people of `rows` for whom it is near: their home commune,
    one they accept, or within their maximum distance (the coverage rule of
    `clusters.covers`, plus home). Declarations alike are grouped first, as the clusters do."""
    groups = Counter((r.home, r.max_km, frozenset(r.acceptable)) for r in rows)
    out = dict.fromkeys(communes, 0)
    for (home, max_km, acceptable), people in groups.items():
        near = {home} | acceptable
        if max_km is not None:
            near |= geo.within(home, max_km)
        for commune in near & communes:
            out[commune] += people
    return out


def small(count: int, threshold: int) -> int | None:
    """A count of people under the threshold (but not zero, which tells of no one) as None."""
    return None if 0 < count < threshold else count


def gaps(cells: dict[str, dict], geo: Geography, open_places: set[str], km: float) -> list[tuple]:
    """Communes with declared demand and no open place within `km`: (commune, people,
    distance to the nearest open place or None), most people first."""
    out = []
    for commune, cell in cells.items():
        if commune not in geo.points:
            continue
        nearest = min((geo.distance(commune, p) for p in open_places if p in geo.points),
                      default=None)
        if nearest is None or nearest > km:
            out.append((commune, cell["people"], nearest))
    return sorted(out, key=lambda t: (-t[1], t[0]))
