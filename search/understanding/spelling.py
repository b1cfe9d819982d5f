"""Corrections of misspelt words against a vocabulary (the index's words and the skills').

The vocabulary is the words (in index form, search/understanding/words.py) of the index and
of the skills; how many documents hold a word is asked of the index when correcting (so a
word deleted since is never proposed). Words are added as the index gets new ones.
Candidates are found the SymSpell way: every word of the vocabulary is filed under itself and
each string made by deleting one of its letters; a typed word and its one-letter deletions
are looked up there, which finds every word within two edits by insertion, deletion,
substitution or the swap of two letters, without comparing the typed word with the whole
vocabulary (microseconds per word, whatever its size). Candidates are then checked with the
real edit distance (one edit up to 6 letters, two above), keep the first letter, and the best
is the closest, then the most frequent.

A word is never corrected when it is a known commune or skill word (the caller says which), a
number, shorter than MIN_LENGTH, or frequent itself (a real word of the territory).
"""
from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 4
FREQUENT = 20  # documents: a word this common is a word, not a typo


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment), stopping above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def max_edits(word: str) -> int:
    return 1 if len(word) <= 6 else 2


@dataclass
class Correction:
    word: str  # as typed (index form)
    correction: str  # index form
    frequency: int  # documents with the correction
    typed_frequency: int  # documents with the word as typed


class Speller:
    def __init__(self, words=()):
        self.words: set[str] = set()
        self._filed: dict[str, list[str]] = {}
        self.add(words)

    def add(self, words) -> None:
        for word in words:
            if word in self.words or len(word) < MIN_LENGTH - 1 or not word.isalpha():
                continue
            self.words.add(word)
            self._filed.setdefault(word, []).append(word)
            for d in _deletes(word):
                self._filed.setdefault(d, []).append(word)

    def nearby(self, word: str) -> set[str]:
        """The words of the vocabulary within two edits of this one (and some further)."""
        found = set()
        for key in {word} | _deletes(word):
            found.update(self._filed.get(key, ()))
        return found

    def candidates(self, word: str, frequency) -> list[tuple[int, int, str]]:
        return candidates(word, self.nearby(word), frequency)

    def correct(self, word: str, protected, frequency) -> Correction | None:
        return correct(word, protected, frequency, self.nearby)


def candidates(word: str, nearby, frequency) -> list[tuple[int, int, str]]:
    """(edits, -documents, candidate) of the words close to this one, best first: within
    max_edits and with the same first letter."""
    limit = max_edits(word)
    out = []
    for candidate in set(nearby) - {word}:
        if not candidate or candidate[0] != word[0]:
            continue
        edits = distance(word, candidate, limit)
        if edits <= limit:
            out.append((edits, -frequency(candidate), candidate))
    return sorted(out)


def correctable(word: str, protected) -> bool:
    """Whether a word may be corrected at all (before its frequency is asked)."""
    return len(word) >= MIN_LENGTH and word.isalpha() and not protected(word)


def correct(word: str, protected, frequency, nearby) -> Correction | None:
    """The correction of one word, or None. `protected(word)`: never corrected;
    `frequency(word)`: how many documents hold it (asked of the index); `nearby(word)`: the
    vocabulary's words close to it (the engine finds them: SymSpell deletes for Whoosh,
    trigrams for PostgreSQL)."""
    if not correctable(word, protected):
        return None
    typed_frequency = frequency(word)
    if typed_frequency >= FREQUENT:
        return None
    for _edits, minus_frequency, candidate in candidates(word, nearby(word), frequency):
        found = -minus_frequency
        if found > typed_frequency:
            return Correction(word, candidate, found, typed_frequency)
    return None


def corrections(words: list[str], protected, frequency, nearby) -> list[tuple[str, str]]:
    """(typed, corrected) for the words of a query that have a correction."""
    out = []
    for word in words:
        fix = correct(word, protected, frequency, nearby)
        if fix is not None:
            out.append((word, fix.correction))
    return out
