"""How results are ordered, and why (the same rules for every backend).

A document is written as five sections, each word weighted by the section it is in:

    name       2   a person's name, or nothing for other kinds
    headline   3   what the profile says it is about; a network's, place's or event's name
    skills     6   the skills declared, with every spelling and synonym of each
    body       1   bio, offers, needs, a description: each distinct word counted ONCE
    place      1   the commune and its EPCI

A word's score in a document is the sum of the weights of the sections it appears in, times
its rarity (idf: a word few documents have says more than a common one); a query's score is
the sum over its words. Why these numbers:

- Skill match over text match: someone who declares "Photographie" scores 6 on that word,
  more than someone whose headline and bio both mention it (3 + 1); a declared skill is what
  the person offers, a mention in a text is context.
- The headline above the bio: it is the one line the person chose to say what they do.
- A passing mention counts once: a bio that repeats "photo" ten times does not outrank the
  photographer (the body's words are de-duplicated when indexed; there is no length
  normalisation either, so a profile with five skills is not penalised against one with one).
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
SECTION_WEIGHTS = (2.0, 3.0, 6.0, 1.0, 1.0)
DEDUPLICATED = frozenset({BODY})  # sections whose words count once per document
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
