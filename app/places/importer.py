"""The national list of tiers-lieux (CGET 2019, data/README.md) into the places directory: the
rows of the territory only (the communes of the gazetteer), each in its commune, found from
its INSEE code, else its postcode and typed commune name, else its coordinates inside the
communes' outlines. Plain functions over a session: `flask places import` and `flask demo`
call `import_places` and commit (or roll back) once.

The file is read and checked whole before anything is written: a file that is too big or too
long, not UTF-8, without the columns it needs, with broken lines, with text a spreadsheet
would run as a formula in a row of the territory, or with an ID twice there is refused
(`ImportRefused`, with what to correct) and nothing is written. A row of the territory that
cannot be placed in a commune, or that lacks an ID or a name, is reported with its reason,
never dropped silently; the other places go in.

A place made by an import says where it came from (`Place.source`, `source_id`) until an
organiser or its animator confirms or corrects it; a second import updates the places nobody
confirmed yet and never touches a confirmed one."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csvexport import cell
from app.places.sources import CGET_2019, Source
from app.territory.gazetteer import name_key
from models import Commune, Place, PlaceKind, PlaceStatus
from models.textkey import fold, tidy
from models.types import utcnow

MAX_BYTES = 8 * 1024 * 1024  # the 2019 list weighs 480 KB
MAX_ROWS = 20_000  # it has 1,512 rows
REQUIRED = ("ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "TYPO", "LAT", "LONG")
OPTIONAL = ("WEB",)
# Commune names typed in the list that are not the gazetteer's, even folded: typed -> official.
KNOWN_RENAMES = {name_key("Vabre l'Abbaye"): "Vabres-l'Abbaye"}
LISTED = 20  # refusals name this many cells at most

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_CODE = re.compile(r"\d[\dAB]\d{3}")  # INSEE codes (2A004) and postcodes
# Mojibake: a character that starts a UTF-8 sequence followed by one that continues it, both as
# Windows-1252 (or Latin-1) shows those bytes: "Ã©" is "é" read the wrong way, "â€™" is "’".
_LEAD = "".join(bytes([b]).decode("cp1252") for b in range(0xC2, 0xF5))
_CONT = "".join(bytes([b]).decode("cp1252", "replace") for b in range(0x80, 0xC0)).replace("\ufffd", "")
_CONT += "".join(chr(b) for b in range(0x80, 0xC0))  # Latin-1's, for the five cp1252 lacks
_MOJIBAKE = re.compile(f"[{re.escape(_LEAD)}][{re.escape(_CONT)}]|\ufffd")


class ImportRefused(Exception):
    """The file as a whole cannot be imported; nothing was written. The message says why and
    what to correct (the command adds "Nothing was imported.")."""


@dataclass
class Report:
    rows: int = 0  # rows of the file
    created: list[str] = field(default_factory=list)  # source IDs
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_confirmed: list[str] = field(default_factory=list)
    ignored: int = 0  # outside the territory
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # (ID, reason)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (ID, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (ID, what was repaired or kept)
    placed: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID -> (INSEE, how)
    created_place_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rows} rows: {len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.kept_confirmed)} kept because "
                f"confirmed, {self.ignored} ignored (outside the territory), "
                f"{len(self.unplaced)} unplaced, {len(self.invalid)} invalid.")


@dataclass
class _Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


class _Unplaced(Exception):
    """A row of the territory whose commune cannot be told for certain."""


# ---------------------------------------------------------------------------- reading the file

def read_rows(path: Path) -> tuple[list[str], list[_Row]]:
    """The header and the rows of the file, or ImportRefused."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImportRefused(f"The file weighs {size / 1e6:.1f} MB: at most "
                                f"{MAX_BYTES // 1024 // 1024} MB are imported (the 2019 list "
                                f"weighs 0.5 MB). Import the rows of the territory only.")
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as error:
        raise ImportRefused(f"The file cannot be read: {error.strerror or error}.") from None
    if len(data) > MAX_BYTES:  # grew while read
        raise ImportRefused(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ImportRefused("The file is empty: no header line.")
        header = [h.strip().upper() for h in header]
        _check_header(header)
        rows = []
        for record in reader:
            if not any(v.strip() for v in record):
                continue  # a blank line
            if len(rows) == MAX_ROWS:
                raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows (the 2019 list "
                                    f"has 1,512): import a file of at most {MAX_ROWS:,} rows.")
            if len(record) != len(header):
                raise ImportRefused(f"Line {reader.line_num} has {len(record)} fields where the "
                                    f"header has {len(header)}: the file is cut or a quote is "
                                    f"missing.")
            rows.append(_Row(reader.line_num, dict(zip(header, record, strict=True))))
    except csv.Error as error:
        raise ImportRefused(f"Line {reader.line_num} cannot be read as CSV ({error}).") \
            from None
    return header, rows


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 10:
        raise ImportRefused("The file is in UTF-16, not UTF-8: save it as “CSV UTF-8” and "
                            "import it again.")
    if b"\x00" in data:
        raise ImportRefused("The file holds NUL bytes: it is not a CSV text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportRefused(
            f"The file is not UTF-8 (line {line}: byte 0x{data[error.start]:02X}, as Latin-1 or "
            f"Windows-1252 write “é” or “à”): save it as “CSV UTF-8” and import it again.") \
            from None


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = " The header is one column: is the file separated by semicolons? It must be " \
               "separated by commas." if len(header) == 1 and ";" in header[0] else ""
        raise ImportRefused(f"Columns missing: {', '.join(missing)} (found: "
                            f"{', '.join(h[:30] for h in header[:30]) or 'none'}).{hint}")
    doubled = sorted({c for c in REQUIRED + OPTIONAL if header.count(c) > 1})
    if doubled:
        raise ImportRefused(f"Columns named twice: {', '.join(doubled)}.")


# ------------------------------------------------------------------------------ text repairs

def repair_mojibake(text: str) -> tuple[str, bool]:
    """(text, repaired): UTF-8 that was read as Windows-1252 or Latin-1 ("ThÃ©Ã¢tre") is put
    back ("Théâtre") only when reading it again as UTF-8 succeeds and leaves no such pair: then
    it is certain. Otherwise the text is kept as it is (`looks_garbled` tells)."""
    if not _MOJIBAKE.search(text):
        return text, False
    for encoding in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text and not _MOJIBAKE.search(fixed):
            return fixed, True
    return text, False


def clean_text(text: str) -> str:
    """One line of text: runs of white space (no-break spaces, line breaks) made one space,
    other control characters dropped."""
    return tidy("".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc"))


def looks_garbled(text: str) -> bool:
    return bool(_MOJIBAKE.search(text))


def formula_like(text: str) -> bool:
    """Text a spreadsheet would run as a formula (the export's rule, app/csvexport.py), a plain
    number ("-1.5") aside."""
    return bool(text) and cell(text) != text and not _NUMBER.fullmatch(text)


def clean_website(raw: str) -> tuple[str, str | None]:
    """(an http(s) address or "", a note when the value was changed or left out)."""
    url = raw.strip()
    if not url:
        return "", None
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "", f"website {url[:80]!r} is not a web address: left empty"
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host:
        return "", f"website {raw.strip()[:80]!r} is not a web address: left empty"
    note = None
    if "…" in url or url.endswith("..."):  # cut in the list: the site's own address stays
        url = f"{parts.scheme}://{parts.netloc}/"
        note = f"website cut in the list ({raw.strip()[:120]!r}): its site {url} is kept"
    if len(url) > 300:
        return "", "website longer than 300 characters: left empty"
    return url, note


def place_kind(typo: str) -> PlaceKind | None:
    key = fold(typo)
    if not key:
        return None
    if "coworking" in key:
        return PlaceKind.COWORKING
    if "fablab" in key or "fab lab" in key:
        return PlaceKind.FABLAB
    return PlaceKind.OTHER


# --------------------------------------------------------------------------- the territory

@dataclass
class _Commune:
    insee: str
    name: str
    key: str
    postcodes: list[str]


class Territory:
    """The gazetteer as the import reads it: communes by code and postcode, and their outlines
    (loaded the first time coordinates are needed), with bounding boxes."""

    def __init__(self, session: Session):
        self.session = session
        self.communes = {c.insee: _Commune(c.insee, c.name, c.name_key, c.postcode_list)
                         for c in session.scalars(select(Commune))}
        self.departements = {code[:3] if code.startswith("97") else code[:2]
                             for code in self.communes}
        self.by_postcode: dict[str, list[_Commune]] = {}
        for commune in self.communes.values():
            for postcode in commune.postcodes:
                self.by_postcode.setdefault(postcode, []).append(commune)
        self._shapes: list[tuple[str, tuple[float, float, float, float], list]] | None = None
        self._box: tuple[float, float, float, float] | None = None

    def departement_of(self, code: str) -> str:
        return code[:3] if code.startswith("97") else code[:2]

    def _load_shapes(self) -> None:
        self._shapes = []
        for insee, outline in self.session.execute(select(Commune.insee, Commune.outline)):
            points = [p for polygon in outline or [] for ring in polygon for p in ring]
            if not points:
                continue
            lons, lats = [p[0] for p in points], [p[1] for p in points]
            self._shapes.append((insee, (min(lons), min(lats), max(lons), max(lats)), outline))
        if self._shapes:
            boxes = [box for _, box, _ in self._shapes]
            self._box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                         max(b[2] for b in boxes), max(b[3] for b in boxes))

    def communes_at(self, lat: float, lon: float) -> list[str]:
        """The communes whose outline holds the point (one, or two on a simplified border)."""
        if self._shapes is None:
            self._load_shapes()
        if self._box is None or not _in_box(lon, lat, self._box):
            return []
        return [insee for insee, box, outline in self._shapes
                if _in_box(lon, lat, box) and _in_outline(lon, lat, outline)]


def _in_box(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _in_ring(x: float, y: float, ring: list) -> bool:
    """Ray casting: does the ring ([lon, lat] points) hold the point?"""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        (xi, yi), (xj, yj) = ring[i][:2], ring[j][:2]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_outline(x: float, y: float, outline: list) -> bool:
    """An outline is a list of polygons, each an outer ring then its holes."""
    return any(polygon and _in_ring(x, y, polygon[0])
               and not any(_in_ring(x, y, hole) for hole in polygon[1:])
               for polygon in outline)


def _code(value: str) -> str:
    """A postcode or INSEE code as the list writes it ("0": none; "1000": "01000")."""
    value = value.strip().upper()
    if value in ("", "0"):
        return ""
    if len(value) == 4 and value.isdigit():
        value = "0" + value
    return value if _CODE.fullmatch(value) else ""


def _coordinates(row: _Row) -> tuple[float, float] | None:
    try:
        lat = float(row["LAT"].strip().replace(",", "."))
        lon = float(row["LONG"].strip().replace(",", "."))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def locate(row: _Row, territory: Territory) -> tuple[str, str] | None:
    """(INSEE code, how it was found) for a row of the territory; None for a row outside it;
    _Unplaced (with the reason) for a row that points into the territory but whose commune
    cannot be told for certain."""
    insee, postcode = _code(row["INSEECOM"]), _code(row["CP"])
    if insee in territory.communes:
        return insee, "INSEE code"
    typed = clean_text(repair_mojibake(row["COMINIT"])[0])
    typed_key = name_key(typed)
    typed_key = name_key(KNOWN_RENAMES.get(typed_key, typed)) if typed_key else ""
    if postcode and typed_key:
        found = [c for c in territory.by_postcode.get(postcode, []) if c.key == typed_key]
        if len(found) == 1:
            return found[0].insee, "postcode and name"
    point = _coordinates(row)
    hits = territory.communes_at(*point) if point else []
    if postcode and len(hits) > 1:  # on a simplified border: the postcode decides
        hits = [h for h in hits if postcode in territory.communes[h].postcodes] or hits
    if len(hits) == 1:
        commune = territory.communes[hits[0]]
        if postcode and postcode not in commune.postcodes:
            raise _Unplaced(f"its coordinates fall in {commune.name} ({commune.insee}), whose "
                            f"postcodes are {', '.join(commune.postcodes)}, not {postcode}")
        return commune.insee, "coordinates"
    hinted = (insee and territory.departement_of(insee) in territory.departements) or \
        (postcode and (postcode in territory.by_postcode
                       or territory.departement_of(postcode) in territory.departements))
    if not hits and not hinted:
        return None  # outside the territory
    said = ", ".join(filter(None, [f"INSEE code {insee}" if insee else "",
                                   f"postcode {postcode}" if postcode else "",
                                   f"commune {typed!r}" if typed else ""])) or "no commune"
    if len(hits) > 1:
        raise _Unplaced(f"{said}; its coordinates fall on the border of "
                        f"{' and '.join(territory.communes[h].name for h in hits)}")
    where = "no coordinates" if point is None else "coordinates outside every commune"
    raise _Unplaced(f"{said} match no commune of the gazetteer, and {where}")


# ------------------------------------------------------------------------------ the import

@dataclass
class _Candidate:
    source_id: str
    insee: str
    values: dict


def import_places(session: Session, path: Path, source: Source = CGET_2019,
                  now: datetime | None = None) -> Report:
    """Read and check the whole file, then create or update the places of the territory in the
    session (flushed, not committed). ImportRefused (nothing written) for a file that cannot
    be imported as a whole."""
    header, rows = read_rows(path)
    territory = Territory(session)
    if not territory.communes:
        raise ImportRefused("The gazetteer is empty: load the territory first "
                            "(flask territory load).")
    report = Report(rows=len(rows))
    kept: list[tuple[_Row, str, str]] = []
    unplaced: list[_Row] = []
    for row in rows:
        try:
            found = locate(row, territory)
        except _Unplaced as reason:
            unplaced.append(row)
            report.unplaced.append((tidy(row["ID"])[:40] or f"line {row.line}", str(reason)))
            continue
        if found is None:
            report.ignored += 1
        else:
            kept.append((row, *found))
    _refuse_formulas([row for row, _, _ in kept] + unplaced)
    candidates = _candidates(kept, report)
    _write(session, candidates, source, report, now or utcnow())
    return report


def _refuse_formulas(rows: list[_Row]) -> None:
    """A cell of the territory's rows that a spreadsheet would run ("=HYPERLINK(...)", "+cmd",
    "@SUM(...)") refuses the file: such text is never stored, where an export could emit it."""
    cells = [(row, column, tidy(row[column])) for row in rows for column in REQUIRED + OPTIONAL
             if formula_like(tidy(row[column]))]
    if cells:
        listed = "; ".join(f"line {row.line} (ID {tidy(row['ID'])[:20] or '?'}), {column}: "
                           f"{value[:40]!r}" for row, column, value in cells[:LISTED])
        more = f" and {len(cells) - LISTED} more" if len(cells) > LISTED else ""
        raise ImportRefused(f"{len(cells)} cells start like a spreadsheet formula (=, +, -, @): "
                            f"{listed}{more}. Correct them in the file (a text cannot start so).")


def _candidates(kept: list[tuple[_Row, str, str]], report: Report) -> list[_Candidate]:
    seen: dict[str, int] = {}
    out = []
    for row, insee, how in kept:
        source_id = tidy(row["ID"])
        if source_id in seen:
            raise ImportRefused(f"The ID {source_id[:40]!r} is on lines {seen[source_id]} and "
                                f"{row.line}: an ID names one place.")
        if not source_id or len(source_id) > 40:
            report.invalid.append((f"line {row.line}", "no ID (or longer than 40 characters): "
                                   "a second import could not find the place again"))
            continue
        seen[source_id] = row.line
        values, problems = {}, []
        for column, attribute, limit in (("NOM_TL", "name", 120), ("ADRESSE", "address", 200)):
            text, repaired = repair_mojibake(row[column])
            text = clean_text(text)
            if repaired:
                report.notes.append((source_id, f"{column} repaired: {tidy(row[column])!r} -> "
                                                f"{text!r}"))
            elif looks_garbled(text):
                report.notes.append((source_id, f"{column} kept as it is, garbled but not "
                                                f"certainly repairable: {text!r}"))
            if len(text) > limit:
                problems.append(f"{column} longer than {limit} characters")
            values[attribute] = text
        if not values["name"]:
            problems.append("no name (NOM_TL)")
        if problems:
            report.invalid.append((source_id, "; ".join(problems)))
            continue
        website, note = clean_website(tidy(repair_mojibake(row["WEB"])[0]))
        if note:
            report.notes.append((source_id, note))
        values.update(website=website, kind=place_kind(row["TYPO"]), commune_insee=insee)
        report.placed[source_id] = (insee, how)
        out.append(_Candidate(source_id, insee, values))
    return out


def _write(session: Session, candidates: list[_Candidate], source: Source, report: Report,
           now: datetime) -> None:
    existing = {p.source_id: p for p in session.scalars(
        select(Place).where(Place.source == source.key))}
    created = []
    for candidate in candidates:
        place = existing.get(candidate.source_id)
        if place is None:
            place = Place(status=PlaceStatus.OPEN, source=source.key,
                          source_id=candidate.source_id, imported_at=now, **candidate.values)
            session.add(place)
            created.append(place)
            report.created.append(candidate.source_id)
        elif place.confirmed_at is not None:
            report.kept_confirmed.append(candidate.source_id)
        elif all(getattr(place, k) == v for k, v in candidate.values.items()):
            report.unchanged.append(candidate.source_id)
        else:
            for key, value in candidate.values.items():
                setattr(place, key, value)
            place.imported_at = now
            report.updated.append(candidate.source_id)
    session.flush()
    report.created_place_ids = [p.id for p in created]
