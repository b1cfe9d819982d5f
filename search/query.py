"""Queries: what a person typed, with their rights, to ids in rank order, totals and facets.

Odd input is just text: the query is built from the analyzed words (never parsed as Whoosh
syntax), so `*`, `"`, `AND OR NOT`, `title:` or 2,000 characters are words or nothing. Typos:
when the exact words find nothing, each word is matched fuzzily on the unstemmed field (one
edit, the first two letters fixed), which keeps fuzzy expansion narrow and fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as Q
from whoosh.sorting import FieldFacet

from search.analysis import french_analyzer, raw_analyzer
from search.index import SearchIndex

QUERY_MAX_CHARS = 200
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


def _words(text: str, analyzer) -> list[str]:
    return list(dict.fromkeys(t.text for t in analyzer(text[:QUERY_MAX_CHARS])))[:WORDS_MAX]


def audiences(member: bool, network_ids: list[int]) -> list[str]:
    return ["public"] + (["members"] if member else []) + [f"network:{i}" for i in network_ids]


def search(index: SearchIndex, text: str, *, member: bool, network_ids: list[int] = (),
           kind: str | None = None, communes: list[str] | None = None, page: int = 1,
           per_page: int = 20) -> Result:
    words = _words(text, french_analyzer())
    conditions = [Q.Or([Q.Term("audience", a) for a in audiences(member, list(network_ids))])]
    if kind:
        conditions.append(Q.Term("kind", kind))
    if communes is not None:
        conditions.append(Q.Or([Q.Term("commune", c) for c in communes]) if communes
                          else Q.NullQuery)
    restrict = Q.And(conditions)
    with index.searcher() as searcher:
        if words:
            exact = Q.And([Q.Or([Q.Term(f, w) for f in FIELDS]) for w in words])
            found = _run(searcher, exact, restrict, page, per_page)
            fuzzy = False
            if found.total == 0:
                raw_words = _words(text, raw_analyzer())
                typo = Q.And([Q.Or([Q.FuzzyTerm("raw", w, maxdist=1, prefixlength=2),
                                    Q.Or([Q.Term(f, w) for f in FIELDS])])
                              for w in raw_words if len(w) >= 4] or [Q.NullQuery])
                found = _run(searcher, typo, restrict, page, per_page)
                fuzzy = True
        else:  # no words: everything this person may see, with the filters
            found = _run(searcher, restrict, None, page, per_page)
            fuzzy = False
    found.words, found.fuzzy = words, fuzzy
    return found


def _run(searcher, query, restrict, page: int, per_page: int) -> Result:
    page = max(1, page)
    if restrict is not None:
        query = Q.And([query, restrict])
    facets = {"kind": FieldFacet("kind"), "epci": FieldFacet("epci"),
              "skill_ids": FieldFacet("skill_ids", allow_overlap=True),
              "profile_kind": FieldFacet("profile_kind")}
    results = searcher.search_page(query, page, pagelen=per_page, groupedby=facets)
    hits = [Hit(*hit["key"].split(":")[:1], int(hit["key"].split(":")[1]), hit.score)
            for hit in results]
    grouped = {name: {k: len(v) for k, v in results.results.groups(name).items() if k}
               for name in facets}
    return Result(total=len(results.results), hits=hits, facets=grouped)
