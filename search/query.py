"""Queries: what a person typed, with their rights, to ids in rank order, totals and facets.

Odd input is just text: the query is built from the analyzed words (never parsed as Whoosh
syntax), so `*`, `"`, `AND OR NOT`, `title:` or 2,000 characters are words or nothing. Typos:
when the exact words find nothing, each word is matched fuzzily on the unstemmed field (one
edit, the first two letters fixed), which keeps fuzzy expansion narrow and fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as Q

from search.analysis import french_analyzer, raw_analyzer
from search.index import SearchIndex

QUERY_MAX_CHARS = 200
TOP = 200  # results ranked, and counted for the facets
WORDS_MAX = 8
FIELDS = ("title", "skills", "body", "place")


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
    fuzzy: bool = False
    exact: bool = True  # False: `total` is an estimate


def _words(text: str, analyzer) -> list[str]:
    return list(dict.fromkeys(t.text for t in analyzer(text[:QUERY_MAX_CHARS])))[:WORDS_MAX]


def audiences(member: bool, network_ids: list[int]) -> list[str]:
    return ["public"] + (["members"] if member else []) + [f"network:{i}" for i in network_ids]


def search(index: SearchIndex, text: str, *, member: bool, network_ids: list[int] = (),
           kind: str | None = None, communes: list[str] | None = None, page: int = 1,
           per_page: int = 20) -> Result:
    words = _words(text, french_analyzer())
    with index.searcher() as searcher:
        allowed = _allowed_docs(searcher, tuple(audiences(member, list(network_ids))), kind,
                                tuple(communes) if communes is not None else None)
        fuzzy = False
        if words:
            exact = Q.And([Q.Or([Q.Term(f, w) for f in FIELDS]) for w in words])
            found = _run(searcher, exact, allowed, page, per_page)
            if found.total == 0:
                raw_words = _words(text, raw_analyzer())
                typo = Q.And([Q.Or([Q.FuzzyTerm("raw", w, maxdist=1, prefixlength=2),
                                    Q.Or([Q.Term(f, w) for f in FIELDS])])
                              for w in raw_words if len(w) >= 4] or [Q.NullQuery])
                found = _run(searcher, typo, allowed, page, per_page)
                fuzzy = True
        else:  # no words: everything this person may see, with the filters
            found = _run(searcher, Q.Every(), allowed, page, per_page)
    found.words, found.fuzzy = words, fuzzy
    return found


FILTERS_KEPT = 64  # per searcher: audiences x kind x communes combinations


def _allowed_docs(searcher, audience: tuple, kind: str | None,
                  communes: tuple | None) -> set[int]:
    """The documents this person may see with these filters, as a set of document numbers,
    computed once per index generation: intersecting them in the query itself (an And with
    a term every document has) cost more than the search."""
    cache = searcher.__dict__.setdefault("_maillage_filters", {})
    key = (audience, kind, communes)
    found = cache.get(key)
    if found is None:
        conditions = [Q.Or([Q.Term("audience", a) for a in audience])]
        if kind:
            conditions.append(Q.Term("kind", kind))
        if communes is not None:
            conditions.append(Q.Or([Q.Term("commune", c) for c in communes]) if communes
                              else Q.NullQuery)
        found = set(searcher.docs_for_query(Q.And(conditions)))
        if len(cache) >= FILTERS_KEPT:
            cache.clear()
        cache[key] = found
    return found


def _run(searcher, query, allowed: set[int], page: int, per_page: int) -> Result:
    """The best results only: Whoosh scores and counts in Python, so counting or faceting
    every match of a common word at 100,000 documents costs hundreds of ms, while the top
    results come from its block-max optimisation. The total is exact when the matches fit in
    TOP, else Whoosh's estimate (shown as "about"); the facets count the TOP best results."""
    page = max(1, page)
    limit = max(TOP, page * per_page)
    results = searcher.search(query, limit=limit, terms=False, filter=allowed)
    scored = results.scored_length()
    exact = scored < limit
    total = scored if exact else max(scored, results.estimated_length())
    start = (page - 1) * per_page
    hits = []
    facets: dict[str, dict[str, int]] = {"kind": {}, "epci": {}, "skill_ids": {},
                                         "profile_kind": {}}
    for rank, hit in enumerate(results):
        fields = hit.fields()
        kind, _, ident = fields["key"].partition(":")
        if start <= rank < start + per_page:
            hits.append(Hit(kind, int(ident), hit.score))
        if rank < TOP:
            for name in ("kind", "epci", "profile_kind"):
                if fields.get(name):
                    facets[name][fields[name]] = facets[name].get(fields[name], 0) + 1
            for skill in (fields.get("skill_ids") or "").split():
                facets["skill_ids"][skill] = facets["skill_ids"].get(skill, 0) + 1
    return Result(total=total, hits=hits, facets=facets, exact=exact)
