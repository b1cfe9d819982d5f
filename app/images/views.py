"""`GET /media/<key>/<size>`: a stored picture, for a year in every cache.

The Content-Type comes from the file's first bytes (what was encoded, WebP), never from a name;
`nosniff` tells browsers not to guess. Keys follow the content (storage.py): a new picture has
a new URL, so an answer never changes and is `immutable`. With the local store the file is sent
from disk; with the database store (storage.py) from its row, whichever machine wrote it.
"""
from __future__ import annotations

import io

from flask import abort, send_file

from app.images import storage
from app.images.blueprint import bp
from app.images.storage import ALL_SIZES, KEY, LocalStore, name_for

YEAR = 365 * 24 * 3600
MAGIC = ((b"RIFF", 8, b"WEBP", "image/webp"), (b"\xff\xd8\xff", 0, b"", "image/jpeg"),
         (b"\x89PNG\r\n\x1a\n", 0, b"", "image/png"))


def sniffed_type(head: bytes) -> str | None:
    for start, offset, at_offset, mimetype in MAGIC:
        if head.startswith(start) and head[offset:offset + len(at_offset)] == at_offset:
            return mimetype
    return None


@bp.route("/<key>/<int:size>")
def media(key: str, size: int):
    if not KEY.fullmatch(key) or size not in ALL_SIZES:
        abort(404)
    store = storage.store()
    if isinstance(store, LocalStore):
        path = store.path(name_for(key, size))
        try:
            with open(path, "rb") as f:
                mimetype = sniffed_type(f.read(16))
        except (FileNotFoundError, NotADirectoryError):
            abort(404)
        body = path
    else:
        data = storage.read(key, size)
        if data is None:
            abort(404)
        mimetype, body = sniffed_type(data[:16]), io.BytesIO(data)
    if mimetype is None:
        abort(404)  # not a file this pipeline wrote
    # The name follows the content: it is the ETag too (the same on every machine).
    response = send_file(body, mimetype=mimetype, max_age=YEAR, conditional=True,
                         etag=f"{key}-{size}")
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
