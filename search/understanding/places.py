"""Places typed in the query or in the commune field, read against the gazetteer.

Recognised in the query (folded: accents, case, hyphens, "St"/"Ste"):

    à Rodez, a Rodez          the commune, and NEAR_KM around it (its neighbours too)
    près de X, autour de X,   X and AROUND_KM around it
    vers X, proche de X
    dans le Lévézou, en X     an EPCI (its name or one of its distinctive words: "Lévézou",
                              "Pays Ségali"; "l'Aubrac" names every EPCI with that word, as
                              a pays spans several), else a commune
    12000                     the communes of that postcode (a five-digit number)
    20 km, 20km               the distance around the place (at most MAX_KM)

The longest name wins ("à Saint-Geniez-d'Olt-et-d'Aubrac", not "à Saint"). What follows a
place word that is no known place is said, never silently dropped: "Commune inconnue : Rodes —
vouliez-vous dire Rodez ?" (a `Notice`), with the closest names; a name shared by several
communes is said too, and all of them are searched. The words of a recognised place phrase
leave the text query (a chip shows the place instead, removable).

Plain data in, plain data out: the app builds the `Gazetteer` from the database
(search/understanding/sources.py), the benchmark from data/communes.json.
"""
from __future__ import annotations

import bisect
import difflib
import math
import re
from dataclasses import dataclass, field

from models.textkey import fold

NEAR_KM = 10
AROUND_KM = 20
MAX_KM = 200
NAME_WORDS_MAX = 8  # the longest commune name, in words
# Words of EPCI names that do not tell one from another.
_EPCI_COMMON = frozenset("cc ca cu communaute communautes commune communes agglomeration "
                         "de du des d la le les l et en au aux sur pays grand grands "
                         "vallee vallees".split())
_TRIGGERS = (  # folded words -> (kind, default distance)
    (("pres", "de"), "near", AROUND_KM), (("autour", "de"), "near", AROUND_KM),
    (("proche", "de"), "near", AROUND_KM), (("vers",), "near", AROUND_KM),
    (("dans", "le"), "area", None), (("dans", "la"), "area", None),
    (("dans", "les"), "area", None), (("dans", "l"), "area", None), (("dans",), "area", None),
    (("en",), "area", None), (("a",), "at", NEAR_KM), (("au",), "area", None),
)
_TOKEN = re.compile(r"\d+\s*km\b|[^\W_]+", re.UNICODE)
_WEAK = frozenset({("en",), ("au",)})  # common words: a place only when a known name follows


def name_key(text: str) -> str:
    """As app/territory/gazetteer.py: folded, "st" -> "saint"; punctuation aside ("CC Aubrac,
    Carladez et Viadène")."""
    words = re.findall(r"[^\W_]+", fold(text))
    return " ".join("saint" if w == "st" else "sainte" if w == "ste" else w for w in words)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class CommuneRow:
    insee: str
    name: str
    postcodes: tuple[str, ...]
    epci_code: str | None
    lat: float
    lon: float
    population: int = 0


@dataclass
class Place:
    """A place filter: communes (INSEE codes), and the distances from its centre."""
    label: str  # shown on the chip: "Rodez · 20 km", "CC de Lévézou Pareloup", "12000"
    communes: list[str]
    origin: str | None = None  # INSEE code of the centre, when there is one
    within_km: int | None = None
    distances: dict[str, float] = field(default_factory=dict)
    source: str = "query"  # "query" (a phrase of the query) or "field" (the commune field)


@dataclass
class Notice:
    """Something said about a place: unknown (with suggestions) or ambiguous."""
    kind: str  # "unknown" | "ambiguous"
    typed: str
    suggestions: list[str] = field(default_factory=list)  # commune or EPCI names
    source: str = "query"


@dataclass
class Reading:
    text: str  # the query without its place phrase
    place: Place | None = None
    notices: list[Notice] = field(default_factory=list)
    phrase: str = ""  # the place phrase as typed, removed from the text
    km: int | None = None  # "20 km" typed in the query
    # A commune named without a place word ("photographe mende"): its words stay in the
    # query, and results of equal score come nearest first.
    near: str | None = None


class Gazetteer:
    def __init__(self, communes: list[CommuneRow], epcis: dict[str, str]):
        self.communes = {c.insee: c for c in communes}
        self.epcis = dict(epcis)
        self.by_key: dict[str, list[str]] = {}
        self.by_postcode: dict[str, list[str]] = {}
        for c in communes:
            self.by_key.setdefault(name_key(c.name), []).append(c.insee)
            for postcode in c.postcodes:
                self.by_postcode.setdefault(postcode, []).append(c.insee)
        self.epci_by_key: dict[str, set[str]] = {}
        for code, name in self.epcis.items():
            key = name_key(name)
            self.epci_by_key.setdefault(key, set()).add(code)
            words = [w for w in key.split() if w not in _EPCI_COMMON and len(w) > 2]
            self.epci_by_key.setdefault(" ".join(words), set()).add(code)
            for w in words:
                self.epci_by_key.setdefault(w, set()).add(code)
            for a, b in zip(words, words[1:], strict=False):  # "pays segali": the distinctive pairs too
                self.epci_by_key.setdefault(f"{a} {b}", set()).add(code)
        self.epci_by_key.pop("", None)
        self.members: dict[str, list[str]] = {}
        for c in communes:
            if c.epci_code:
                self.members.setdefault(c.epci_code, []).append(c.insee)
        self._sorted: dict[str, tuple[list[float], list[str]]] = {}
        self.first_words = {k.split()[0] for k in self.by_key} | \
            {k.split()[0] for k in self.epci_by_key}

    @property
    def words(self) -> frozenset[str]:
        """Every word of a commune or EPCI name, in index form: never corrected."""
        if not hasattr(self, "_words"):
            from search.understanding.words import terms
            found = set()
            for c in self.communes.values():
                found.update(terms(c.name))
            for name in self.epcis.values():
                found.update(terms(name))
            self._words = frozenset(found)
        return self._words

    # -- distances ------------------------------------------------------------------------
    def around(self, insee: str, km: float) -> dict[str, float]:
        """The communes within `km` of this one, with their distance."""
        if insee not in self.communes:
            return {}
        if insee not in self._sorted:
            home = self.communes[insee]
            pairs = sorted((haversine_km(home.lat, home.lon, c.lat, c.lon), c.insee)
                           for c in self.communes.values())
            self._sorted[insee] = ([d for d, _ in pairs], [i for _, i in pairs])
        distances, codes = self._sorted[insee]
        end = bisect.bisect_right(distances, km)
        return dict(zip(codes[:end], distances[:end], strict=False))

    def distances_from(self, insee: str) -> dict[str, float]:
        return self.around(insee, 1e9)

    # -- names ----------------------------------------------------------------------------
    def label(self, insee: str) -> str:
        c = self.communes[insee]
        return f"{c.name} ({c.postcodes[0]})" if c.postcodes else c.name

    def close_names(self, typed: str, limit: int = 3) -> list[str]:
        """The commune and EPCI names closest to a name that matches none."""
        key = name_key(typed)
        if len(key) < 3:
            return []
        names = list(self.by_key) + [k for k in self.epci_by_key if " " not in k]
        out = []
        for found in difflib.get_close_matches(key, names, n=limit, cutoff=0.75):
            if found in self.by_key:
                out += [self.communes[i].name for i in self.by_key[found]]
            else:
                out += [self.epcis[c] for c in sorted(self.epci_by_key[found])]
        return list(dict.fromkeys(out))[:limit]

    def commune_place(self, insees: list[str], within: int | None, source: str,
                      typed: str) -> Place:
        """A place from one or several communes, with a distance around the first."""
        if len(insees) == 1 and within:
            around = self.around(insees[0], within)
            return Place(f"{self.communes[insees[0]].name} · {within} km", sorted(around),
                         insees[0], within, around, source)
        name = self.communes[insees[0]].name if len(insees) == 1 else typed
        origin = insees[0] if len(insees) == 1 else None
        distances = self.around(origin, 0) if origin else {}
        return Place(name, sorted(insees), origin, None, distances, source)

    def epci_place(self, codes: set[str], source: str, typed: str = "") -> Place:
        communes = sorted(i for c in codes for i in self.members.get(c, []))
        label = self.epcis[next(iter(codes))] if len(codes) == 1 else \
            f"{typed[:1].upper()}{typed[1:]} · {len(codes)} EPCI"
        return Place(label, communes, None, None, {}, source)

    # -- the commune field ----------------------------------------------------------------
    def read_field(self, typed: str, within: int | None) -> Reading:
        """The commune field: a name, "Name (postcode)", a postcode or an INSEE code."""
        typed = typed.strip()[:120]
        within = min(max(within, 0), MAX_KM) if within else None
        if not typed:
            return Reading("")
        insees = self.match(typed)
        if not insees:
            epcis = self.epci_by_key.get(name_key(typed))
            if epcis:
                return Reading("", self.epci_place(epcis, "field", typed))
            return Reading("", None, [Notice("unknown", typed, self.close_names(typed),
                                             "field")])
        notices = []
        if len(insees) > 1 and not (typed.isdigit() and len(typed) == 5):
            notices.append(Notice("ambiguous", typed,
                                  [self.label(i) for i in insees], "field"))
        return Reading("", self.commune_place(insees, within, "field", typed), notices)

    def match(self, typed: str) -> list[str]:
        typed = typed.strip()
        if typed.isascii() and typed.isdigit() and len(typed) == 5:
            return list(self.by_postcode.get(typed, [])) or \
                ([typed] if typed in self.communes else [])
        name, postcode = typed, None
        head, paren, tail = typed.rpartition("(")
        if paren and tail.rstrip().endswith(")"):
            inside = tail.rstrip()[:-1].strip()
            if inside.isdigit() and len(inside) == 5:
                name, postcode = head, inside
        found = sorted(self.by_key.get(name_key(name), []))
        if postcode:
            found = [i for i in found if postcode in self.communes[i].postcodes] or found
        return found

    # -- the query ------------------------------------------------------------------------
    def read_query(self, text: str) -> Reading:
        """The place phrase of a query, if any, and the rest of the query."""
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        folded = [name_key(t[0]) for t in tokens]
        km = None
        kept = list(range(len(tokens)))
        for i, f in enumerate(folded):
            match = re.fullmatch(r"(\d+)\s*km", f)
            if match:
                km = min(int(match.group(1)), MAX_KM)
                kept.remove(i)
        place: Place | None = None
        notices: list[Notice] = []
        removed: set[int] = {i for i in range(len(tokens)) if i not in kept}
        i = 0
        while i < len(tokens) and place is None:
            if i in removed:
                i += 1
                continue
            f = folded[i]
            if tokens[i][0].isdigit() and len(f) == 5 and f in self.by_postcode:
                place = self.commune_place(self.by_postcode[f], km, "query", f)
                place.label = f if not km else f"{f} · {km} km"
                if km and len(self.by_postcode[f]) > 1:
                    around: dict[str, float] = {}
                    for insee in self.by_postcode[f]:
                        for code, d in self.around(insee, km).items():
                            around[code] = min(d, around.get(code, d))
                    place.communes, place.distances = sorted(around), around
                removed.add(i)
                break
            trigger = self._trigger(folded, i)
            if trigger is None:
                i += 1
                continue
            length, kind, default_km = trigger
            start = i + length
            found = self._name_at(folded, start, kind)
            if found is None:
                unknown = None if tuple(folded[i:start]) in _WEAK else \
                    self._unknown_at(tokens, folded, start)
                if unknown:
                    end, typed = unknown
                    suggestions = self.close_names(typed)
                    if suggestions or typed[:1].isupper():
                        notices.append(Notice("unknown", typed, suggestions))
                        removed.update(range(i, end))
                        i = end
                        continue
                i += 1
                continue
            end, what, codes = found
            removed.update(range(i, end))
            if what == "epci":
                place = self.epci_place(codes, "query",
                                        " ".join(t[0] for t in tokens[start:end]))
            else:
                insees = sorted(codes)
                within = km or default_km
                typed = " ".join(t[0] for t in tokens[start:end])
                place = self.commune_place(insees, within if len(insees) == 1 else None,
                                           "query", typed)
                if len(insees) > 1:
                    notices.append(Notice("ambiguous", typed, [self.label(x) for x in insees]))
        near = None
        if place is None:
            near = self._bare_commune(folded, removed)
        rest = "".join(self._rebuild(text, tokens, removed))
        phrase = " ".join(tokens[i][0] for i in sorted(removed))
        return Reading(" ".join(rest.split()), place, notices, phrase, km, near)

    def _bare_commune(self, folded: list[str], removed: set[int]) -> str | None:
        """The first commune named in the query without a place word (one of that name)."""
        for start in range(len(folded)):
            if start in removed or folded[start] not in self.first_words:
                continue
            found = self._name_at(folded, start, "at")
            if found and found[1] == "commune" and len(found[2]) == 1 \
                    and not removed & set(range(start, found[0])):
                insee = next(iter(found[2]))
                if len(self.communes[insee].name) >= 4:
                    return insee
        return None

    @staticmethod
    def _rebuild(text, tokens, removed):
        last = 0
        for i, (_t, start, end) in enumerate(tokens):
            if i in removed:
                yield text[last:start] + " "
                last = end
        yield text[last:]

    @staticmethod
    def _trigger(folded: list[str], i: int):
        for words, kind, km in _TRIGGERS:
            if tuple(folded[i:i + len(words)]) == words and i + len(words) < len(folded):
                return len(words), kind, km
        return None

    def _name_at(self, folded: list[str], start: int, kind: str):
        """(end, "commune"|"epci", codes) of the longest known name starting at `start`."""
        if start >= len(folded) or folded[start] not in self.first_words:
            return None
        words = []
        best = None
        for j in range(start, min(len(folded), start + NAME_WORDS_MAX)):
            if not folded[j]:
                break
            words.append(folded[j])
            key = " ".join(words)
            if kind != "area" and key in self.by_key:
                best = (j + 1, "commune", set(self.by_key[key]))
            elif key in self.epci_by_key and (kind == "area" or best is None):
                best = (j + 1, "epci", self.epci_by_key[key])
            elif kind == "area" and key in self.by_key and best is None:
                best = (j + 1, "commune", set(self.by_key[key]))
        return best

    @staticmethod
    def _unknown_at(tokens, folded, start):
        """(end, typed) of the word after a place word that is no known place."""
        if start >= len(tokens) or not tokens[start][0][:1].isalpha():
            return None
        return start + 1, tokens[start][0]
