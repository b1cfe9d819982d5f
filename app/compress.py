"""Light pages on a weak connection: responses gzip-compressed, static files fingerprinted
(`?v=<hash of the content>` on every url_for('static')) and cached for a year by browsers.

Compression is done here rather than by a proxy so that `make run` on a small machine with no
nginx in front is light too. Static files are compressed once per version and kept in memory
(they are few and small); pages are compressed on the fly (level 6: about a millisecond for a
30 KB page).
"""
from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, request

COMPRESSIBLE = {"text/html", "text/css", "text/plain", "text/csv", "text/javascript",
                "application/javascript", "application/json", "application/geo+json",
                "image/svg+xml", "application/manifest+json"}
MIN_SIZE = 512  # below this, gzip's header costs more than it saves
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=512)
def _file_hash(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_version(filename: str) -> str | None:
    folder = current_app.static_folder
    path = Path(folder, filename)
    try:
        stat = path.stat()
    except OSError:
        return None
    return _file_hash(str(path), stat.st_mtime_ns)


def _fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


@lru_cache(maxsize=256)
def _gzip_static(key: tuple, data: bytes) -> bytes:
    return gzip.compress(data, 9, mtime=0)


def _compress(response):
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    if (response.status_code != 200 or response.is_streamed and not response.direct_passthrough
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE
            or request.accept_encodings["gzip"] <= 0):
        return response
    response.headers.add("Vary", "Accept-Encoding")
    static = request.endpoint == "static"
    if response.direct_passthrough:
        response.direct_passthrough = False  # a static file: small, read once per version
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    etag, weak = response.get_etag()
    if static and etag and request.if_none_match.contains(etag + "-gz"):
        response.set_data(b"")  # the browser has this compressed copy already
        response.status_code = 304
        response.set_etag(etag + "-gz", weak)
        return response
    if static:
        compressed = _gzip_static((request.path, response.headers.get("ETag", "")), data)
    else:
        compressed = gzip.compress(data, 6, mtime=0)
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(etag + "-gz", weak)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_fingerprint)
    app.after_request(_compress)
