"""Search on PostgreSQL (SEARCH_BACKEND = "postgres"): the same documents, words and ranking as
the Whoosh index (search/query.py), kept in tables of the application's database and written in
the same transaction as the rows they are made from.

The documents and their tables: search/postgres_documents.py.

Scores are Whoosh's TF-IDF: per word, the best weight among its synonyms times their common
rarity; summed over the words (search/understanding/ranking.py). So both engines find the same
documents with the same scores (to SCORE_DIGITS; equal scores come in the documents' order,
where Whoosh's order follows float noise), and pass the same relevance cases
(tests/test_search_relevance.py).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from search.postgres_documents import lexeme
from search.understanding.results import (
    QUERY_MAX_CHARS,
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
from search.understanding.spelling import FREQUENT, correctable, corrections
from search.understanding.thesaurus import EMPTY, Thesaurus
from search.understanding.words import query_terms

COUNT_EXACT_UP_TO = 500  # matches counted one by one; above, the total is an estimate
COUNT_EXACT_NEAR = 5000  # the same within communes (few of a word's postings are there)
COUNT_ESTIMATED_ABOVE = 10_000  # documents: above, their number is the planner's estimate


class PostgresIndex:
    """What search/__init__.py keeps per app for this backend. `engine`: searches read through
    it (the benchmark); None: through the app's session (`models.db`)."""

    backend = "postgres"

    def __init__(self, engine=None):
        self.engine = engine
        self.rebuilding = False  # the documents are rebuilt in one transaction: never half
        self.stale = False

    @contextmanager
    def connection(self):
        if self.engine is not None:
            with self.engine.connect() as connection:
                yield connection
            return
        from models import db
        yield db.session.connection()


# -- reading ------------------------------------------------------------------------------

class _Words:
    """How many documents hold each word (asked once per search), and the rarity (idf)
    Whoosh's TF-IDF gives it: log(documents / (holders + 1)) + 1."""

    def __init__(self, connection, words: Iterable[str], correctable: list[str]):
        """Fetches, in one statement: these words' counts, the number of documents (the
        planner's estimate of it above COUNT_ESTIMATED_ABOVE: a count would read them all),
        and the words near each `correctable` one that is rare (`nearby`)."""
        self.connection = connection
        self.docs: dict[str, int] = {}
        self.near: dict[str, set[str]] = {w: set() for w in correctable}
        self.total = 0
        wanted = list(dict.fromkeys(words))
        rows = connection.execute(text(
            "SELECT '', word, docs FROM search_word WHERE word = ANY(:words) "
            "UNION ALL SELECT 'total', '', CASE WHEN reltuples > :above THEN reltuples::bigint "
            "ELSE (SELECT count(*) FROM search_document) END FROM pg_class "
            "WHERE oid = 'search_document'::regclass "
            f"UNION ALL SELECT t.typed, w.word, w.docs FROM unnest(CAST(:typed AS text[])) "
            f"AS t(typed) JOIN search_word w ON {_NEAR.format(typed='t.typed')} "
            "WHERE coalesce((SELECT s.docs FROM search_word s WHERE s.word = t.typed), 0) "
            "< :frequent"), {"words": wanted, "above": COUNT_ESTIMATED_ABOVE,
                             "typed": correctable, "frequent": FREQUENT}).all()
        for kind, word, docs in rows:
            if kind == "total":
                self.total = int(docs)
                continue
            self.docs[word] = docs
            if kind:
                self.near[kind].add(word)
        for w in wanted:
            self.docs.setdefault(w, 0)

    def fetch(self, words: Iterable[str]) -> None:
        missing = [w for w in dict.fromkeys(words) if w not in self.docs]
        if missing:
            found = dict(self.connection.execute(text(
                "SELECT word, docs FROM search_word WHERE word = ANY(:words)"),
                {"words": missing}).all())
            for w in missing:
                self.docs[w] = found.get(w, 0)

    def frequency(self, word: str) -> int:
        self.fetch([word])
        return self.docs[word]

    def idf(self, word: str) -> float:
        return math.log(max(self.total, 1) / (self.frequency(word) + 1)) + 1

    def nearby(self, word: str) -> set[str]:
        """Words of the documents sharing enough trigrams with this one (pg_trgm), of about
        its length and with its first letter (spelling.py keeps those within its edits)."""
        if word not in self.near:
            rows = self.connection.execute(text(
                f"SELECT word, docs FROM search_word w WHERE {_NEAR.format(typed=':word')}"),
                {"word": word}).all()
            self.docs.update(dict(rows))
            self.near[word] = {w for w, _n in rows}
        return self.near[word]


_NEAR = ("w.word % {typed} AND left(w.word, 1) = left({typed}, 1) "
         "AND abs(length(w.word) - length({typed})) <= 2")


@dataclass
class _Filters:
    audiences: list[str]
    kind: str | None
    communes: list[str] | None
    profile_kind: str | None

    @property
    def on_documents(self) -> bool:
        """Whether a filter needs the documents' rows (the audience and the commune are on
        the postings too)."""
        return bool(self.kind) or bool(self.profile_kind)

    def sql(self, alias: str = "d", posting: str | None = None) -> tuple[str, dict]:
        """The filters on documents `alias`; the audience and commune on postings `posting`
        if given."""
        clauses = [f"{posting or alias}.audience = ANY(:audiences)"]
        params: dict = {"audiences": self.audiences}
        if self.kind:
            clauses.append(f"{alias}.kind = :kind")
            params["kind"] = self.kind
        if self.communes is not None:
            clauses.append(f"{posting or alias}.commune = ANY(:communes)")
            params["communes"] = list(self.communes)
        if self.profile_kind:
            clauses.append(f"{alias}.profile_kind = :profile_kind")
            params["profile_kind"] = self.profile_kind
        return " AND ".join(clauses), params


COLUMNS = "d.id, d.key, d.commune, d.kind, d.epci, d.profile_kind, d.skill_ids"


@dataclass
class _Ranked:
    rows: list  # (id, key, commune, kind, epci, profile_kind, skill_ids)
    scores: list[float]
    total: int
    exact: bool

    def ranking(self, distances: dict[str, float] | None) -> Ranking:
        return Ranking(by_distance(self.rows, self.scores, lambda r: r[2], distances),
                       self.total, self.exact)


def _groups(words: _Words, terms_: list[str], thesaurus: Thesaurus) -> list[list[str]]:
    """Each word with its synonyms found in the documents (the word itself always)."""
    alternatives = [thesaurus.alternatives(w) for w in terms_]
    words.fetch(a for alts in alternatives for a in alts)
    return [alts if len(alts) == 1 else [a for a in alts if a == alts[0] or words.docs[a]]
            for alts in alternatives]


def _tsquery(groups: list[list[str]]) -> str:
    return " & ".join("(" + " | ".join(lexeme(a) for a in alts) + ")" for alts in groups)


def _rank(connection, words: _Words, groups: list[list[str]], filters: _Filters,
          wanted: int) -> _Ranked:
    if any(not any(words.docs[a] for a in alts) for alts in groups):
        return _Ranked([], [], 0, True)  # a word no document holds: nothing to ask
    if len(groups) == 1:
        return _rank_one(connection, words, groups[0], filters, wanted)
    return _rank_matching(connection, words, groups, filters, wanted)


def _rank_matching(connection, words: _Words, groups: list[list[str]], filters: _Filters,
                   wanted: int) -> _Ranked:
    """The documents holding every word (the GIN index), each scored from its row's weights:
    per word, the best of its spellings (GREATEST skips the absent ones) times its rarity."""
    where, params = filters.sql("d")
    parts = []
    for i, alts in enumerate(groups):
        params[f"i{i}"] = max(words.idf(a) for a in alts)
        spellings = []
        for j, alt in enumerate(alts):
            params[f"a{i}_{j}"] = alt
            spellings.append(f"CAST(d.weights ->> :a{i}_{j} AS float8)")
        parts.append(f"coalesce(greatest({', '.join(spellings)}), 0) * :i{i}")
    params.update(q=_tsquery(groups), wanted=wanted)
    rows = connection.execute(text(
        f"SELECT * FROM (SELECT {COLUMNS}, {' + '.join(parts)} AS score, "
        f"count(*) OVER () AS total FROM search_document d "
        f"WHERE d.words @@ CAST(:q AS tsquery) AND {where}) m "
        f"ORDER BY score DESC, id LIMIT :wanted"), params).all()
    return _Ranked([tuple(r[:7]) for r in rows], [r[7] for r in rows],
                   rows[0][8] if rows else 0, True)


def _rank_one(connection, words: _Words, alts: list[str], filters: _Filters,
              wanted: int) -> _Ranked:
    """One word (and its synonyms), anywhere: its best documents read in weight order from
    the postings' index, stopping at `wanted` per spelling, and in the same statement the
    matches counted up to COUNT_EXACT_UP_TO postings (estimated above, as Whoosh does:
    "about")."""
    where, params = filters.sql("d", posting="p")
    # The audience and commune are on the postings: without another filter, the index alone
    # answers.
    join = " JOIN search_document d ON d.id = p.doc" if filters.on_documents else ""
    selects = []
    for i, alt in enumerate(alts):
        params[f"a{i}"] = alt
        selects.append(f"(SELECT p.doc, p.weight FROM search_posting p{join} "
                       f"WHERE p.term = :a{i} AND {where} "
                       f"ORDER BY p.weight DESC, p.doc LIMIT :wanted)")
    cap = COUNT_EXACT_UP_TO if filters.communes is None else COUNT_EXACT_NEAR
    params.update(wanted=wanted, alts=alts, cap=cap)
    rows = connection.execute(text(
        f"SELECT {COLUMNS}, top.weight, counted.* FROM (SELECT doc, max(weight) AS weight "
        f"FROM ({' UNION ALL '.join(selects)}) spellings GROUP BY doc "
        f"ORDER BY 2 DESC, doc LIMIT :wanted) top JOIN search_document d ON d.id = top.doc "
        f"CROSS JOIN (SELECT count(DISTINCT doc) FILTER (WHERE visible), "
        f"count(*) FILTER (WHERE visible), count(*) FROM (SELECT p.doc, {where} AS visible "
        f"FROM search_posting p{join} WHERE p.term = ANY(:alts) LIMIT :cap) x) counted "
        f"ORDER BY top.weight DESC, top.doc"), params).all()
    idf = max(words.idf(a) for a in alts)
    seen, visible, scanned = rows[0][8:11] if rows else (0, 0, 0)
    if scanned < cap:
        total, exact = seen, True
    else:
        holders = min(words.total, sum(words.frequency(a) for a in alts))
        total, exact = max(seen, len(rows), int(holders * visible / scanned)), False
    return _Ranked([tuple(r[:7]) for r in rows], [r[7] * idf for r in rows], total, exact)


def _everything(connection, filters: _Filters, wanted: int) -> _Ranked:
    """No words: what this person may see with the filters, in the documents' order."""
    where, params = filters.sql("d")
    params["wanted"] = wanted
    rows = connection.execute(text(
        f"SELECT {COLUMNS}, count(*) OVER () FROM search_document d WHERE {where} "
        f"ORDER BY d.id LIMIT :wanted"), params).all()
    return _Ranked([tuple(r[:7]) for r in rows], [1.0] * len(rows),
                   rows[0][7] if rows else 0, True)


def search(index: PostgresIndex, text_: str, *, member: bool, network_ids: list[int] = (),
           kind: str | None = None, communes: list[str] | None = None, page: int = 1,
           per_page: int = 20, distances: dict[str, float] | None = None,
           profile_kind: str | None = None, thesaurus: Thesaurus | None = None,
           protected=frozenset(), correct: bool = True) -> Result:
    """As search/query.py: search (the same arguments, the same answer)."""
    thesaurus = thesaurus or EMPTY
    terms_ = query_terms(text_[:QUERY_MAX_CHARS], WORDS_MAX)
    page = max(1, page)
    wanted = max(TOP, page * per_page)
    filters = _Filters(audiences(member, list(network_ids)), kind,
                       list(communes) if communes is not None else None, profile_kind)
    with index.connection() as connection:
        if not terms_:
            return _result(_everything(connection, filters, wanted).ranking(distances),
                           page, per_page)
        never = lambda w: w in protected or thesaurus.is_known(w)  # noqa: E731
        words = _Words(connection, (a for w in terms_ for a in thesaurus.alternatives(w)),
                       [w for w in terms_ if correct and correctable(w, never)])
        typed = _rank(connection, words, _groups(words, terms_, thesaurus), filters, wanted)
        shown = typed.ranking(distances)
        found, mode = [], None
        if correct:
            found = corrections(terms_, never, words.frequency, words.nearby)
        if found:
            fixed_terms = [dict(found).get(w, w) for w in terms_]
            fixed = _rank(connection, words, _groups(words, fixed_terms, thesaurus), filters,
                          wanted)
            shown, mode = with_corrections(shown, fixed.ranking(distances),
                                           dominant(found, words.frequency))
    return finish(_result(shown, page, per_page), terms_, found, mode)


def _result(ranked: Ranking, page: int, per_page: int) -> Result:
    hits = []
    for row in page_of(ranked.order, page, per_page):
        kind, _, ident = row[1].partition(":")
        hits.append(Hit(kind, int(ident), 0.0))
    if not ranked.order:
        return Result(total=ranked.total, hits=hits, exact=ranked.exact, facets=empty_facets())
    column = {"kind": 3, "epci": 4, "profile_kind": 5}
    return Result(total=ranked.total, hits=hits, exact=ranked.exact, facets=facets(
        lambda name: lambda row: row[column[name]], ranked.order, lambda row: row[6]))
