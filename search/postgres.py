"""Search on PostgreSQL (SEARCH_BACKEND = "postgres"): the same documents, words and ranking as
the Whoosh index (search/query.py), kept in tables of the application's database and written in
the same transaction as the rows they are made from.

Tables (migrations/versions/0026_postgres_search.py; not models: this module owns them):

- `search_document`: one row per document (key "profile:12", kind, audience, commune, EPCI,
  kind of profile, skills) and `words`, a weighted tsvector of its words in index form
  (search/understanding/words.py: the one normalisation of both engines), the sections labelled
  A skills, B headline, C name and place, D body; a GIN index finds the documents holding all
  the words of a query (each word or one of its synonyms: `(a | b) & c`); `weights` (jsonb,
  word -> weight) scores each match in its row (a posting looked up per match cost ten times
  more).
- `search_posting`: (word, document, weight, audience, commune), the weight the Whoosh index
  gives the word in the document (search/analysis.py: the sections' weights of
  search/understanding/ranking.py); indexed by (word, weight DESC) with the audience and
  commune, so the best documents of one word that a reader may see, anywhere or within
  communes, are read first, from the index alone.
- `search_word`: each word and how many documents hold it (its rarity, idf), with a trigram
  index (pg_trgm): the words close to a misspelt one, which search/understanding/spelling.py's
  rules then choose from.

Scores are Whoosh's TF-IDF: per word, the best weight among its synonyms times their common
rarity; summed over the words (search/understanding/ranking.py). So both engines find the same
documents with the same scores (to SCORE_DIGITS; equal scores come in the documents' order,
where Whoosh's order follows float noise), and pass the same relevance cases
(tests/test_search_relevance.py).

Writes take the documents' rows in key order, then the words' counts in word order: two
transactions writing the same documents or words wait for each other, never deadlock.
"""
from __future__ import annotations

import json
import math
import struct
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from search.analysis import SectionAnalyzer
from search.understanding import ranking
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
from search.understanding.words import query_terms, terms

TABLES = ("search_posting", "search_word", "search_document")
# The tsvector's label of each section (ranking.py: NAME, HEADLINE, SKILLS, BODY, PLACE).
LABELS = ("C", "B", "A", "D", "C")
COUNT_EXACT_UP_TO = 500  # matches counted one by one; above, the total is an estimate
COUNT_EXACT_NEAR = 5000  # the same within communes (few of a word's postings are there)
COUNT_ESTIMATED_ABOVE = 10_000  # documents: above, their number is the planner's estimate
# Longer "words" (a pasted hash, a row of x) are not written: PostgreSQL refuses a lexeme over
# 2,047 bytes and an index entry over about 2,700, which would fail the member's commit.
WORD_MAX_CHARS = 100
_analyzer = SectionAnalyzer()


def not_search_table(object_, name, type_, reflected, compare_to) -> bool:
    """For alembic (`include_object`): these tables are this module's, not models'."""
    table = name if type_ == "table" else getattr(getattr(object_, "table", None), "name", None)
    return table not in TABLES


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


# -- writing ------------------------------------------------------------------------------

def _weights(doc: dict) -> dict[str, float]:
    """word -> weight, exactly as the Whoosh index sums it (one analyzer for both) and stores
    it (a 32-bit float: `search_posting.weight` is a real, `weights` holds the same values)."""
    found: dict[str, float] = {}
    for token in _analyzer(doc["all"]):
        if len(token.text) <= WORD_MAX_CHARS:
            found[token.text] = found.get(token.text, 0.0) + token.boost
    return {w: _FLOAT32.unpack(_FLOAT32.pack(v))[0] for w, v in found.items()}


_FLOAT32 = struct.Struct("f")


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(doc: dict) -> str:
    """The document's words as a tsvector literal: a position per section a word is in,
    labelled by the section."""
    labels: dict[str, list[str]] = {}
    for n, section in enumerate(doc["all"].split(ranking.SECTION_SEPARATOR)[:len(LABELS)]):
        for word in dict.fromkeys(terms(section)):
            if len(word) <= WORD_MAX_CHARS:
                labels.setdefault(word, []).append(LABELS[n])
    position = 0
    out = []
    for word, found in labels.items():
        marks = []
        for label in found:
            position += 1
            marks.append(f"{min(position, 16383)}{label}")
        out.append(f"{_lexeme(word)}:{','.join(marks)}")
    return " ".join(out)


def write(connection, add: list[dict], delete: Iterable[str]) -> None:
    """Write these documents and delete those keys, through `connection` (the caller's
    transaction: sync.py passes the session's own, before its COMMIT)."""
    docs = {d["key"]: d for d in add}
    gone = sorted(set(delete) - set(docs))
    keys = sorted(set(docs) | set(gone))
    if not keys:
        return
    # The rows that exist, locked in key order (two writers of the same keys queue).
    existing = dict(connection.execute(text(
        "SELECT key, id FROM search_document WHERE key = ANY(:keys) ORDER BY key FOR UPDATE"),
        {"keys": keys}).all())
    ids = [existing[k] for k in keys if k in existing]
    counts: Counter = Counter()
    if ids:
        counts.subtract(connection.execute(text(
            "DELETE FROM search_posting WHERE doc = ANY(:ids) RETURNING term"),
            {"ids": ids}).scalars())
    if gone:
        connection.execute(text("DELETE FROM search_document WHERE key = ANY(:keys)"),
                           {"keys": gone})
    ordered = [docs[k] for k in keys if k in docs]
    weights = {d["key"]: _weights(d) for d in ordered}
    if ordered:
        rows = connection.execute(text(
            "INSERT INTO search_document (key, kind, audience, commune, epci, profile_kind, "
            "skill_ids, words, weights) SELECT * FROM unnest(CAST(:keys AS text[]), "
            "CAST(:kinds AS text[]), CAST(:audiences AS text[]), CAST(:communes AS text[]), "
            "CAST(:epcis AS text[]), CAST(:profile_kinds AS text[]), CAST(:skill_ids AS text[]), "
            "CAST(:words AS tsvector[]), CAST(:weights AS jsonb[])) "
            "ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, audience = EXCLUDED.audience, "
            "commune = EXCLUDED.commune, epci = EXCLUDED.epci, "
            "profile_kind = EXCLUDED.profile_kind, skill_ids = EXCLUDED.skill_ids, "
            "words = EXCLUDED.words, weights = EXCLUDED.weights RETURNING key, id"), {
                "keys": [d["key"] for d in ordered], "kinds": [d["kind"] for d in ordered],
                "audiences": [d["audience"] for d in ordered],
                "communes": [d.get("commune") or "" for d in ordered],
                "epcis": [d.get("epci") or "" for d in ordered],
                "profile_kinds": [d.get("profile_kind") or "" for d in ordered],
                "skill_ids": [d.get("skill_ids") or "" for d in ordered],
                "words": [_tsvector(d) for d in ordered],
                "weights": [json.dumps(weights[d["key"]]) for d in ordered]}).all()
        new_ids = dict(rows)
        postings = [(word, new_ids[d["key"]], weight, d["audience"], d.get("commune") or "")
                    for d in ordered for word, weight in weights[d["key"]].items()]
        counts.update(p[0] for p in postings)
        connection.execute(text(
            "INSERT INTO search_posting (term, doc, weight, audience, commune) SELECT * FROM "
            "unnest(CAST(:terms AS text[]), CAST(:docs AS bigint[]), CAST(:weights AS real[]), "
            "CAST(:audiences AS text[]), CAST(:communes AS text[]))"),
            {"terms": [p[0] for p in postings], "docs": [p[1] for p in postings],
             "weights": [p[2] for p in postings], "audiences": [p[3] for p in postings],
             "communes": [p[4] for p in postings]})
    _count_words(connection, counts)


def _count_words(connection, counts: Counter) -> None:
    changed = sorted(w for w, n in counts.items() if n)
    if not changed:
        return
    connection.execute(text(
        "INSERT INTO search_word (word, docs) SELECT * FROM unnest(CAST(:words AS text[]), "
        "CAST(:counts AS integer[])) ON CONFLICT (word) DO UPDATE "
        "SET docs = search_word.docs + EXCLUDED.docs"),
        {"words": changed, "counts": [counts[w] for w in changed]})
    fewer = [w for w in changed if counts[w] < 0]
    if fewer:
        connection.execute(text("DELETE FROM search_word WHERE word = ANY(:words) AND docs <= 0"),
                           {"words": fewer})


def clear(connection) -> None:
    """Every document gone (a rebuild, in its transaction: searches read the old ones until
    it commits)."""
    for table in TABLES:
        connection.execute(text(f"DELETE FROM {table}"))


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
    return " & ".join("(" + " | ".join(_lexeme(a) for a in alts) + ")" for alts in groups)


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
