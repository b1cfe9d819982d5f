"""How the Whoosh engine ranks: each word and its skill synonyms as one query (the best of them
counts, with one rarity: DisjunctionMax), Whoosh's own search for the best results of a common
word, and scoring by hand from postings kept per searcher when the documents to score are few
(a place filter, a rare word among several). search/query.py asks `rank` and `run`; both give
the same scores (tests/test_search_scoring.py).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

from whoosh import query as Q

from search.understanding.results import by_distance
from search.understanding.thesaurus import Thesaurus


@dataclass
class Ranked:
    docnums: list[int]
    scores: list[float]
    total: int
    exact: bool

    def order(self, searcher, distances: dict[str, float] | None) -> list[int]:
        """Ranked document numbers: score, then distance from the place (ranking.py)."""
        communes = column(searcher, "commune") if distances and self.docnums else None
        return by_distance(self.docnums, self.scores, lambda d: communes[d], distances)


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
RAREST_MAX = 30_000  # documents of the rarest of several words up to which they are by hand
POSTINGS_BUDGET = 3_000_000  # postings kept in memory per searcher (about 100 MB at most)


def rank(searcher, words: list[str], thesaurus: Thesaurus, allowed: set[int], wanted: int,
          narrow: bool, communes) -> Ranked:
    if communes is not None and len(allowed) <= RESTRICTED_MAX or len(words) > 1 and min(
            _documents_of(searcher, w, thesaurus) for w in words) <= RAREST_MAX:
        return _run_restricted(searcher, words, thesaurus, allowed, wanted)
    query = Q.And([_word_query(searcher, w, thesaurus) for w in words])
    return run(searcher, query, allowed, wanted, narrow)


def _documents_of(searcher, word: str, thesaurus: Thesaurus) -> int:
    """At most how many documents have the word or a synonym."""
    return sum(searcher.doc_frequency("all", a) for a in _alternatives(searcher, word, thesaurus))


def _postings(searcher, word: str) -> dict[int, float]:
    """document -> weight x idf of a word in `all`, cached on the searcher (one index
    generation) within a budget of postings."""
    cache = searcher.__dict__.setdefault("_maillage_postings", {})
    found = cache.get(word)
    if found is None:
        reader = searcher.reader()
        if reader.doc_frequency("all", word):
            idf = searcher.idf("all", word)
            found = {}
            for ids, weights in _blocks(reader.postings("all", word)):
                found.update(zip(ids, map(idf.__mul__, weights), strict=True))
        else:
            found = {}
        size = searcher.__dict__.get("_maillage_postings_size", 0) + len(found)
        if size > POSTINGS_BUDGET:
            cache.clear()
            size = len(found)
        searcher.__dict__["_maillage_postings_size"] = size
        cache[word] = found
    return found


def _blocks(matcher):
    """(documents, weights) of a posting list, a block at a time (a dict is filled from them in
    C). The weights are the ones Whoosh scores with (the sections' boosts summed), which
    `items_as("weight")` does not give for this format (it decodes the frequency)."""
    if hasattr(matcher, "_read_weights") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            yield matcher._ids[matcher._i:], matcher._weights[matcher._i:]
            matcher._next_block()
        return
    ids, weights = [], []
    while matcher.is_active():  # several segments, or postings in the term's entry
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


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
    """Scored directly, TF-IDF as Whoosh does (sum over the words of weight x idf), from each
    word's postings kept per searcher: words within a set of communes (the allowed documents,
    hundreds to a few thousand, instead of letting Whoosh score every document of a common word
    and drop most of them), or several words one of which is rare enough (its documents are
    the candidates, looked up in the others' postings: Whoosh's intersection moves through the
    posting blocks of each word a Python call per posting, four times FTS5's time). A word of
    more than FULL_READ_MAX documents is read at the candidates only."""
    by_rarity = sorted(words, key=lambda w: _documents_of(searcher, w, thesaurus))
    rarest = _word_postings(searcher, by_rarity[0], thesaurus)
    if len(rarest) <= len(allowed):  # walk the smaller set
        candidates = sorted(filter(allowed.__contains__, rarest))
    else:
        candidates = sorted(filter(rarest.__contains__, allowed))
    weights = [rarest]
    for word in by_rarity[1:]:
        if not candidates:
            break
        found = _word_postings_at(searcher, word, thesaurus, candidates)
        candidates = [d for d in candidates if d in found]
        weights.append(found)
    weights.sort(key=len)
    scored = heapq.nlargest(wanted, ((sum(p[d] for p in weights), -d) for d in candidates))
    return Ranked([-d for _s, d in scored], [s for s, _d in scored], len(candidates), True)


FULL_READ_MAX = 30_000  # postings of a word read whole (and kept); past that, where needed


def _word_postings_at(searcher, word: str, thesaurus: Thesaurus,
                      docs: list[int]) -> dict[int, float]:
    """`_word_postings` at these documents (sorted) only: a common word's postings are not
    read whole for a few hundred candidates, only the blocks that hold some."""
    cache = searcher.__dict__.setdefault("_maillage_postings", {})
    alts = _alternatives(searcher, word, thesaurus)
    key = word if len(alts) == 1 else ("alts",) + tuple(alts)
    if key in cache or _documents_of(searcher, word, thesaurus) <= FULL_READ_MAX:
        return _word_postings(searcher, word, thesaurus)
    reader = searcher.reader()
    group_idf = _group_idf(searcher, alts)
    found: dict[int, float] = {}
    for alt in alts:
        if not reader.doc_frequency("all", alt):
            continue
        idf = searcher.idf("all", alt)
        boost = group_idf / idf if len(alts) > 1 else 1.0
        for d, w in _weights_at(reader.postings("all", alt), docs):
            s = w * idf * boost if len(alts) > 1 else w * idf
            if s > found.get(d, 0.0):
                found[d] = s
    return found


def _weights_at(matcher, docs: list[int]):
    """(document, weight) of a posting list at these documents (sorted): a block is skipped
    on its header (its last document) unless it holds one of them."""
    if not (hasattr(matcher, "_read_weights") and hasattr(matcher, "_next_block")):
        for d in docs:  # several segments, or a few postings kept in the term's entry
            if not matcher.is_active():
                return
            if matcher.id() < d:
                matcher.skip_to(d)
            if matcher.is_active() and matcher.id() == d:
                yield d, matcher.weight()
        return
    i, n = 0, len(docs)
    while i < n and matcher.is_active():
        last = matcher.block_max_id()
        if docs[i] <= last:
            matcher._read_ids()
            matcher._read_weights()
            block = dict(zip(matcher._ids, matcher._weights, strict=True))
            while i < n and docs[i] <= last:
                weight = block.get(docs[i])
                if weight is not None:
                    yield docs[i], weight
                i += 1
        matcher._next_block()


def run(searcher, query, allowed: set[int], wanted: int, narrow: bool = False) -> Ranked:
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


def column(searcher, name: str):
    columns = searcher.__dict__.setdefault("_maillage_columns", {})  # costly to open
    if name not in columns:
        columns[name] = searcher.reader().column_reader(name)
    return columns[name]
