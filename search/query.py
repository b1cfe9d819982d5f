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

import heapq
from dataclasses import dataclass

from whoosh import query as Q

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
    by_distance,
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
            ranked = _run(searcher, Q.Every(), allowed, wanted, True)
            return _result(searcher, ranked.order(searcher, distances), ranked.total,
                           ranked.exact, page, per_page)
        exact = _rank(searcher, words, thesaurus, allowed, wanted, narrow, communes)
        shown = Ranking(exact.order(searcher, distances), exact.total, exact.exact)
        corrections, mode = [], None
        if correct:
            corrections = _corrections(index, searcher, words, thesaurus, protected)
        if corrections:
            fixed_words = [dict(corrections).get(w, w) for w in words]
            fixed = _rank(searcher, fixed_words, thesaurus, allowed, wanted, narrow, communes)
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


@dataclass
class Ranked:
    docnums: list[int]
    scores: list[float]
    total: int
    exact: bool

    def order(self, searcher, distances: dict[str, float] | None) -> list[int]:
        """Ranked document numbers: score, then distance from the place (ranking.py)."""
        column = _column(searcher, "commune") if distances and self.docnums else None
        return by_distance(self.docnums, self.scores, lambda d: column[d], distances)


def _alternatives(searcher, word: str, thesaurus: Thesaurus) -> list[str]:
    alts = thesaurus.alternatives(word)
    if len(alts) == 1:
        return alts
    return [a for a in alts if a == word or searcher.doc_frequency("all", a)]


def _group_idf(searcher, alts: list[str]) -> float:
    """One rarity for a word and its synonyms (the rarest form's): a synonym is the same
    word, so which spelling a document uses must not change its score (ranking.py)."""
    return max(searcher.idf("all", a) for a in alts)


def _word_query(searcher, word: str, thesaurus: Thesaurus):
    alts = _alternatives(searcher, word, thesaurus)
    if len(alts) == 1:
        return Q.Term("all", word)
    idf = _group_idf(searcher, alts)
    return Q.DisjunctionMax([Q.Term("all", a, boost=idf / searcher.idf("all", a))
                             for a in alts])


RESTRICTED_MAX = 30_000  # allowed documents up to which a place filter is scored by hand
POSTINGS_BUDGET = 3_000_000  # postings kept in memory per searcher (about 100 MB at most)


def _rank(searcher, words: list[str], thesaurus: Thesaurus, allowed: set[int], wanted: int,
          narrow: bool, communes) -> Ranked:
    if communes is not None and len(allowed) <= RESTRICTED_MAX:
        return _run_restricted(searcher, words, thesaurus, allowed, wanted)
    query = Q.And([_word_query(searcher, w, thesaurus) for w in words])
    return _run(searcher, query, allowed, wanted, narrow)


def _postings(searcher, word: str) -> dict[int, float]:
    """document -> weight x idf of a word in `all`, cached on the searcher (one index
    generation) within a budget of postings."""
    cache = searcher.__dict__.setdefault("_maillage_postings", {})
    found = cache.get(word)
    if found is None:
        reader = searcher.reader()
        if reader.doc_frequency("all", word):
            idf = searcher.idf("all", word)
            found = {d: w * idf for d, w in _weights(reader.postings("all", word))}
        else:
            found = {}
        size = searcher.__dict__.get("_maillage_postings_size", 0) + len(found)
        if size > POSTINGS_BUDGET:
            cache.clear()
            size = len(found)
        searcher.__dict__["_maillage_postings_size"] = size
        cache[word] = found
    return found


def _weights(matcher):
    """(document, weight) of a posting list. The weights are the ones Whoosh scores with (the
    sections' boosts summed), which `items_as("weight")` does not give for this format (it
    decodes the frequency). A segment's postings are read a block at a time."""
    if hasattr(matcher, "_read_weights") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            yield from zip(matcher._ids[matcher._i:], matcher._weights[matcher._i:],
                           strict=True)
            matcher._next_block()
        return
    while matcher.is_active():  # several segments: one posting at a time
        yield matcher.id(), matcher.weight()
        matcher.next()


def _word_postings(searcher, word: str, thesaurus: Thesaurus) -> dict[int, float]:
    """A word and its synonyms: the best score of any per document (DisjunctionMax)."""
    alts = _alternatives(searcher, word, thesaurus)
    if len(alts) == 1:
        return _postings(searcher, word)
    cache = searcher.__dict__.setdefault("_maillage_postings", {})
    key = ("alts",) + tuple(alts)
    found = cache.get(key)
    if found is None:
        found = {}
        idf = _group_idf(searcher, alts)
        for alt in alts:
            boost = idf / searcher.idf("all", alt)
            for d, s in _postings(searcher, alt).items():
                s *= boost
                if s > found.get(d, 0.0):
                    found[d] = s
        cache[key] = found
    return found


def _run_restricted(searcher, words: list[str], thesaurus: Thesaurus, allowed: set[int],
                    wanted: int) -> Ranked:
    """Words within a set of communes: the allowed documents (hundreds to a few thousand) are
    scored directly, TF-IDF as Whoosh does (sum over the words of weight x idf), instead of
    letting Whoosh score every document of a common word and drop most of them."""
    weights = sorted((_word_postings(searcher, w, thesaurus) for w in words), key=len)
    rarest = weights[0]
    pool = rarest if len(rarest) <= len(allowed) else allowed  # walk the smaller set
    candidates = [d for d in pool if d in allowed and all(d in p for p in weights)]
    scored = heapq.nlargest(wanted, ((sum(p[d] for p in weights), -d) for d in candidates))
    return Ranked([-d for _s, d in scored], [s for s, _d in scored], len(candidates), True)


def _run(searcher, query, allowed: set[int], wanted: int, narrow: bool = False) -> Ranked:
    """The best results only: Whoosh scores in Python, so scoring or counting every match of
    a common word at 100,000 documents costs tens of ms, while its block-max optimisation
    finds the best ones fast, but only without a filter. So a wide filter (visibility) is
    applied to the best results afterwards, fetching more when too many were filtered out; a
    narrow one (a type, communes) is given to Whoosh. The total is exact when the matches fit,
    else an estimate (shown as "about")."""
    limit = wanted if narrow else wanted * 2
    while True:
        results = searcher.search(query, limit=limit, terms=False,
                                  filter=allowed if narrow else None)
        scored = results.scored_length()
        pairs = [(results.docnum(i), results.score(i)) for i in range(scored)]
        if not narrow:
            pairs = [(d, s) for d, s in pairs if d in allowed]
        if len(pairs) >= wanted or scored < limit or limit >= 50 * wanted:
            break
        limit *= 4  # most of the best were not for this person: look further
    exact = scored < limit
    if exact:
        total = len(pairs)
    else:
        share = len(pairs) / scored if scored else 1.0
        total = max(len(pairs), int(results.estimated_length() * share))
    return Ranked([d for d, _ in pairs], [s or 0.0 for _, s in pairs], total, exact)


def _column(searcher, name: str):
    columns = searcher.__dict__.setdefault("_maillage_columns", {})  # costly to open
    if name not in columns:
        columns[name] = searcher.reader().column_reader(name)
    return columns[name]


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
        read = _column(searcher, name)
        return lambda docnum: read[docnum]
    return Result(total=total, hits=hits, exact=exact, facets=facets(
        column, docnums, lambda d: searcher.stored_fields(d).get("skill_ids")))
