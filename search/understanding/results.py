"""What a search answers, whatever the engine: the `Result` (hits, total, facets,
corrections), the audiences a reader may see, the facets of the best results, and how the
results of the corrected words join those of the words as typed (search/understanding/ranking.py
says why). search/query.py (Whoosh) and search/postgres.py compute the rankings; the rest of
a search is this code, the same for both.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from search.understanding import ranking

QUERY_MAX_CHARS = 200
TOP = 200  # results ranked, and counted for the facets
SKILL_FACET_TOP = 50  # the skills facet reads stored fields: the best 50 results
WORDS_MAX = 8
FACETS = ("kind", "epci", "profile_kind")


@dataclass
class Hit:
    kind: str
    id: int
    score: float


@dataclass
class Result:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)  # for highlighting
    fuzzy: bool = False  # corrected results are included
    exact: bool = True  # False: `total` is an estimate
    # Corrections: [(typed word, corrected word)] in index form, and how they were used:
    # "replaced" (corrected results first), "blended" (below the exact ones), "suggested"
    # (only offered: the exact results were enough).
    corrections: list[tuple[str, str]] = field(default_factory=list)
    correction_mode: str | None = None


def audiences(member: bool, network_ids: list[int]) -> list[str]:
    return ["public"] + (["members"] if member else []) + [f"network:{i}" for i in network_ids]


def empty_facets() -> dict[str, dict[str, int]]:
    return {name: {} for name in (*FACETS, "skill_ids")}


def facets(columns: Callable[[str], Callable[[object], str]], ranked: list,
           skill_ids: Callable[[object], str]) -> dict[str, dict[str, int]]:
    """Counts of kind, EPCI and kind of profile over the best TOP results, of skills over the
    best SKILL_FACET_TOP. `columns(name)` gives a reader of that column per result,
    `skill_ids(result)` its skills' ids ("3 12")."""
    found = empty_facets()
    for name in FACETS:
        read = columns(name)
        counts = found[name]
        for item in ranked[:TOP]:
            value = read(item)
            if value:
                counts[value] = counts.get(value, 0) + 1
    for item in ranked[:SKILL_FACET_TOP]:
        for skill in (skill_ids(item) or "").split():
            found["skill_ids"][skill] = found["skill_ids"].get(skill, 0) + 1
    return found


@dataclass
class Ranking:
    """One query's ranked results (in the engine's terms: document numbers, rows), how many
    there are, and whether that number is exact."""
    order: list
    total: int
    exact: bool


def dominant(corrections: list[tuple[str, str]], frequency: Callable[[str], int]) -> bool:
    """Whether a corrected word is far more frequent than the word as typed (a typo)."""
    return any(frequency(c) >= ranking.CORRECTION_DOMINANCE * max(1, frequency(w))
               for w, c in corrections)


def with_corrections(typed: Ranking, fixed: Ranking,
                     is_dominant: bool) -> tuple[Ranking, str | None]:
    """The results to show and the correction mode ("replaced", "blended", "suggested" or
    None): ranking.py's rules, for every engine."""
    if fixed.total and typed.total < ranking.FEW_RESULTS and (is_dominant or not typed.total):
        mode, order = "replaced", ranking.blend(fixed.order, typed.order)
    elif fixed.total and typed.total < ranking.FEW_RESULTS:
        mode, order = "blended", ranking.blend(typed.order, fixed.order)
    else:
        return typed, "suggested" if fixed.total else None
    exact = typed.exact and fixed.exact
    total = len(order) if exact else max(len(order), typed.total + fixed.total)
    return Ranking(order, total, exact), mode


def finish(found: Result, words: list[str], corrections: list[tuple[str, str]],
           mode: str | None) -> Result:
    """The words to highlight and the corrections said, on a page of results."""
    used = mode in ("replaced", "blended")
    found.words = words + [c for _w, c in corrections if used]
    found.corrections, found.correction_mode = (corrections if mode else []), mode
    found.fuzzy = used
    return found


def page_of(ranked: list, page: int, per_page: int) -> list:
    start = (max(1, page) - 1) * per_page
    return ranked[start:start + per_page]


def by_distance(ranked: Iterable, scores: list[float], commune: Callable[[object], str],
                distances: dict[str, float] | None) -> list:
    """Ranked results (best first, with their scores): equal scores nearest first
    (ranking.order_key), then in the engine's order."""
    ranked = list(ranked)
    if not distances or not ranked:
        return ranked
    keyed = sorted(range(len(ranked)), key=lambda i: ranking.order_key(
        scores[i], distances.get(commune(ranked[i])), i))
    return [ranked[i] for i in keyed]
