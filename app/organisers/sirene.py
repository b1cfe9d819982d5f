"""Import INSEE "StockEtablissement" CSV extracts: stream, keep the territory's active
establishments, upsert on SIRET (a second import of the same file changes nothing).

Real extracts are calmly taken as they come: several GB (streamed, batches of BATCH rows, so
memory stays flat), a UTF-8 byte-order mark, unknown extra columns (NAF 2025 since 2025), empty
fields, quotes and commas inside names, truncated or malformed lines (counted, their line
numbers reported, the import goes on; a quote left open spoils its line only), NUL bytes.
A non-diffusible establishment is counted and kept without its name: it is never shown.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demand.validators import siret_ok
from models import SireneEstablishment
from models.types import utcnow

BATCH = 2000
REQUIRED = ("siret", "statutDiffusionEtablissement", "codeCommuneEtablissement",
            "etatAdministratifEtablissement", "activitePrincipaleEtablissement")
MALFORMED_LINES_KEPT = 20
LINE_MAX = 64 * 1024  # real lines are under 1 kB: a longer one is malformed, never held whole


class SireneFormatError(ValueError):
    """The file is not a StockEtablissement extract (the message says what is missing)."""


@dataclass
class Report:
    rows: int = 0
    kept: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    outside: int = 0
    closed: int = 0
    non_diffusible: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    bytes_read: int = 0


def _name(row: dict) -> str:
    for key in ("denominationUsuelleEtablissement", "enseigne1Etablissement"):
        value = (row.get(key) or "").strip()
        if value:
            return value[:200]
    return ""


ADDRESS_PARTS = ("complementAdresseEtablissement", "numeroVoieEtablissement",
                 "indiceRepetitionEtablissement", "typeVoieEtablissement",
                 "libelleVoieEtablissement", "distributionSpecialeEtablissement",
                 "codePostalEtablissement", "libelleCommuneEtablissement")


def _address(row: dict) -> str:
    """The postal address as SIRENE publishes it, on one line ("12 RUE DE LA GARE 12800
    NAUCELLE"): for letters to census targets. Columns missing from an extract are skipped."""
    parts = (" ".join((row.get(key) or "").split()) for key in ADDRESS_PARTS)
    return " ".join(part for part in parts if part)[:250]


def _lines(text: io.TextIOBase):
    """(line number, text) of each physical line, NUL bytes dropped; a line longer than
    LINE_MAX comes back as None (malformed) and is skipped to its end without being held
    in memory. SIRENE fields never contain line breaks, so a quote left open spoils one
    line, never the rest of the file."""
    number = 0
    while True:
        line = text.readline(LINE_MAX)
        if not line:
            return
        number += 1
        if len(line) >= LINE_MAX and not line.endswith("\n"):
            while (rest := text.readline(LINE_MAX)) and not rest.endswith("\n"):
                pass
            yield number, None
            continue
        yield number, line.replace("\x00", "")


def import_stock(session: Session, binary: io.BufferedIOBase, communes: set[str], *,
                 progress: Callable[[Report], None] | None = None) -> Report:
    """Read the extract from a binary stream; commits each batch (a long import does not hold
    one huge transaction); returns the counts."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
    lines = _lines(text)
    first = next(lines, (0, None))[1]
    if not first or not first.strip():
        raise SireneFormatError("empty file")
    header = next(csv.reader([first]))
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise SireneFormatError("missing columns: " + ", ".join(missing))
    width = len(header)
    report = Report()
    batch: dict[str, dict] = {}
    closed: dict[str, bool] = {}  # SIRET -> still diffusible
    for line, raw in lines:
        if raw is not None and not raw.strip():
            continue  # a blank line (often the last one)
        report.rows += 1
        try:
            values = next(csv.reader([raw])) if raw is not None else None
        except csv.Error:
            values = None
        if values is None or len(values) != width:  # too long, truncated, a stray separator
            _malformed(report, line)
            continue
        row = {name: values[i] for name, i in index.items()}
        siret = row["siret"].strip()
        if not siret_ok(siret):
            _malformed(report, line)
            continue
        diffusible = row["statutDiffusionEtablissement"].strip() == "O"
        commune = row["codeCommuneEtablissement"].strip()
        active = row["etatAdministratifEtablissement"].strip() == "A"
        if commune not in communes or not active:
            # Outside the territory (perhaps it moved away) or closed: not a potential user
            # any more, if it was one.
            report.outside += commune not in communes
            report.closed += commune in communes and not active
            batch.pop(siret, None)
            closed[siret] = diffusible
        else:
            if not diffusible:
                report.non_diffusible += 1
            report.kept += 1
            closed.pop(siret, None)  # closed earlier in the file, active again now
            batch[siret] = {
                "commune_insee": commune,
                "naf_code": row["activitePrincipaleEtablissement"].strip()[:6],
                "name": _name(row) if diffusible else "",
                "address": _address(row) if diffusible else "",
                "diffusible": diffusible, "active": True,
                "employer": (row.get("caractereEmployeurEtablissement") or "").strip() == "O",
            }
        if len(batch) >= BATCH or len(closed) >= BATCH:
            _flush(session, batch, closed, report, binary, progress)
    _flush(session, batch, closed, report, binary, progress)
    return report


def _malformed(report: Report, line: int) -> None:
    report.malformed += 1
    if len(report.malformed_lines) < MALFORMED_LINES_KEPT:
        report.malformed_lines.append(line)


def _flush(session: Session, batch: dict[str, dict], closed: dict[str, bool], report: Report,
           binary, progress) -> None:
    if batch:
        existing = {e.siret: e for e in session.scalars(select(SireneEstablishment).where(
            SireneEstablishment.siret.in_(list(batch))))}
        for siret, values in batch.items():
            found = existing.get(siret)
            if found is None:
                session.add(SireneEstablishment(siret=siret, **values))
                report.inserted += 1
            elif any(getattr(found, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(found, k, v)
                found.updated_at = utcnow()
                report.updated += 1
            else:
                report.unchanged += 1
    if closed:  # closed or gone since the last import: no longer a potential user
        for found in session.scalars(select(SireneEstablishment).where(
                SireneEstablishment.siret.in_(list(closed)), SireneEstablishment.active)):
            found.active = False
            if not closed[found.siret]:
                # not even kept for the record
                found.diffusible, found.name, found.address = False, "", ""
            found.updated_at = utcnow()
            report.updated += 1
    session.commit()
    session.expunge_all()  # memory stays flat, whatever the file's size
    batch.clear()
    closed.clear()
    try:
        report.bytes_read = binary.tell()
    except (OSError, ValueError):
        pass
    if progress:
        progress(report)


def run_import(session: Session, path, communes: set[str], record=None,
               progress: Callable[[Report], None] | None = None) -> Report:
    """Import a file, keeping `record` (a SireneImport row) up to date for the page."""
    with open(path, "rb") as binary:
        def step(report: Report) -> None:
            if record is not None:
                session.add(record)
                for name in ("rows", "kept", "inserted", "updated", "unchanged", "outside",
                             "closed", "non_diffusible", "malformed", "bytes_read"):
                    setattr(record, name, getattr(report, name))
                record.malformed_lines = " ".join(map(str, report.malformed_lines))
                record.progress_at = utcnow()
                session.commit()
            if progress:
                progress(report)
        report = import_stock(session, binary, communes, progress=step)
        step(report)
        return report
