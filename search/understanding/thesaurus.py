"""The skills' synonyms, as the queries use them.

Each skill has spellings (its name, its English name, its aliases: "Photographie",
"Photography", "photographe", "photographer", "photo de mariage"...). Documents already hold
every spelling of the skills they declare; the thesaurus serves the other direction: a query
word that is a one-word spelling of a skill also looks for the skill's other one-word spellings
("photographie" finds a headline "Photographe"). Multi-word spellings are not expanded (the
documents hold them; "dev web" matches its holders as two words).

It also gives the words never to correct (every word of every spelling) and how to show a
corrected word (its accented spelling: "développeur" rather than "developpeur").
"""
from __future__ import annotations

from collections.abc import Iterable

from search.understanding.words import WORD, fold_word, normalize, terms

ALTERNATIVES_MAX = 6


class Thesaurus:
    def __init__(self, skills: Iterable[tuple[int, Iterable[str]]]):
        """`skills`: (skill id, its spellings)."""
        self.groups: dict[str, set[str]] = {}
        self.words: set[str] = set()
        self.display: dict[str, str] = {}
        self.skills_of: dict[str, set[int]] = {}
        self._raw: list[str] = []
        for skill_id, labels in skills:
            singles = set()
            for label in labels:
                if not label:
                    continue
                found = terms(label)
                self.words.update(found)
                for raw in WORD.findall(label):
                    term = normalize(raw)
                    # Shown for a corrected word: the spelling that reads as the word itself
                    # ("menuisier", not "menuisière"), accents kept ("développeur").
                    if term and fold_word(raw).replace("ph", "f") == term:
                        self.display[term] = raw.lower()
                if len(found) == 1:
                    singles.add(found[0])
                for raw in WORD.findall(label):
                    self._raw.append(raw.lower())
            for word in singles:
                self.groups.setdefault(word, set()).update(singles)
                self.skills_of.setdefault(word, set()).add(skill_id)

    def spelling(self, term: str) -> str:
        """How to show a word of index form: as the skills spell it ("développeur"), else
        with the accents of the closest spelling ("menuisière" -> "menuisier"), else as is."""
        found = self.display.get(term)
        if found is None:
            best, size = term, 0
            for raw in self._raw:
                folded = fold_word(raw).replace("ph", "f")
                k = 0
                while k < min(len(folded), len(term)) and folded[k] == term[k]:
                    k += 1
                if k > size and k >= len(term) - 2 and len(raw) == len(folded):
                    keep = min(k, len(term) - 2)  # the ending is the word's own
                    best, size = raw[:keep] + term[keep:], k
            found = self.display[term] = best
        return found

    def alternatives(self, word: str) -> list[str]:
        """The word first, then its synonyms (a few, most specific first)."""
        group = self.groups.get(word)
        if not group:
            return [word]
        return [word] + sorted(group - {word}, key=lambda w: (len(w), w))[:ALTERNATIVES_MAX - 1]

    def is_known(self, word: str) -> bool:
        return word in self.words

    @classmethod
    def from_catalog(cls, rows: list[dict]) -> Thesaurus:
        """From data/skills.json's rows ({"fr", "en", "synonyms"}), numbered in order."""
        return cls((i, [r.get("fr", ""), r.get("en", ""), *r.get("synonyms", [])])
                   for i, r in enumerate(rows))


EMPTY = Thesaurus(())
