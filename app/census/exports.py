"""The census's exports as the organisers' tables (app/organisers/tables.py), written by the
organisers' XLSX and French CSV helpers (formula-like text quoted there): the list of targets
one may see, and a summary per EPCI where the counts of people's answers, refusals and
unreachable targets follow the small-cell rule."""
from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _

from app.census.labels import SIZE_LABELS, STATUS_LABELS, UNIT_LABELS
from app.census.queries import TargetRow
from app.organisers.tables import DATE, INT, Column, Table, people, small_cell_note
from models import OutreachStatus

CONTACTED = (OutreachStatus.LETTER, OutreachStatus.PHONE, OutreachStatus.VISIT,
             OutreachStatus.EMAIL)
REFUSED = (OutreachStatus.DECLINED, OutreachStatus.DO_NOT_CONTACT)


def targets_table(rows: list[TargetRow]) -> Table:
    from flask_babel import to_user_timezone
    table = Table(_("Targets"), _("Targets of the sample"), [
        Column(_("Kind")), Column(_("Name")), Column(_("SIRET")), Column(_("Activity (NAF)")),
        Column(_("Commune")), Column(_("Community of communes")), Column(_("Commune size")),
        Column(_("Status")), Column(_("Changed by")), Column(_("Changed on"), DATE),
        Column(_("Note"))])
    for r in rows:
        t = r.target
        changed = to_user_timezone(t.status_at).date() if t.status_at else None
        table.rows.append([
            str(UNIT_LABELS[t.unit]), r.name, t.siret or "", r.naf, r.commune, r.epci,
            str(SIZE_LABELS.get(t.size_class, t.size_class)), str(STATUS_LABELS[t.status]),
            r.status_by, changed, t.note])
    return table


def summary_table(rows: list[TargetRow], threshold: int) -> Table:
    table = Table(_("Per EPCI"), _("Outreach per community of communes"), [
        Column(_("Community of communes")), Column(_("Targets"), INT),
        Column(_("To contact"), INT), Column(_("Contacted"), INT), Column(_("Answered"), INT),
        Column(_("Declined or do not contact"), INT), Column(_("Unreachable"), INT)])
    per: dict[str, Counter] = {}
    for r in rows:
        per.setdefault(r.epci, Counter())[r.target.status] += 1
    for epci in sorted(per):
        c = per[epci]
        table.rows.append([
            epci, sum(c.values()), c[OutreachStatus.TO_CONTACT],
            sum(c[s] for s in CONTACTED), people(c[OutreachStatus.ANSWERED], threshold),
            people(sum(c[s] for s in REFUSED), threshold),
            people(c[OutreachStatus.UNREACHABLE], threshold)])
    table.notes.append(small_cell_note(threshold))
    return table
