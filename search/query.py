"""Queries: what a person typed, with their rights, to ids in rank order, totals and facets.

Odd input is just text: the query is built from the analyzed words (never parsed as Whoosh
syntax), so `*`, `"`, `AND OR NOT`, `title:` or 2,000 characters are words or nothing. Typos:
when the exact words find nothing, each word is matched fuzzily on the unstemmed field (one
edit, the first two letters fixed), which keeps fuzzy expansion narrow and fast.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from whoosh import query as Q

from search.analysis import french_analyzer, raw_analyzer
from search.index import SearchIndex

QUERY_MAX_CHARS = 200
TOP = 200  # results ranked, and counted for the facets
SKILL_FACET_TOP = 50  # the skills facet reads stored fields: the best 50 results
WORDS_MAX = 8


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
        narrow = bool(kind) or communes is not None
        if words:
            exact = Q.And([Q.Term("all", w) for w in words])
            if communes is not None and len(allowed) <= RESTRICTED_MAX:
                found = _run_restricted(searcher, words, allowed, page, per_page)
            else:
                found = _run(searcher, exact, allowed, page, per_page, narrow)
            if found.total == 0:
                raw_words = _words(text, raw_analyzer())
                typo = Q.And([Q.Or([Q.FuzzyTerm("raw", w, maxdist=1, prefixlength=2),
                                    Q.Term("all", w)])
                              for w in raw_words if len(w) >= 4] or [Q.NullQuery])
                found = _run(searcher, typo, allowed, page, per_page, narrow)
                fuzzy = True
        else:  # no words: everything this person may see, with the filters
            found = _run(searcher, Q.Every(), allowed, page, per_page, True)
    found.words, found.fuzzy = words, fuzzy
    return found


FILTERS_KEPT = 64  # per searcher: audiences x kind x communes combinations


def _docs(searcher, field: str, value: str) -> frozenset[int]:
    """Documents with this term, cached on the searcher (one index generation)."""
    cache = searcher.__dict__.setdefault("_maillage_terms", {})
    key = (field, value)
    found = cache.get(key)
    if found is None and field == "commune" and ("commune", None) not in cache:
        # A distance filter needs dozens of communes: read them all in one pass, once.
        cache[("commune", None)] = True
        reader = searcher.reader()
        for term in reader.lexicon("commune"):
            name = term.decode() if isinstance(term, bytes) else term
            cache[("commune", name)] = frozenset(reader.postings("commune", term).all_ids())
        found = cache.get(key)
    if found is None:
        found = cache[key] = frozenset(searcher.docs_for_query(Q.Term(field, value)))
    return found


def _allowed_docs(searcher, audience: tuple, kind: str | None,
                  communes: tuple | None) -> set[int]:
    """The documents this person may see with these filters, as document numbers: set
    operations on per-term sets cached for the index generation (an And with a term every
    document has, inside the query, cost more than the search itself)."""
    cache = searcher.__dict__.setdefault("_maillage_filters", {})
    key = (audience, kind, communes)
    found = cache.get(key)
    if found is None:
        seen = cache.get(audience)
        if seen is None:  # one per kind of reader: computed once, reused by every filter
            seen = cache[audience] = frozenset().union(
                *(_docs(searcher, "audience", a) for a in audience))
        found = seen
        if communes is not None:  # the small set first: intersecting costs its size
            found = set().union(*(_docs(searcher, "commune", c) for c in communes)) & found
        if kind:
            found = found & _docs(searcher, "kind", kind)
        found = found if type(found) is set else set(found)  # Whoosh's filter wants a set
        if len(cache) >= FILTERS_KEPT:
            cache.clear()
        cache[key] = found
    return found


RESTRICTED_MAX = 30_000  # allowed documents up to which a place filter is scored by hand
POSTINGS_BUDGET = 3_000_000  # postings kept in memory per searcher (about 100 MB at most)


def _postings(searcher, word: str) -> dict[int, float]:
    """document -> weight of a word in `all`, cached on the searcher (one index generation)
    within a budget of postings."""
    cache = searcher.__dict__.setdefault("_maillage_postings", {})
    found = cache.get(word)
    if found is None:
        reader = searcher.reader()
        found = (dict(reader.postings("all", word).items_as("weight"))
                 if reader.doc_frequency("all", word) else {})
        size = searcher.__dict__.get("_maillage_postings_size", 0) + len(found)
        if size > POSTINGS_BUDGET:
            cache.clear()
            size = len(found)
        searcher.__dict__["_maillage_postings_size"] = size
        cache[word] = found
    return found


def _run_restricted(searcher, words: list[str], allowed: set[int], page: int,
                    per_page: int) -> Result:
    """Words within a set of communes: the allowed documents (hundreds to a few thousand) are
    scored directly, TF-IDF as Whoosh does (sum over the words of weight x idf), instead of
    letting Whoosh score every document of a common word and drop most of them (measured:
    12 ms p50 at 100,000 profiles, the slowest query type)."""
    weights = sorted(((_postings(searcher, w), searcher.idf("all", w)) for w in words),
                     key=lambda pair: len(pair[0]))
    rarest = weights[0][0]
    pool = rarest if len(rarest) <= len(allowed) else allowed  # walk the smaller set
    candidates = [d for d in pool if d in allowed and all(d in p for p, _idf in weights)]
    scored = heapq.nlargest(max(TOP, page * per_page), candidates,
                            key=lambda d: (sum(p[d] * idf for p, idf in weights), -d))
    return _result(searcher, scored, len(candidates), True, page, per_page)


def _run(searcher, query, allowed: set[int], page: int, per_page: int,
         narrow: bool = False) -> Result:
    """The best results only: Whoosh scores in Python, so scoring or counting every match of
    a common word at 100,000 documents costs tens of ms, while its block-max optimisation
    finds the best ones fast, but only without a filter. So a wide filter (visibility) is
    applied to the best results afterwards, fetching more when too many were filtered out; a
    narrow one (a type, communes) is given to Whoosh. The total is exact when the matches fit,
    else an estimate (shown as "about"); facets count the TOP best results."""
    page = max(1, page)
    wanted = max(TOP, page * per_page)
    limit = wanted if narrow else wanted * 2
    while True:
        results = searcher.search(query, limit=limit, terms=False,
                                  filter=allowed if narrow else None)
        scored = results.scored_length()
        docnums = [d for d in (results.docnum(i) for i in range(scored))
                   if narrow or d in allowed]
        if len(docnums) >= wanted or scored < limit or limit >= 50 * wanted:
            break
        limit *= 4  # most of the best were not for this person: look further
    exact = scored < limit
    if exact:
        total = len(docnums)
    else:
        share = len(docnums) / scored if scored else 1.0
        total = max(len(docnums), int(results.estimated_length() * share))
    return _result(searcher, docnums, total, exact, page, per_page)


def _result(searcher, docnums: list[int], total: int, exact: bool, page: int,
            per_page: int) -> Result:
    """One page of hits and the facets of the best results, from ranked document numbers."""
    page = max(1, page)
    start = (page - 1) * per_page
    hits = []
    for docnum in docnums[start:start + per_page]:
        fields = searcher.stored_fields(docnum)
        kind, _, ident = fields["key"].partition(":")
        hits.append(Hit(kind, int(ident), 0.0))
    columns = searcher.__dict__.setdefault("_maillage_columns", {})  # costly to open
    facets: dict[str, dict[str, int]] = {"skill_ids": {}}
    if not docnums:  # nothing found (an empty index has no columns to read either)
        return Result(total=total, hits=hits, exact=exact,
                      facets={"kind": {}, "epci": {}, "profile_kind": {}, "skill_ids": {}})
    for name in ("kind", "epci", "profile_kind"):
        if name not in columns:
            columns[name] = searcher.reader().column_reader(name)
        column = columns[name]
        counts: dict[str, int] = {}
        for docnum in docnums[:TOP]:
            value = column[docnum]
            if value:
                counts[value] = counts.get(value, 0) + 1
        facets[name] = counts
    for docnum in docnums[:SKILL_FACET_TOP]:  # skills: a stored list, read for fewer results
        for skill in (searcher.stored_fields(docnum).get("skill_ids") or "").split():
            facets["skill_ids"][skill] = facets["skill_ids"].get(skill, 0) + 1
    return Result(total=total, hits=hits, facets=facets, exact=exact)
