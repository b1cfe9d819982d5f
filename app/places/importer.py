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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.cleaning import (
    clean_text,
    clean_website,
    formula_like,
    looks_garbled,
    place_kind,
    repair_mojibake,
)
from app.places.locating import Row, Territory, Unplaced, locate
from app.places.sources import CGET_2019, Source
from models import Place, PlaceStatus
from models.textkey import tidy
from models.types import utcnow

MAX_BYTES = 8 * 1024 * 1024  # the 2019 list weighs 480 KB
MAX_ROWS = 20_000  # it has 1,512 rows
REQUIRED = ("ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "TYPO", "LAT", "LONG")
OPTIONAL = ("WEB",)
LISTED = 20  # refusals name this many cells at most


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


# ---------------------------------------------------------------------------- reading the file

def read_rows(path: Path) -> tuple[list[str], list[Row]]:
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
            rows.append(Row(reader.line_num, dict(zip(header, record, strict=True))))
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
    kept: list[tuple[Row, str, str]] = []
    unplaced: list[Row] = []
    for row in rows:
        try:
            found = locate(row, territory)
        except Unplaced as reason:
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


def _refuse_formulas(rows: list[Row]) -> None:
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


def _candidates(kept: list[tuple[Row, str, str]], report: Report) -> list[_Candidate]:
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
