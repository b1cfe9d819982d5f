"""French-aware analysis for the index and the queries (the same chain for both).

Tokens are words; lowercase; accents folded ("Développeuse" -> "developpeuse"); small linking
words dropped; then gender and plural reduced with the rule the skills use
(models.textkey: développeuse -> développeur, menuisières -> menuisier, graphistes ->
graphiste), and "st"/"ste" read as "saint"/"sainte" for commune names. The *raw* analyzer
stops before the gender/plural step: fuzzy matching for typos works on it.
"""
from __future__ import annotations

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.support.charset import accent_map

from models.textkey import _skill_stem

STOP_WORDS = frozenset(
    "a au aux avec ce ces d dans de des du elle en et il je l la le les leur lui ma mais me "
    "mes mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi "
    "ton tu un une vos votre vous y the of and for".split())
_SAINT = {"st": "saint", "ste": "sainte"}


class SoundFilter(Filter):
    """"ph" sounds "f": "photografe" finds "photographe" (a typo French speakers make)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = token.text.replace("ph", "f")
            yield token


class GenderPluralFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            text = _SAINT.get(token.text) or _skill_stem(token.text)
            token.text = text
            yield token


def raw_analyzer():
    return (RegexTokenizer(r"[\w+#]+") | LowercaseFilter() | CharsetFilter(accent_map)
            | StopFilter(stoplist=STOP_WORDS, minsize=1) | SoundFilter())


def french_analyzer():
    return raw_analyzer() | GenderPluralFilter()
