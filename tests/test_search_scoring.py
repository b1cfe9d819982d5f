"""Several words are scored by hand (search/scoring.py: _run_restricted, from postings kept per
searcher, a common word read only at the candidates): the documents, scores and order of a
plain computation over every posting (each word counts its best spelling: ranking.py), and
for words without synonyms the same as Whoosh's own search of an And of the words. (Whoosh's
DisjunctionMax is no reference for synonyms: it scores a document with the score of a synonym
whose postings are on another document.)"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import query as Q

from bench.search import documents
from search import query as sq
from search import scoring
from search.index import SearchIndex
from search.understanding.ranking import SECTION_SEPARATOR, sectioned
from search.understanding.thesaurus import Thesaurus
from search.understanding.words import query_terms

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("menuiserie rodez", "web independant", "graphisme millau", "developpeur web",
           "photographie saint affrique", "independant partenaire", "independant cherche",
           "comptabilite gestion millau", "comptabilite millau", "menuisier rodez",
           "maraichage independant")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    places = json.loads((ROOT / "data" / "communes.json").read_text("utf-8"))["communes"]
    docs = list(documents(3000, places))
    # Synonyms the synthetic profiles lack (a word and its synonyms score as one: DisjunctionMax)
    spellings = ["Menuisier", "Agencement", "Compta", "Comptable", "Fiscalité", "Maraîcher"]
    for n, doc in enumerate(docs[:600]):
        name, headline, skills, body, place = doc["all"].split(SECTION_SEPARATOR)
        doc["all"] = sectioned(name, f"{spellings[n % 6]} {headline}", skills, body, place)
    index = SearchIndex(tmp_path_factory.mktemp("ix"))
    index.write(docs, [])
    return index


@pytest.fixture(scope="module")
def thesaurus():
    return Thesaurus.from_catalog(json.loads((ROOT / "data" / "skills.json").read_text("utf-8")))


@pytest.mark.parametrize("full_read_max", [scoring.FULL_READ_MAX, 20])
def test_several_words_rank_as_whoosh_would(index, thesaurus, monkeypatch, full_read_max):
    monkeypatch.setattr(scoring, "FULL_READ_MAX", full_read_max)  # 20: common words looked up
    compared = looked_up = 0
    for text in QUERIES:
        forget(index)
        words = query_terms(text, sq.WORDS_MAX)
        with index.searcher() as searcher:
            assert min(scoring._documents_of(searcher, w, thesaurus) for w in words) \
                <= scoring.RAREST_MAX  # scored by hand
            allowed = sq._allowed_docs(searcher, ("public", "members"), None, None)
            mine = scoring.rank(searcher, words, thesaurus, allowed, sq.TOP, False, None)
            query = Q.And([scoring._word_query(searcher, w, thesaurus) for w in words])
            theirs = scoring.run(searcher, query, allowed, sq.TOP, narrow=True)
            largest = max(searcher.doc_frequency("all", w) for w in words)
            expected = plain_scores(searcher, words, thesaurus, allowed)
        assert (mine.total, mine.exact) == (len(expected), True), text
        assert ranked(mine.docnums, mine.scores) == ranked(list(expected), list(expected.values())), text
        if all(len(thesaurus.alternatives(w)) == 1 for w in words):
            assert mine.docnums == theirs.docnums, text
            assert mine.scores == pytest.approx(theirs.scores, rel=1e-6), text
        hits = sq.search(index, text, member=True, per_page=50, thesaurus=thesaurus,
                         correct=False).hits
        with index.searcher() as searcher:
            keys = [searcher.stored_fields(d)["key"] for d in mine.docnums[:50]]
        assert [f"{h.kind}:{h.id}" for h in hits] == keys, text
        compared += bool(hits)
        looked_up += bool(hits) and largest > full_read_max
    assert compared >= 5 and (looked_up >= 3 or full_read_max > 3000)


def ranked(docnums, scores) -> list[tuple[float, int]]:
    """The best TOP, by score then document number (scores rounded: equal sums of the same
    weights, added in another order, may differ in the last digit)."""
    return sorted((-round(s, 6), d) for d, s in zip(docnums, scores, strict=True))[:sq.TOP]


def plain_scores(searcher, words, thesaurus, allowed) -> dict[int, float]:
    """document -> sum over the words of the best (weight x the group's idf) of its spellings,
    for the allowed documents that have every word."""
    reader = searcher.reader()
    totals: dict[int, float] = {}
    for n, word in enumerate(words):
        alts = [a for a in thesaurus.alternatives(word) if reader.doc_frequency("all", a)]
        idf = max((searcher.idf("all", a) for a in alts), default=0.0)
        best: dict[int, float] = {}
        for alt in alts:
            postings = reader.postings("all", alt)
            while postings.is_active():
                d = postings.id()
                best[d] = max(best.get(d, 0.0), postings.weight() * idf)
                postings.next()
        totals = {d: s + totals.get(d, 0.0) for d, s in best.items()
                  if d in allowed and (n == 0 or d in totals)}
    return totals


def forget(index: SearchIndex) -> None:
    """The next query opens a new searcher: nothing kept from the last one."""
    kept = getattr(index._local, "searcher", None)
    if kept is not None:
        kept.close()
        index._local.searcher = None
