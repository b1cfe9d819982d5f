"""`flask backup create|restore`: the instance's data in one archive, taken while the site runs.

An archive (tar.gz) holds `manifest.json`, `database.sqlite3` and, when the instance has
uploaded files, `uploads/...` (with MAILLAGE_UPLOADS_BACKEND=database the uploads are rows of
`stored_file`, inside the database copy; files left in UPLOADS_DIR are archived too, and an
archive's files restored on a database-store instance are put into `stored_file`, so an
archive moves between the two modes). The database is copied with SQLite's online backup API in a
single step: in WAL mode that is a consistent snapshot that never blocks the site's writers
(a file copy could catch a page half written, or miss what still sits in the -wal file).
The search index is not archived: it is derived data, rebuilt from the database on restore.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import tempfile
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from app import __version__
from app.images.storage import uploads_dir

FORMAT = "maillage-backup"
FORMAT_VERSION = 1
MANIFEST, DATABASE, UPLOADS = "manifest.json", "database.sqlite3", "uploads"

backup_cli = AppGroup("backup", help="Archive the instance's data, or restore an archive.")


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message is for the operator."""


def database_file(app: Flask) -> Path:
    """The SQLite file of the app, resolved as Flask-SQLAlchemy does (relative to instance/)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        raise BackupError("This instance runs on PostgreSQL: back it up with pg_dump "
                          "(and restore with pg_restore); `flask backup` handles SQLite only.")
    url = make_url(uri)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        raise BackupError(f"`flask backup` handles SQLite database files only, not {url.drivername}"
                          f"{' in memory' if url.drivername.startswith('sqlite') else ''}.")
    path = url.database[5:] if url.query.get("uri") else url.database
    return Path(app.instance_path, path).resolve()


def table_counts(con: sqlite3.Connection) -> dict[str, int]:
    names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
    return {n: con.execute(f'SELECT count(*) FROM "{n.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
            for n in names}


def _alembic_revision(con: sqlite3.Connection) -> str | None:
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _default_archive(app: Flask) -> Path:
    folder = Path(app.instance_path) / "backups"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"maillage-{stamp}.tar.gz", 1
    while path.exists():  # two backups in the same second
        n += 1
        path = folder / f"maillage-{stamp}-{n}.tar.gz"
    return path


def create_backup(app: Flask, path: str | Path | None = None) -> dict:
    """Write an archive of the live database (and uploads) to `path` (default
    instance/backups/maillage-<UTC time>.tar.gz). Returns {"archive": path, "manifest": {...}}."""
    source = database_file(app)
    if not source.is_file():
        raise BackupError(f"No database at {source}.")
    archive = Path(path) if path else _default_archive(app)
    if archive.exists():
        raise BackupError(f"{archive} already exists: choose another path.")
    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".backup-") as work:
            copy = Path(work) / DATABASE
            counts, revision = _snapshot(source, copy)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "app": "Maillage",
                        "app_version": __version__, "created_at": datetime.now(timezone.utc)
                        .isoformat(timespec="seconds"), "alembic_revision": revision,
                        "tables": counts, "uploads": 0}
            _write_archive(archive, copy, manifest, uploads_dir(app))
            manifest["uploads"] += counts.get("stored_file", 0)
    except OSError as error:
        raise BackupError(f"Cannot write {archive}: {error}") from None
    return {"archive": archive, "manifest": manifest}


def _snapshot(source: Path, copy: Path) -> tuple[dict[str, int], str | None]:
    """Copy the live database with the online backup API; its table counts and revision."""
    try:
        # mode=rw: a file deleted meanwhile is an error, not a new empty database.
        src = sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True)
        try:
            dst = sqlite3.connect(copy)
            try:
                src.execute("PRAGMA busy_timeout = 5000")
                src.backup(dst)  # pages=-1: one step, one snapshot (WAL: writers go on meanwhile)
                dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained file, no -wal
                return table_counts(dst), _alembic_revision(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as error:
        raise BackupError(f"Cannot copy the database {source}: {error}") from None


def _write_archive(archive: Path, copy: Path, manifest: dict, uploads: Path) -> None:
    """Written beside its final name, then renamed: an archive that exists is whole."""
    partial = archive.with_name(archive.name + ".partial")
    try:
        # Password hashes and email addresses are in it: readable by its owner only.
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(copy, DATABASE)
            manifest["uploads"] = _add_uploads(tar, uploads)
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)


def _add_uploads(tar: tarfile.TarFile, folder: Path) -> int:
    """Regular files and folders only: a symlink could point anywhere on the machine."""
    if not folder.is_dir():
        return 0
    files = 0
    for root, dirs, names in os.walk(folder):
        rel = Path(root).relative_to(folder)
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
        tar.add(root, (Path(UPLOADS) / rel).as_posix(), recursive=False)
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                tar.add(full, (Path(UPLOADS) / rel / name).as_posix())
                files += 1
    return files


def _check_members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Every member by name, or BackupError for anything a hostile archive could use."""
    members: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        name = member.name
        parts = name.rstrip("/").split("/")
        if (name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts)
                or ":" in parts[0]):
            raise BackupError(f"Unsafe path in the archive: {name!r}.")
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"The archive holds a link or special file: {name!r}.")
        top_file = parts[0] in (MANIFEST, DATABASE) and len(parts) == 1 and member.isfile()
        upload = parts[0] == UPLOADS and (member.isdir() or len(parts) > 1)
        if not (top_file or upload):
            raise BackupError(f"Unexpected member in the archive: {name!r}.")
        if name in members:
            raise BackupError(f"The archive holds {name!r} twice.")
        members[name] = member
    return members


def _read_manifest(tar: tarfile.TarFile, members: dict) -> dict:
    if MANIFEST not in members:
        raise BackupError(f"Not a Maillage backup: no {MANIFEST} in the archive.")
    try:
        manifest = json.loads(tar.extractfile(members[MANIFEST]).read(1024 * 1024))
    except ValueError:
        raise BackupError(f"{MANIFEST} is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"Not a Maillage backup: {MANIFEST} has no format {FORMAT!r}.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format version {manifest.get('format_version')!r} "
                          f"(this version of Maillage reads {FORMAT_VERSION}).")
    if not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{MANIFEST} has no table counts.")
    if DATABASE not in members:
        raise BackupError(f"The archive holds no {DATABASE}.")
    return manifest


def _holds_data(path: Path) -> bool:
    """Whether restoring over `path` could lose something. A file with no table (what opening
    a missing database creates) holds nothing; an unreadable one is not ours to judge."""
    if not path.exists():
        return False
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        finally:
            con.close()
    except sqlite3.Error:
        return True


def restore_backup(app: Flask, archive: str | Path, force: bool = False) -> dict:
    """Restore an archive made by `create_backup` into the app's database and uploads, then
    rebuild the search index. Stop the site first: running workers keep the old file open.
    Returns {"database", "tables", "uploads", "indexed", "manifest"}."""
    target, archive = database_file(app), Path(archive)
    if not archive.is_file():
        raise BackupError(f"No archive at {archive}.")
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _check_members(tar)
            manifest = _read_manifest(tar, members)
            if _holds_data(target) and not force:
                raise BackupError(f"A database already exists at {target}: restoring would "
                                  "replace it. Add --force to do so.")
            counts, staged = _restore_files(app, tar, members, manifest, target)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(f"{archive} is not a readable backup archive ({error}).") from None
    except OSError as error:
        raise BackupError(f"Restore failed, the database is unchanged: {error}") from None
    if staged is not None:
        try:
            _swap_folder(staged, uploads_dir(app))
        except OSError as error:
            raise BackupError(f"The database is restored, but not the uploads ({error}); they "
                              f"are in {staged}.") from None
        from app.images import storage
        if storage.backend(app) == "database":
            import_uploads(app, uploads_dir(app))
    import search
    with app.app_context():
        indexed = search.rebuild(app)
    return {"database": target, "tables": counts, "uploads": manifest.get("uploads", 0),
            "indexed": indexed, "manifest": manifest}


def _restore_files(app: Flask, tar: tarfile.TarFile, members: dict, manifest: dict,
                   target: Path) -> tuple[dict[str, int], Path | None]:
    """Check the archived database, stage the uploads, then swap the database file in
    atomically. Until that last step nothing of the instance has changed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restore-")
    staged = None
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(tar.extractfile(members[DATABASE]), out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _mode_like(target, 0o666))  # mkstemp makes it 0600
        counts = _checked_counts(Path(tmp), manifest)
        uploads = [m for n, m in members.items() if n.split("/")[0] == UPLOADS]
        staged = _stage_uploads(tar, uploads, uploads_dir(app)) if uploads else None
        _replace_database(app, Path(tmp), target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        raise
    return counts, staged


def _mode_like(existing: Path, default: int) -> int:
    """The permissions of what is replaced, else what a plain open() or mkdir() would give."""
    try:
        return stat.S_IMODE(existing.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return default & ~umask


def _checked_counts(path: Path, manifest: dict) -> dict[str, int]:
    """The restored file's table counts, which must be the manifest's: else it is damaged."""
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            counts = table_counts(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The archived database is damaged: {error}.") from None
    if check != "ok":
        raise BackupError(f"The archived database is damaged: {check}.")
    if counts != manifest["tables"]:
        raise BackupError("The archived database does not match its manifest's row counts.")
    return counts


def _replace_database(app: Flask, tmp: Path, target: Path) -> None:
    from models import db
    with app.app_context():
        db.engine.dispose()  # this process's pooled connections still point at the old file
    # A stale -wal would be replayed onto the new file (and corrupt it): out before the swap.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, target)


def _stage_uploads(tar: tarfile.TarFile, members: list, folder: Path) -> Path:
    """Extract the uploads beside their final place (names were checked by _check_members)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.restore-"))
    os.chmod(staged, _mode_like(folder, 0o777))  # mkdtemp makes it 0700
    for member in members:
        dest = staged.joinpath(*member.name.rstrip("/").split("/")[1:])
        if member.isdir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "xb") as out:
            shutil.copyfileobj(tar.extractfile(member), out)
    return staged


def _swap_folder(staged: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(staged, folder)
    shutil.rmtree(old, ignore_errors=True)


def import_uploads(app: Flask, folder: Path) -> int:
    """The files of `folder` (an UPLOADS_DIR) into the database store, those not there yet."""
    from app.images.storage import DatabaseStore
    from models import db
    target, written = DatabaseStore(int(app.config["IMAGE_MAX_BYTES"])), 0
    with app.app_context():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                name = path.relative_to(folder).as_posix()
                if target.read(db.session, name) is None:
                    target.write(db.session, name, path.read_bytes())
                    written += 1
        db.session.commit()
        db.session.remove()
    return written


def _echo_counts(tables: dict[str, int]) -> None:
    width = max(map(len, tables), default=0)
    for name, count in tables.items():
        click.echo(f"  {name:<{width}}  {count:>9}")
    click.echo(f"  {'total':<{width}}  {sum(tables.values()):>9}")


@backup_cli.command("create")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path | None) -> None:
    """Archive the database (online, while the site runs) and uploaded files.
    PATH defaults to instance/backups/maillage-YYYYmmdd-HHMMSS.tar.gz (UTC)."""
    try:
        result = create_backup(current_app._get_current_object(), path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = result["manifest"]
    click.echo(f"Backup written to {result['archive']} (Alembic revision "
               f"{manifest['alembic_revision']}, {manifest['uploads']} uploaded files). Rows:")
    _echo_counts(manifest["tables"])


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database.")
def restore_command(archive: Path, force: bool) -> None:
    """Restore ARCHIVE (from `flask backup create`) and rebuild the search index.
    Stop the site first."""
    try:
        result = restore_backup(current_app._get_current_object(), archive, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = result["manifest"]
    click.echo(f"Restored {result['database']} from {archive} (made {manifest.get('created_at')}, "
               f"Alembic revision {manifest.get('alembic_revision')}; run `flask db upgrade` "
               f"if this code is newer), {result['uploads']} uploaded files, "
               f"{result['indexed']} documents indexed. Rows:")
    _echo_counts(result["tables"])
