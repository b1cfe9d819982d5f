"""CSV downloads that open right in a spreadsheet (organisers' exports, the audit log)."""
from __future__ import annotations

import csv
import io

from flask import Response


def cell(value):
    """Text a spreadsheet would run as a formula ("=HYPERLINK(...)") is quoted as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(rows, filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows([cell(v) for v in row] for row in rows)
    # A UTF-8 byte-order mark: spreadsheet software then reads the accents right.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
