"""Text keys for matching what people type against what is stored (no app imports)."""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-_'’.]+")


def fold(text: str) -> str:
    """Lowercase, strip accents, turn hyphens/apostrophes/spaces into one space.

    "Saint-Geniez-d'Olt" and "saint geniez d olt" give the same key.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", bare).strip()


def tidy(text: str) -> str:
    """Collapse runs of white space; keep case and accents (for display)."""
    return " ".join(text.split())


# Words that do not make a skill different: "conseil en communication" is "conseil communication".
_SKILL_WORD = re.compile(r"[\w+#]+")
_SKILL_STOPWORDS = frozenset("de du des d la le les l et en a au aux pour the of and for".split())
# Feminine endings to their masculine form, longest first: développeuse -> développeur,
# animatrice -> animateur, menuisière -> menuisier, boulangère -> boulanger, artisane -> artisan.
_FEMININE = (("trice", "teur"), ("euse", "eur"), ("iere", "ier"), ("enne", "en"), ("onne", "on"),
             ("aine", "ain"), ("ante", "ant"), ("ente", "ent"), ("erte", "ert"), ("ere", "er"),
             ("ive", "if"), ("ane", "an"), ("ate", "at"))


def _skill_stem(word: str) -> str:
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        word = word[:-1]  # plural: graphistes -> graphiste, métiers -> métier
    if len(word) > 4:
        for ending, masculine in _FEMININE:
            if word.endswith(ending):
                return word[: -len(ending)] + masculine
    return word


def skill_key(text: str) -> str:
    """The key two spellings of one skill share, for matching (never shown).

    Folded (case, accents), plural and feminine endings reduced, small linking words dropped,
    then words joined without spaces, so hyphens and spaces do not matter either:
    "Développeuses-Web", "développeur web" and "developpeur  web" all give "developpeurweb".
    Synonyms ("dev web", "web developer") are a table of such keys, not a rule.
    """
    words = _SKILL_WORD.findall(fold(text))  # punctuation aside; "C++" and "C#" stay apart
    kept = [w for w in words if w not in _SKILL_STOPWORDS] or words
    return "".join(_skill_stem(w) for w in kept)
