"""The Whoosh analyzer: the words of search/understanding/words.py (one normalisation for the
index and the queries), each weighted by the section of the document it is in
(search/understanding/ranking.py: SECTION_WEIGHTS, carried as the token's boost, which Whoosh's
Frequency format sums into the posting's weight), the body's words counted once.

One class rather than a chain of Whoosh filters: a chain handles every token through five
Python generators, this one looks each distinct word up once in a dict (indexing is three times
faster, and indexing speed is what a rebuild waits on).
"""
from __future__ import annotations

from whoosh.analysis import Analyzer, Token

from search.understanding.ranking import (
    DEDUPLICATED,
    HEADLINE,
    SECTION_SEPARATOR,
    SECTION_WEIGHTS,
    SKILL_SEPARATOR,
    SKILLS,
    headline_weight,
    skills_weight,
)
from search.understanding.words import WORD, normalize, terms


class SectionAnalyzer(Analyzer):
    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        sections = value.split(SECTION_SEPARATOR) if mode != "query" else [value]
        weighted = len(sections) > 1
        pos = start_pos
        for n, section in enumerate(sections):
            boost = SECTION_WEIGHTS[n] if weighted and n < len(SECTION_WEIGHTS) else 1.0
            if weighted and n == HEADLINE:
                boost = headline_weight(len(terms(section)))
            elif weighted and n == SKILLS:
                boost = skills_weight(section.count(SKILL_SEPARATOR) + 1)
            seen = set() if weighted and n in DEDUPLICATED else None
            for word in WORD.findall(section):
                term = normalize(word)
                if not term:
                    continue
                if seen is not None:
                    if term in seen:
                        continue
                    seen.add(term)
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
