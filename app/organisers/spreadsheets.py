"""The organisers' tables (`tables.py`) as files people open: an XLSX workbook, one sheet per
table, numbers stored as numbers with a display format; and CSV in the French convention
(semicolons, decimal commas, dates as dd/mm/yyyy, UTF-8 with a byte-order mark), which French
Excel and LibreOffice open into columns. The machine CSV files (`exports.py`) stay as they are.

XlsxWriter writes the workbook: it only writes (no reading code shipped to the server), has no
dependency of its own, and types each cell as it is written (`write_number`, `write_string`,
`write_datetime`): a text is never taken for a formula. The tests read the files back with
another library (openpyxl), so that the writer is not checked by itself."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import Response
from flask_babel import format_date

from app.csvexport import cell
from app.organisers.tables import DATE, DECIMAL, EUROS, INT, MONTH, RATIO, Table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Display formats: Excel and LibreOffice show them in the reader's locale ("1 234,5 €" in French).
FORMATS = {INT: "#,##0", DECIMAL: "#,##0.0", EUROS: '#,##0.00 "€"', RATIO: "0.0##",
           DATE: "dd/mm/yyyy", MONTH: "mmmm yyyy"}
MAX_WIDTH = 60


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value) -> str:
    return "" if value is None else cell(str(value))


def xlsx_bytes(tables: list[Table], title: str, author: str) -> bytes:
    import xlsxwriter  # here: 14 ms of every process's start otherwise
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False,
                                     "default_date_format": FORMATS[DATE]})
    book.set_properties({"title": title, "author": author, "company": author})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                              "bottom": 1, "bg_color": "#E3EFE6"})
    formats = {kind: book.add_format({"num_format": pattern}) for kind, pattern in FORMATS.items()}
    # Whole euros show without cents ("1 500 €"), cents only where there are some.
    whole_euros = book.add_format({"num_format": '#,##0 "€"'})
    note = book.add_format({"italic": True, "font_color": "#555555"})
    used: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(_sheet_name(table.name, used))
        widths = [min(MAX_WIDTH, max(10, len(c.header) // 2 + 2)) for c in table.columns]
        for c, column in enumerate(table.columns):
            sheet.write_string(0, c, column.header, header)
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row):
                kind = table.kind(r, c)
                if value is None:  # no figure: an empty cell, not a text of nothing
                    continue
                if _is_number(value):
                    fmt = whole_euros if kind == EUROS and value == round(value) \
                        else formats.get(kind)
                    sheet.write_number(r + 1, c, value, fmt)
                    width = len(f"{value:,.2f}") + 2
                elif isinstance(value, date) and kind in (DATE, MONTH):
                    sheet.write_datetime(r + 1, c, datetime(value.year, value.month, value.day),
                                         formats[kind])
                    width = 14
                else:
                    text = _text(value)
                    sheet.write_string(r + 1, c, text)
                    width = len(text) + 2
                widths[c] = min(MAX_WIDTH, max(widths[c], width))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        for i, text in enumerate(table.notes):
            sheet.write_string(len(table.rows) + 2 + i, 0, cell(text), note)
    book.close()
    return out.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        candidate = f"{clean[:28]} {n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def xlsx_response(tables: list[Table], filename: str, title: str, author: str) -> Response:
    return Response(xlsx_bytes(tables, title, author), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def french_value(value, kind: str) -> str:
    """A value as French spreadsheets read it: 3,5 and 1500 (no thousands separator, which
    could be read as text), 07/12/2026, and text neutralised as in the machine CSV."""
    if _is_number(value):
        if isinstance(value, int) or kind == INT:
            return str(round(value))
        digits = {DECIMAL: 1, RATIO: 3}.get(kind, 2)
        text = f"{value:.{digits}f}"
        if kind == RATIO:
            text = text.rstrip("0").removesuffix(".") or "0"
        elif kind == EUROS and text.endswith(".00"):
            text = text[:-3]
        return text.replace(".", ",")
    if isinstance(value, date):
        return format_date(value, "LLLL y") if kind == MONTH else value.strftime("%d/%m/%Y")
    return _text(value)


def french_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([cell(c.header) for c in table.columns])
    for r, row in enumerate(table.rows):
        writer.writerow([french_value(v, table.kind(r, c)) for c, v in enumerate(row)])
    return "\ufeff" + out.getvalue()


def french_csv_response(table: Table, filename: str) -> Response:
    return Response(french_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
