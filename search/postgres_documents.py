"""The PostgreSQL search engine's documents (search/postgres.py reads them): written through
the caller's connection, in the same transaction as the rows they are made from
(search/sync.py, before the COMMIT), or all again by a rebuild (search/__init__.py).

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

Writes take the documents' rows in key order, then the words' counts in word order: two
transactions writing the same documents or words wait for each other, never deadlock.
"""
from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import text

from search.analysis import SectionAnalyzer
from search.understanding import ranking
from search.understanding.words import terms

TABLES = ("search_posting", "search_word", "search_document")
# The tsvector's label of each section (ranking.py: NAME, HEADLINE, SKILLS, BODY, PLACE).
LABELS = ("C", "B", "A", "D", "C")
# Longer "words" (a pasted hash, a row of x) are not written: PostgreSQL refuses a lexeme over
# 2,047 bytes and an index entry over about 2,700, which would fail the member's commit.
WORD_MAX_CHARS = 100
_analyzer = SectionAnalyzer()


def not_search_table(object_, name, type_, reflected, compare_to) -> bool:
    """For alembic (`include_object`): these tables are this module's, not models'."""
    table = name if type_ == "table" else getattr(getattr(object_, "table", None), "name", None)
    return table not in TABLES


def _weights(doc: dict) -> dict[str, float]:
    """word -> weight, exactly as the Whoosh index sums it (one analyzer for both) and stores
    it (a 32-bit float: `search_posting.weight` is a real, `weights` holds the same values)."""
    found: dict[str, float] = {}
    for token in _analyzer(doc["all"]):
        if len(token.text) <= WORD_MAX_CHARS:
            found[token.text] = found.get(token.text, 0.0) + token.boost
    return {w: _FLOAT32.unpack(_FLOAT32.pack(v))[0] for w, v in found.items()}


_FLOAT32 = struct.Struct("f")


def lexeme(word: str) -> str:
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
        out.append(f"{lexeme(word)}:{','.join(marks)}")
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
