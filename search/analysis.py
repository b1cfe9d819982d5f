"""The Whoosh analyzer: the words of search/understanding/words.py (one normalisation for the
index and the queries), each weighted by the section of the document it is in
(search/understanding/ranking.py: SECTION_WEIGHTS, carried as the token's boost, which Whoosh's
Frequency format sums into the posting's weight), the body's words counted once.

One class rather than a chain of Whoosh filters: a chain handles every token through five
Python generators, this one looks each distinct word up once in a dict (indexing is three times
faster, and indexing speed is what a rebuild waits on). `sections` is the same reading
without Whoosh's Token objects, for the rebuild's bulk writer (search/bulk.py).
"""
from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Analyzer, Token

from search.understanding.ranking import (
    DEDUPLICATED,
    HEADLINE,
    PLACE,
    SECTION_SEPARATOR,
    SECTION_WEIGHTS,
    SKILL_SEPARATOR,
    SKILLS,
    headline_weight,
    skills_weight,
)
from search.understanding.words import WORD, normalize, terms


class _Kept(dict):
    """A dict that reads what it lacks (`read(key)`) and keeps it, up to `most` entries:
    looked up with `map(kept.__getitem__, keys)`, a loop in C but for the misses."""

    def __init__(self, read, most: int):
        super().__init__()
        self.read, self.most = read, most

    def __missing__(self, key):
        found = self.read(key)
        if len(self) >= self.most:
            self.clear()
        self[key] = found
        return found


# Each distinct word is normalised once; a skill's text (its names and aliases) and a place
# (a commune and its EPCI) are read once too: they repeat from one document to the next in
# any territory (a few hundred skills, a few hundred communes).
_terms = _Kept(normalize, 500_000)


def _words(text: str) -> list[str]:
    return list(filter(None, map(_terms.__getitem__, WORD.findall(text))))


_skills = _Kept(lambda text: tuple(_words(text)), 50_000)
_places = _Kept(lambda text: tuple(_words(text)), 50_000)


def _section(n: int, section: str) -> tuple[float, list[str] | tuple[str, ...]]:
    """The boost of one section and its terms in order, a deduplicated section's once."""
    if n == SKILLS:
        skills = section.split(SKILL_SEPARATOR)
        found = [t for skill in skills for t in _skills[skill]]
        boost = skills_weight(len(skills))
    elif n == PLACE:
        found = _places[section]
        boost = SECTION_WEIGHTS[n]
    else:
        found = _words(section)
        boost = headline_weight(len(found)) if n == HEADLINE else \
            SECTION_WEIGHTS[n] if n < len(SECTION_WEIGHTS) else 1.0
    if n in DEDUPLICATED:
        found = tuple(dict.fromkeys(found))
    return boost, found


def sections(value: str) -> list[tuple[float, list[str] | tuple[str, ...]]]:
    """(boost, terms) of each section of a document's text (search/understanding/ranking.py:
    sectioned), in order; a text without sections (a query) is one section of weight 1."""
    parts = value.split(SECTION_SEPARATOR)
    if len(parts) == 1:
        return [(1.0, _words(value))]
    return [_section(n, part) for n, part in enumerate(parts) if part]


def weighted_tokens(value: str) -> Iterator[tuple[str, float]]:
    """(term, boost) of a document's text, in order."""
    for boost, found in sections(value):
        for term in found:
            yield term, boost


class SectionAnalyzer(Analyzer):
    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        tokens = weighted_tokens(value) if mode != "query" else (
            (t, 1.0) for t in terms(value))
        for term, boost in tokens:
            token.text = term
            token.boost = boost
            token.stopped = False
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = token.endchar = start_char
            yield token


def french_analyzer() -> SectionAnalyzer:
    return SectionAnalyzer()
