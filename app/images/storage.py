"""Where processed pictures live, under what name, and when their files go.

A picture is stored as one WebP file per size, `instance/uploads/images/<ab>/<key>_<size>.webp`
(`UPLOADS_DIR`, which `flask backup` archives and restores whole). Its key is what a row keeps
(`profile.avatar`, `network.logo`, `place.photo`): 24 hex digits of a SHA-256 of the owner and
of the largest file's bytes, then the largest file's width and height ("3fa2...-256x256"). The
name follows the content, so a new picture gets a new URL and a URL is cached for a year.

Files are written before the commit that sets the key (a failed commit leaves files nobody
names, harmless). They are deleted after the commit that drops the last row naming them (a new
picture, "remove", a moderator's removal, a deleted account): the `images` commit hook below.

Where the bytes go is a store, chosen by UPLOADS_BACKEND (MAILLAGE_UPLOADS_BACKEND):
- "local" (the default): files below UPLOADS_DIR, written atomically, served by send_file;
- "database": rows of `stored_file` (models/shared.py) under the same names, so that every
  machine of a site serves every picture with no shared disk (issue 26). One bytea (BLOB on
  SQLite) per file: a stored file is a processed WebP size, never larger than IMAGE_MAX_BYTES
  (refused above), so one row read is bounded and needs no chunking nor large objects (which
  PostgreSQL neither deletes with their row nor restores table by table). It is written in the
  session of the request, so it commits with the row naming it, and deleted after the commit
  that drops the last row naming it, like a file. It works on SQLite too (one machine, the
  pictures inside the database file and so inside every backup).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from flask import Flask, current_app, has_app_context, has_request_context, request, url_for
from sqlalchemy import delete, inspect, select, union_all
from sqlalchemy.orm import Session

from app.images.processing import PHOTO_SIZES, SIZES, SQUARE_SIZES, Processed
from models import Event, Network, Place, Profile, StoredFile, commit_hooks, db
from models.commit_hooks import Collected, CommitHook

log = logging.getLogger(__name__)

KEY = re.compile(r"[0-9a-f]{24}-([0-9]{1,5})x([0-9]{1,5})")
ALL_SIZES = tuple(sorted({size for sizes in SIZES.values() for size in sizes}))
# The columns that hold a key, by model.
COLUMNS = {Profile: "avatar", Network: "logo", Place: "photo", Event: "cover"}


BACKENDS = ("local", "database")


def uploads_dir(app: Flask) -> Path:
    """This machine's folder of uploads (the local store's; a backup archive's "uploads")."""
    return Path(app.config.get("UPLOADS_DIR") or Path(app.instance_path) / "uploads")


def images_dir(app: Flask | None = None) -> Path:
    return uploads_dir(app or current_app) / "images"


def path_for(key: str, size: int, app: Flask | None = None) -> Path:
    """The local file of a size of a picture (the "local" store)."""
    return images_dir(app) / key[:2] / f"{key}_{size}.webp"


def name_for(key: str, size: int) -> str:
    """A size of a picture's name in every store: its path below UPLOADS_DIR."""
    return f"images/{key[:2]}/{key}_{size}.webp"


class LocalStore:
    """Files below UPLOADS_DIR (one machine, or a disk every machine mounts)."""
    kind = "local"

    def __init__(self, root: Path):
        self.root = root

    def path(self, name: str) -> Path:
        return self.root.joinpath(*name.split("/"))

    def write(self, session: Session | None, name: str, data: bytes) -> None:
        """Atomically: a file that exists is whole. The same name again: the same bytes."""
        target = self.path(name)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, session: Session | None, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def delete(self, session: Session | None, names: list[str]) -> int:
        removed = 0
        for name in names:
            try:
                self.path(name).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed


class DatabaseStore:
    """Rows of `stored_file`: every machine reads what any machine wrote."""
    kind = "database"

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def write(self, session: Session, name: str, data: bytes) -> None:
        """In `session`: the file commits (or not) with the row that names it."""
        if len(data) > self.max_bytes:
            raise ValueError(f"{name}: {len(data)} bytes, more than IMAGE_MAX_BYTES")
        if session.get(StoredFile, name) is None:
            session.add(StoredFile(name=name, data=data, size=len(data)))
            session.flush()  # a second upload of the same picture finds it

    def read(self, session: Session, name: str) -> bytes | None:
        return session.scalar(select(StoredFile.data).where(StoredFile.name == name))

    def delete(self, session: Session, names: list[str]) -> int:
        return session.execute(delete(StoredFile).where(StoredFile.name.in_(names))
                               .execution_options(synchronize_session=False)).rowcount or 0


def backend(app: Flask | None = None) -> str:
    """UPLOADS_BACKEND, checked: an unknown value stops the app at start with this message."""
    value = str((app or current_app).config.get("UPLOADS_BACKEND") or "local").strip().lower()
    if value not in BACKENDS:
        raise RuntimeError(f"MAILLAGE_UPLOADS_BACKEND={value!r}: choose one of "
                           f"{', '.join(BACKENDS)}.")
    return value


def store(app: Flask | None = None) -> LocalStore | DatabaseStore:
    app = app or current_app
    if backend(app) == "database":
        return DatabaseStore(int(app.config["IMAGE_MAX_BYTES"]))
    return LocalStore(uploads_dir(app))


def make_key(processed: Processed, kind: str, owner_id: int) -> str:
    digest = hashlib.sha256(f"{kind}:{owner_id}:".encode())
    digest.update(processed.variants[max(processed.variants)])
    return f"{digest.hexdigest()[:24]}-{processed.width}x{processed.height}"


def save(processed: Processed, kind: str, owner_id: int) -> str:
    """Write every size into the store (in db.session for the database store); the key."""
    key = make_key(processed, kind, owner_id)
    target = store()
    for size, data in processed.variants.items():
        target.write(db.session, name_for(key, size), data)
    return key


def read(key: str, size: int, session: Session | None = None) -> bytes | None:
    """A size of a picture's bytes from the store, or None."""
    if not KEY.fullmatch(key or ""):
        return None
    return store().read(session or db.session, name_for(key, size))


def delete_files(key: str, app: Flask | None = None, session: Session | None = None) -> int:
    """Every size of a picture out of the store (committed here for the database store)."""
    if not KEY.fullmatch(key or ""):
        return 0
    target = store(app)
    names = [name_for(key, size) for size in ALL_SIZES]
    if isinstance(target, LocalStore):
        return target.delete(None, names)
    with Session(bind=(session or db.session).get_bind()) as writer:
        removed = target.delete(writer, names)
        writer.commit()
    return removed


def still_used(session: Session, keys: set[str]) -> set[str]:
    """Which of these keys a row still names."""
    if not keys:
        return set()
    query = union_all(*(select(getattr(model, column).label("key"))
                        .where(getattr(model, column).in_(keys))
                        for model, column in COLUMNS.items()))
    return set(session.scalars(select(query.subquery().c.key)))


# -- the commit hook: files go once no committed row names them --------------------------------

def _collect(session: Session, collected: Collected) -> None:
    """Before the flush: the rows still hold their old values (the columns keep their history
    even when set unloaded: `active_history`)."""
    for obj in session.dirty:
        column = COLUMNS.get(type(obj))
        if column:
            for old in inspect(obj).attrs[column].history.deleted:
                if old:
                    collected.here[old] = True
    for obj in session.deleted:
        column = COLUMNS.get(type(obj))
        if column:
            history = inspect(obj).attrs[column].history
            old = history.deleted[0] if history.deleted else getattr(obj, column)
            if old:
                collected.here[old] = True


def _delete_unused(session: Session, keys: dict) -> None:
    if not has_app_context():
        return
    try:
        with Session(bind=session.get_bind()) as reader:
            gone = set(keys) - still_used(reader, set(keys))
        for key in gone:
            delete_files(key, session=session)
    except Exception:  # the database change stands; a leftover file is only disk space
        log.exception("image files could not be deleted")


HOOK = CommitHook("images", 50, "notes image keys replaced or whose row is deleted",
                  before_flush=_collect, after_commit=_delete_unused)


def register() -> None:
    commit_hooks.register(HOOK)


# -- what templates need -------------------------------------------------------------------------

def image_url(key: str | None, size: int) -> str | None:
    if not key or not KEY.fullmatch(key):
        return None
    return url_for("images.media", key=key, size=size)


def square_srcset(key: str | None, size: int, shown: int) -> str | None:
    """The `srcset` of a square picture whose `size` file is shown at `shown` CSS px, or None.

    A file that is already 1.5 times the size shown is enough on every screen (the 48 px file
    of a 32 px face in the feed, a post, the chat: on a 2x or 3x phone it is a little soft, and
    a page of faces stays light). A smaller one (the 48 px file of a 48 px card, the 96 px one
    of a profile) is offered with the next larger files, up to the first that covers a 2x
    screen, each with its true density (96 px at 48 is 2x, 256 px at 96 is 2.67x)."""
    if not image_url(key, size) or size >= 1.5 * shown:
        return None
    files = []
    for candidate in SQUARE_SIZES:
        if candidate >= size:
            files.append(candidate)
            if candidate >= 2 * shown:
                break
    if len(files) < 2:
        return None
    return ", ".join(f"{image_url(key, f)} {f'{f / shown:.2f}'.rstrip('0').rstrip('.')}x"
                     for f in files)


def media_path(key: str | None, size: int) -> str | None:
    """`image_url` without url_for: for the chat's payloads, built outside any request too."""
    if not key or not KEY.fullmatch(key):
        return None
    root = request.script_root if has_request_context() else ""
    return f"{root}/media/{key}/{size}"


def image_dims(key: str, size: int) -> tuple[int, int]:
    """Width and height of a size of a picture (for the <img> attributes: no layout shift)."""
    match = KEY.fullmatch(key or "")
    if match is None or size not in PHOTO_SIZES:
        return size, size
    width, height = int(match[1]), int(match[2])
    if width <= size:
        return width, height
    return size, max(1, round(height * size / width))


def initials(name: str | None) -> str:
    """"Camille Martin" -> "CM": what the generated avatar shows (chat.js does the same)."""
    letters = [word[0] for word in (name or "").split() if word[0].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def initials_colour(name: str | None) -> int:
    """One of 8 background colours, the same for a name everywhere (chat.js does the same)."""
    return sum(ord(c) for c in (name or "")) % 8
