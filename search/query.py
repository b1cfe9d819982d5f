"""Queries on the Whoosh index: words (already understood: search/understanding/), the reader's
rights and filters, to ids in rank order, totals and facets.

Odd input is just text: the query is built from the normalised words (never parsed as Whoosh
syntax), so `*`, `"`, `AND OR NOT`, `title:` or 2,000 characters are words or nothing.

Each word looks for itself and its skill synonyms (the best of them counts: DisjunctionMax);
every word must match. Misspelt words are corrected against the index's vocabulary and the
skills' (search/understanding/spelling.py), and the corrected results placed by the rules of
search/understanding/ranking.py. With a place, results of equal score are ordered by distance.
"""
from __future__ import annotations

from whoosh import query as Q

from search import scoring
from search.index import SearchIndex
from search.understanding import spelling
from search.understanding.results import (  # noqa: F401 (Hit, Result: this module's answer)
    QUERY_MAX_CHARS,
    SKILL_FACET_TOP,
    TOP,
    WORDS_MAX,
    Hit,
    Ranking,
    Result,
    audiences,
    dominant,
    empty_facets,
    facets,
    finish,
    page_of,
    with_corrections,
)
from search.understanding.spelling import Speller
from search.understanding.thesaurus import EMPTY, Thesaurus
from search.understanding.words import query_terms


def search(index: SearchIndex, text: str, *, member: bool, network_ids: list[int] = (),
           kind: str | None = None, communes: list[str] | None = None, page: int = 1,
           per_page: int = 20, distances: dict[str, float] | None = None,
           profile_kind: str | None = None, thesaurus: Thesaurus | None = None,
           protected=frozenset(), correct: bool = True) -> Result:
    """`communes`: INSEE codes to keep (None: anywhere); `distances`: km from the place
    searched, per INSEE code (orders equal scores); `protected`: words never corrected
    (commune names; the thesaurus's words are protected too); `correct=False`: the words as
    typed only ("rechercher plutôt « menusier »")."""
    thesaurus = thesaurus or EMPTY
    words = query_terms(text[:QUERY_MAX_CHARS], WORDS_MAX)
    page = max(1, page)
    wanted = max(TOP, page * per_page)
    with index.searcher() as searcher:
        allowed = _allowed_docs(searcher, tuple(audiences(member, list(network_ids))), kind,
                                tuple(communes) if communes is not None else None, profile_kind)
        narrow = bool(kind) or communes is not None or bool(profile_kind)
        if not words:  # no words: everything this person may see, with the filters
            ranked = scoring.run(searcher, Q.Every(), allowed, wanted, True)
            return _result(searcher, ranked.order(searcher, distances), ranked.total,
                           ranked.exact, page, per_page)
        exact = scoring.rank(searcher, words, thesaurus, allowed, wanted, narrow, communes)
        shown = Ranking(exact.order(searcher, distances), exact.total, exact.exact)
        corrections, mode = [], None
        if correct:
            corrections = _corrections(index, searcher, words, thesaurus, protected)
        if corrections:
            fixed_words = [dict(corrections).get(w, w) for w in words]
            fixed = scoring.rank(searcher, fixed_words, thesaurus, allowed, wanted, narrow, communes)
            shown, mode = with_corrections(
                shown, Ranking(fixed.order(searcher, distances), fixed.total, fixed.exact),
                dominant(corrections, lambda w: searcher.doc_frequency("all", w)))
    found = _result(searcher, shown.order, shown.total, shown.exact, page, per_page)
    return finish(found, words, corrections, mode)


def _corrections(index: SearchIndex, searcher, words: list[str], thesaurus: Thesaurus,
                 protected) -> list[tuple[str, str]]:
    speller = _speller(index, searcher, thesaurus)
    return spelling.corrections(words, lambda w: w in protected or thesaurus.is_known(w),
                                lambda w: searcher.doc_frequency("all", w), speller.nearby)


def _speller(index: SearchIndex, searcher, thesaurus: Thesaurus) -> Speller:
    """The words of the index and the thesaurus, kept per index: the lexicon of each segment
    is read once (segments never change; a commit adds a small one, a merge a new one), so a
    new word is corrected towards from the next search on, without reading the whole
    vocabulary again."""
    kept = index.cache.get("speller")
    if kept is None or kept[0] is not thesaurus or kept[1] != index.current_name():
        kept = index.cache["speller"] = (thesaurus, index.current_name(), Speller(thesaurus.words),
                                         set())
    speller, seen = kept[2], kept[3]
    reader = searcher.reader()
    for leaf, _offset in (reader.leaf_readers() if hasattr(reader, "leaf_readers")
                          else [(reader, 0)]):
        segment = leaf.segment() if hasattr(leaf, "segment") else None
        key = segment.segment_id() if segment is not None else id(leaf)
        if key in seen:
            continue
        seen.add(key)
        speller.add(t.decode() if isinstance(t, bytes) else t for t in leaf.lexicon("all"))
    return speller


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


def _allowed_docs(searcher, audience: tuple, kind: str | None, communes: tuple | None,
                  profile_kind: str | None = None) -> set[int]:
    """The documents this person may see with these filters, as document numbers: set
    operations on per-term sets cached for the index generation (an And with a term every
    document has, inside the query, cost more than the search itself)."""
    cache = searcher.__dict__.setdefault("_maillage_filters", {})
    key = (audience, kind, communes, profile_kind)
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
        if profile_kind:
            found = found & _docs(searcher, "profile_kind", profile_kind)
        found = found if type(found) is set else set(found)  # Whoosh's filter wants a set
        if len(cache) >= FILTERS_KEPT:
            cache.clear()
        cache[key] = found
    return found


def _result(searcher, docnums: list[int], total: int, exact: bool, page: int,
            per_page: int) -> Result:
    """One page of hits and the facets of the best results, from ranked document numbers."""
    hits = []
    for docnum in page_of(docnums, page, per_page):
        kind, _, ident = searcher.stored_fields(docnum)["key"].partition(":")
        hits.append(Hit(kind, int(ident), 0.0))
    if not docnums:  # nothing found (an empty index has no columns to read either)
        return Result(total=total, hits=hits, exact=exact, facets=empty_facets())

    def column(name):
        read = scoring.column(searcher, name)
        return lambda docnum: read[docnum]
    return Result(total=total, hits=hits, exact=exact, facets=facets(
        column, docnums, lambda d: searcher.stored_fields(d).get("skill_ids")))
