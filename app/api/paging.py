"""One way to page every API v1 list: the answer's `next` is an opaque cursor (null on the last
page), sent back as `?cursor=` for the next page. Where the list's order allows it (posts, a
room's messages, the audit log: newest first by id) the cursor is a keyset position (the last
id shown), so a page never repeats or skips a row written meanwhile; the directory, networks,
places and search keep their ranked order and page by number behind the same cursor. The older
arguments (`page`, `before`) still work."""
from __future__ import annotations

import base64
import binascii

from flask import abort, request

from models.types import ID_MAX


def next_cursor(kind: str, value: int | None) -> str | None:
    if value is None:
        return None
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def cursor_arg(kind: str) -> int | None:
    """The position in `?cursor=` (made by `next_cursor` for this kind), or None; a cursor that
    is not one of this list's is a 400."""
    raw = request.args.get("cursor", "")
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw[:40] + "=" * (-len(raw[:40]) % 4)).decode()
        found, _sep, value = text.partition(":")
        number = int(value) if value.isdigit() and len(value) <= 10 else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        abort(400)
    if found != kind or not 0 < number <= ID_MAX:
        abort(400)
    return number
