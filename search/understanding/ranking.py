"""How results are ordered, and why (the same rules for every backend).

A document is written as five sections, each word weighted by the section it is in:

    name       2   a person's name, or nothing for other kinds
    headline   2 to 3   what the profile says it is about; a network's, place's or event's
                   name: 3 when it is one word ("Photographe"), towards 2 as it gets longer
    skills     4 to 6   the skills declared, with every spelling and synonym of each: 6 for
                   the one skill of a profile, towards 4 among many; each distinct word
                   counted ONCE (a skill with three spellings that read alike is not worth
                   three skills)
    body       1   bio, offers, needs, a description: each distinct word counted ONCE
    place      2   the commune and its EPCI

A word's score in a document is the sum of the weights of the sections it appears in, times
its rarity (idf: a word few documents have says more than a common one); a query's score is
the sum over its words. Why these numbers:

- Skill match over text match: someone who declares "Photographie" scores at least 4 on
  that word, at least as much as someone whose headline and bio both mention it (3 + 1, and
  a headline that says only that word is rare); a declared skill is what the person offers,
  a mention in a text is context.
- Focus: a profile about one thing ("Photographe", one skill: 3 + 6) comes before one that
  lists it among five skills in a long headline (2.2 + 4.4): the issue's photographer, 21st
  of 21 behind such profiles, comes first.
- The headline above the bio: it is the one line the person chose to say what they do.
- A passing mention counts once: a bio that repeats "photo" ten times does not outrank the
  photographer (the body's words are de-duplicated when indexed; there is no length
  normalisation either, so a profile with five skills is not penalised against one with one).
- Living in a place (2) counts more than mentioning it ("je cherche un bureau à Mende": 1).
- A word and its synonyms share one rarity (idf): "menuisier" in a headline and "menuiserie"
  among the skills are one concept, scored by where it appears, not by which spelling.
- A headline and a skill together (the person *is* a photographer and says so) make 9, above
  someone who only lists it among five skills (6): focus wins, as people expect.

Ties are frequent by design (the weights are few and discrete): documents with the same score
matched the same sections, and are then ordered by distance from the place searched, when
there is one (nearest first), then in the index's order.

Corrections (search/understanding/spelling.py): when the words as typed find fewer than
FEW_RESULTS documents, the corrected query's results are added below them; when a corrected
word is far more frequent than the typed one (CORRECTION_DOMINANCE times), the typed word is
taken for a typo and the corrected results come first ("Résultats pour menuisier — rechercher
plutôt « menusier »").
"""
from __future__ import annotations

NAME, HEADLINE, SKILLS, BODY, PLACE = range(5)
SECTION_WEIGHTS = (2.0, 3.0, 6.0, 1.0, 2.0)  # the most each section weighs
SKILL_SEPARATOR = "\x1f"  # between the skills of the skills section: they are counted


def headline_weight(words: int) -> float:
    return 2.0 + 1.0 / max(1, words)


def skills_weight(skills: int) -> float:
    return 4.0 + 2.0 / max(1, skills)
DEDUPLICATED = frozenset({SKILLS, BODY})  # sections whose words count once per document
SECTION_SEPARATOR = "\x1e"  # ASCII record separator: never typed

FEW_RESULTS = 10
CORRECTION_DOMINANCE = 4
SCORE_DIGITS = 6  # scores are rounded before comparing: equal sections, equal score


def sectioned(name: str = "", headline: str = "", skills: str = "", body: str = "",
              place: str = "") -> str:
    """The text of a document, its sections in the order above."""
    return SECTION_SEPARATOR.join(s.replace(SECTION_SEPARATOR, " ")
                                  for s in (name, headline, skills, body, place))


def order_key(score: float, distance_km: float | None, position: int):
    """Sort key (ascending) of a result: score first, then distance, then index order."""
    return (-round(score, SCORE_DIGITS), distance_km if distance_km is not None else 1e9,
            position)


def blend(first: list, second: list) -> list:
    """The first ranked list, then what the second adds, in its order."""
    seen = set(first)
    return list(first) + [d for d in second if d not in seen]
