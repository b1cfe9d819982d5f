"""`GET /media/<key>/<size>`: a stored picture, for a year in every cache.

The Content-Type comes from the file's first bytes (what was encoded, WebP), never from a name;
`nosniff` tells browsers not to guess. Keys follow the content (storage.py): a new picture has
a new URL, so an answer never changes and is `immutable`.
"""
from __future__ import annotations

from flask import abort, send_file

from app.images.blueprint import bp
from app.images.storage import ALL_SIZES, KEY, path_for

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
    path = path_for(key, size)
    try:
        with open(path, "rb") as f:
            mimetype = sniffed_type(f.read(16))
    except (FileNotFoundError, NotADirectoryError):
        abort(404)
    if mimetype is None:
        abort(404)  # not a file this pipeline wrote
    response = send_file(path, mimetype=mimetype, max_age=YEAR, conditional=True, etag=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
