"""`flask backup`: an archive taken while the real server takes writes restores to exactly the
rows of its manifest, with a working search; hostile or damaged archives are refused cleanly and
change nothing."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from app import create_app
from app.backup import FORMAT, FORMAT_VERSION, create_backup, table_counts
from models import db
from tests.helpers.apps import TEST_PASSWORD, base_config
from tests.helpers.browser import LiveServer
from tests.helpers.signup import sign_up_over_http

pytestmark = pytest.mark.sqlite_only("the SQLite online backup API (PostgreSQL: pg_dump)")


def backup_config(db_path: Path) -> dict:
    # Uploads beside the test's database, never in the project's own instance/ folder.
    return {**base_config(db_path), "UPLOADS_DIR": str(db_path.parent / "uploads")}


@pytest.fixture
def app_config(db_path) -> dict:
    return backup_config(db_path)


def counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return table_counts(con)
    finally:
        con.close()


def archive_manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


class Registrations(threading.Thread):
    """Registers account after account through the real form and its mailed link until told to
    stop."""

    def __init__(self, server: LiveServer):
        super().__init__(daemon=True)
        self.server, self.names, self.errors = server, [], []
        self.stopping = threading.Event()
        self.changed = threading.Condition()

    def run(self) -> None:
        while not self.stopping.is_set():
            n = len(self.names) + 1
            name = f"Camille Sauvegarde{n}"
            try:  # the form, then the mailed link (read from the outbox)
                sign_up_over_http(self.server.url, self.server.db_file, name,
                                  f"writer{n}@example.org", TEST_PASSWORD)
            except Exception as error:  # reported by the test, not lost in the thread
                self.errors.append(repr(error))
            with self.changed:
                if not self.errors:
                    self.names.append(name)
                self.changed.notify_all()
            if self.errors:
                return

    def wait_for(self, count: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.names) >= count or self.errors, timeout=120)
        assert not self.errors, self.errors
        assert len(self.names) >= count, "the server stopped taking registrations"


def test_a_backup_taken_while_the_server_writes_restores_to_its_manifest(db_path, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "avatars").mkdir(parents=True)
    (uploads / "avatars" / "camille.png").write_bytes(b"\x89PNG not really")
    archive = tmp_path / "archives" / "snapshot.tar.gz"
    server = LiveServer(db_path, tmp_path, env={"MAILLAGE_REGISTER_RATE_LIMIT": "100000 per hour"})
    writer = Registrations(server)
    try:
        writer.start()
        writer.wait_for(3)
        app = create_app(backup_config(db_path))
        result = app.test_cli_runner().invoke(args=["backup", "create", str(archive)])
        assert result.exit_code == 0, result.output
        after_backup = len(writer.names)
        writer.wait_for(after_backup + 2)  # the server kept writing: some accounts came later
    finally:
        writer.stopping.set()
        writer.join(60)
        server.stop()
    assert not writer.errors, writer.errors
    manifest = archive_manifest(archive)
    assert str(archive) in result.output and re.search(r"\buser\s+\d+", result.output)
    assert manifest["format"] == FORMAT and manifest["format_version"] == FORMAT_VERSION
    assert manifest["app"] == "Maillage" and manifest["created_at"].endswith("+00:00")
    assert manifest["alembic_revision"] and manifest["uploads"] == 1
    tables = manifest["tables"]
    # One snapshot: every registration (a user and its profile, one commit) is whole or absent.
    assert 3 <= tables["user"] == tables["profile"] < counts(db_path)["user"]
    assert tables["commune"] > 400
    in_backup, later = writer.names[0], writer.names[-1]

    # The instance is lost: database, WAL files, search index and uploads.
    with app.app_context():
        db.engine.dispose()
    for path in tmp_path.iterdir():
        if path.name.startswith("maillage.sqlite3"):
            path.unlink()
    for folder in ("search-index", "uploads"):
        shutil.rmtree(tmp_path / folder)

    restored_app = create_app(backup_config(db_path))
    result = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert counts(db_path) == tables
    assert re.search(rf"^\s*user\s+{tables['user']}$", result.output, re.M), result.output
    assert (uploads / "avatars" / "camille.png").read_bytes() == b"\x89PNG not really"
    client = restored_app.test_client()

    def titles(q: str) -> list[str]:
        data = client.get("/api/v1/search", query_string={"q": q}).get_json()
        return [r["title"] for r in data["results"]]
    assert titles(in_backup) == [in_backup]
    assert later not in titles(later)  # registered after the snapshot: not restored
    with restored_app.app_context():
        db.engine.dispose()


def tar_with(path: Path, *entries) -> Path:
    """entries: (name, bytes) for files, (name, None, linkname) for symlinks."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data, *link in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, link[0]
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


MANIFEST = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "tables": {}}).encode()
ESCAPE = "escaped-by-backup.txt"


def hostile(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.tar.gz"
    database = ("database.sqlite3", b"")
    if kind == "traversal":
        return tar_with(path, ("manifest.json", MANIFEST), database, (f"../{ESCAPE}", b"x"))
    if kind == "uploads-traversal":
        return tar_with(path, ("manifest.json", MANIFEST), database,
                        (f"uploads/../../{ESCAPE}", b"x"))
    if kind == "absolute":
        return tar_with(path, ("manifest.json", MANIFEST), database,
                        (f"{folder}/{ESCAPE}", b"x"))
    if kind == "symlink":
        return tar_with(path, ("manifest.json", MANIFEST), database,
                        ("uploads/passwd", None, "/etc/passwd"))
    if kind == "no-manifest":
        return tar_with(path, database)
    if kind == "unknown-format":
        manifest = json.dumps({"format": FORMAT, "format_version": 99, "tables": {}}).encode()
        return tar_with(path, ("manifest.json", manifest), database)
    if kind == "damaged-database":
        return tar_with(path, ("manifest.json", MANIFEST), ("database.sqlite3", b"\0" * 9000))
    if kind == "counts-mismatch":  # a sound database, but not the one the manifest describes
        other = folder / "other.sqlite3"
        with sqlite3.connect(other) as con:
            con.execute("CREATE TABLE user (id INTEGER PRIMARY KEY)")
        con.close()
        return tar_with(path, ("manifest.json", MANIFEST), ("database.sqlite3", other.read_bytes()))
    if kind == "bad-json":
        return tar_with(path, ("manifest.json", b"{not json"), database)
    if kind == "unexpected-member":
        return tar_with(path, ("manifest.json", MANIFEST), database, ("wsgi.py", b"x"))
    if kind == "not-a-tar":
        path.write_bytes(b"this is not an archive at all" * 100)
        return path
    raise AssertionError(kind)


def fingerprint(db_path: Path) -> str:
    return hashlib.sha256(db_path.read_bytes()).hexdigest()


def assert_clean_refusal(result, *words: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a message, no traceback
    assert "Error:" in result.output and "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


@pytest.mark.parametrize("kind, message", [
    ("traversal", "Unsafe path"), ("uploads-traversal", "Unsafe path"),
    ("absolute", "Unsafe path"), ("symlink", "link"), ("no-manifest", "no manifest.json"),
    ("unknown-format", "format version 99"), ("damaged-database", "damaged"),
    ("counts-mismatch", "does not match"), ("bad-json", "not valid JSON"),
    ("unexpected-member", "Unexpected member"), ("not-a-tar", "not a readable backup archive"),
])
def test_hostile_or_damaged_archives_are_refused_and_change_nothing(app, runner, db_path,
                                                                    tmp_path, kind, message):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "kept.txt").write_text("kept")
    before, rows = fingerprint(db_path), counts(db_path)
    result = runner.invoke(args=["backup", "restore", str(hostile(kind, tmp_path)), "--force"])
    assert_clean_refusal(result, message)
    assert fingerprint(db_path) == before and counts(db_path) == rows
    assert [p.name for p in uploads.iterdir()] == ["kept.txt"]
    assert not list(tmp_path.parent.rglob(ESCAPE))
    assert not [p for p in tmp_path.iterdir() if ".restore-" in p.name]  # no temp file left


def test_a_truncated_archive_is_refused(app, runner, db_path, tmp_path):
    archive = create_backup(app, tmp_path / "whole.tar.gz")["archive"]
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    before = fingerprint(db_path)
    assert_clean_refusal(runner.invoke(args=["backup", "restore", str(cut), "--force"]),
                         "not a readable backup archive")
    assert fingerprint(db_path) == before


def test_restoring_over_a_database_needs_force(app, runner, db_path, tmp_path, make_user):
    make_user("before-the-backup@example.org", display_name="Léa Avant")
    archive = tmp_path / "before.tar.gz"
    assert runner.invoke(args=["backup", "create", str(archive)]).exit_code == 0
    make_user("after-the-backup@example.org", display_name="Noé Tardif")
    db_path.chmod(0o640)
    before, rows = fingerprint(db_path), counts(db_path)

    assert_clean_refusal(runner.invoke(args=["backup", "restore", str(archive)]), "--force")
    assert fingerprint(db_path) == before and counts(db_path) == rows

    result = runner.invoke(args=["backup", "restore", str(archive), "--force"])
    assert result.exit_code == 0, result.output
    assert counts(db_path) == archive_manifest(archive)["tables"]
    assert counts(db_path)["user"] == rows["user"] - 1
    assert db_path.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions
    client = app.test_client()
    for query, expected in (("Avant", ["Léa Avant"]), ("Tardif", [])):
        data = client.get("/api/v1/search", query_string={"q": query}).get_json()
        assert [r["title"] for r in data["results"]] == expected


def test_default_path_and_an_existing_archive(app, runner, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    result = runner.invoke(args=["backup", "create"])
    assert result.exit_code == 0, result.output
    made = list((tmp_path / "instance" / "backups").iterdir())
    assert len(made) == 1 and re.fullmatch(r"maillage-\d{8}-\d{6}\.tar\.gz", made[0].name)
    assert_clean_refusal(runner.invoke(args=["backup", "create", str(made[0])]), "already exists")


def test_postgresql_is_left_to_pg_dump(app, runner, tmp_path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://maillage@127.0.0.1/maillage"
    assert_clean_refusal(runner.invoke(args=["backup", "create", str(tmp_path / "pg.tar.gz")]),
                         "pg_dump")
    assert not (tmp_path / "pg.tar.gz").exists()
    assert_clean_refusal(runner.invoke(args=["backup", "restore", str(tmp_path / "x.tar.gz")]),
                         "pg_dump")


def test_an_archive_is_readable_by_its_owner_only(app, tmp_path):
    """It holds password hashes and email addresses."""
    archive = Path(create_backup(app, tmp_path / "private.tar.gz")["archive"])
    assert archive.stat().st_mode & 0o777 == 0o600
