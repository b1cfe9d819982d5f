"""Query-string arguments read the same way by every page and the JSON API: a bad number is
never a 500."""
from __future__ import annotations

from flask import abort, request

from app.forms import int_or_none


def page_arg() -> int:
    """?page= as an int (the query clamps it); anything else ('abc', '²', 10^40) is page 1."""
    return int_or_none(request.args.get("page", "")) or 1


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An int query argument clamped to [low, high]; 400 when it is not a number."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    value = int_or_none(raw)
    if value is None:
        abort(400)
    return min(max(value, low), high)
