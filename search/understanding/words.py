"""Words as the index stores them and as queries look them up (the same rule for both).

Lowercase; accents folded ("Développeuse" -> "developpeuse"); small linking words dropped;
"ph" read "f" ("photografe" finds "photographe", a typo French speakers make); "st"/"ste"
read "saint"/"sainte" (commune names); then gender and plural reduced with the rule the skills
use (models.textkey: développeuse -> developpeur, menuisières -> menuisier). Each distinct word
is normalised once per process (a dict): indexing 100,000 profiles analyses millions of words
but only tens of thousands of distinct ones.
"""
from __future__ import annotations

import re
import unicodedata

from models.textkey import _skill_stem

STOP_WORDS = frozenset(
    "a au aux avec ce ces d dans de des du elle en et il je l la le les leur lui ma mais me "
    "mes mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi "
    "ton tu un une vos votre vous y the of and for".split())
_SAINT = {"st": "saint", "ste": "sainte"}
WORD = re.compile(r"[\w+#]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_CACHE: dict[str, str] = {}
_CACHE_MAX = 500_000


def fold_word(word: str) -> str:
    """Lowercase and accents folded, nothing else ("Élodie" -> "elodie")."""
    word = word.lower().translate(_LIGATURES)
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))


def normalize(word: str) -> str:
    """One word (as the tokenizer cut it) to its index form; "" for a stop word."""
    found = _CACHE.get(word)
    if found is None:
        folded = fold_word(word)
        if folded in STOP_WORDS:
            found = ""
        else:
            folded = folded.replace("ph", "f")
            found = _SAINT.get(folded) or _skill_stem(folded)
        if len(_CACHE) < _CACHE_MAX:
            _CACHE[word] = found
    return found


def terms(text: str) -> list[str]:
    """The index forms of a text's words, in order, repeats kept."""
    out = []
    for word in WORD.findall(text):
        term = normalize(word)
        if term:
            out.append(term)
    return out


def query_terms(text: str, limit: int) -> list[str]:
    """The distinct index forms of a query's words, at most `limit`."""
    return list(dict.fromkeys(terms(text)))[:limit]
