"""Query understanding, independent of the search engine: what a person typed, read as
words (normalised the way the index stores them), a place (a commune, an EPCI, a postcode, a
distance), corrections of misspelt words and synonyms of skills, and the ranking rules.

Nothing here imports an engine: a backend (search/query.py for Whoosh, search/postgres.py for
PostgreSQL) gives a vocabulary with document frequencies and runs the words it is handed; the
app gives
the gazetteer and the skills (search/understanding/sources.py reads them from the database).

- `words.py`: one normalisation for the index and the queries (accents, stop words, "ph",
  "St", gender and plural).
- `places.py`: "à Rodez", "près de St Geniez", "dans le Lévézou", "12000", "20 km".
- `spelling.py`: corrections against the index's vocabulary and the skills' (the engine finds
  the close words: SymSpell deletes for Whoosh, trigrams for PostgreSQL; the rules choose).
- `thesaurus.py`: the skills' one-word synonyms.
- `ranking.py`: the field weights, the order of results, and when a correction is used.
- `results.py`: what a search answers (`Result`), its facets, and the corrected results joined
  to the others by ranking.py's rules: the same code for both engines.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from search.understanding.places import Gazetteer, Notice, Place
from search.understanding.words import WORD, fold_word, normalize


@dataclass
class Understanding:
    """What the search runs: the words left once the place is read, and the place."""
    text: str
    place: Place | None = None
    notices: list[Notice] = field(default_factory=list)
    phrase: str = ""  # the place phrase taken out of the query
    unplaceable: bool = False  # a place was asked for and none is known: find nothing
    near: dict[str, float] | None = None  # distances from a commune named without "à"

    @property
    def communes(self) -> list[str] | None:
        if self.unplaceable:
            return []
        return self.place.communes if self.place else None

    @property
    def distances(self) -> dict[str, float] | None:
        if self.place and self.place.distances:
            return self.place.distances
        return self.near


def understand(gazetteer: Gazetteer, q: str, commune: str = "",
               within_km: int | None = None) -> Understanding:
    """The query and the commune field read together. The field's place wins over a place
    phrase of the query (the phrase's words still leave the text); "20 km" typed in the query
    applies to whichever place there is. A commune field that names no known place is said
    and finds nothing: never a silent search of the whole territory."""
    reading = gazetteer.read_query(q)
    km = within_km or reading.km
    notices = list(reading.notices)
    place = reading.place
    unplaceable = False
    if commune.strip():
        field_reading = gazetteer.read_field(commune, km)
        notices += field_reading.notices
        if field_reading.place is None:
            unplaceable = True
        place = field_reading.place
    elif place is not None and km and place.origin and place.within_km != km:
        place = gazetteer.commune_place([place.origin], km, "query", place.label)
    if reading.km and place is None and not unplaceable:
        notices.append(Notice("no_origin", f"{reading.km} km"))
    near = gazetteer.distances_from(reading.near) if reading.near and place is None else None
    return Understanding(reading.text, place, notices, reading.phrase, unplaceable, near)


def corrected_text(text: str, corrections: list[tuple[str, str]], display) -> str:
    """The query as typed, its corrected words replaced (accented when the skills know them:
    "devloppeur web" -> "développeur web")."""
    fixes = dict(corrections)

    def replace(match):
        term = normalize(match.group())
        if term in fixes:
            return display(fixes[term])
        return match.group()
    return WORD.sub(replace, text)


def respelled(text: str, display) -> str | None:
    """The query with the words written as they sound corrected ("photografe" ->
    "photographe": the index reads both alike, so the results are already right), or None."""
    changed = False

    def replace(match):
        nonlocal changed
        raw = match.group()
        shown = display(normalize(raw)) if normalize(raw) else raw
        if fold_word(raw) != fold_word(shown) and \
                fold_word(raw).replace("ph", "f") == fold_word(shown).replace("ph", "f"):
            changed = True
            return shown
        return raw
    fixed = WORD.sub(replace, text)
    return fixed if changed else None
