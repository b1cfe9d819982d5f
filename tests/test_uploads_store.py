"""Uploads readable from every machine (issue 26): with MAILLAGE_UPLOADS_BACKEND=database a
picture's sizes are rows of `stored_file`, so a second app instance with its own UPLOADS_DIR
(another machine, no shared disk) serves what the first one stored; the data export and the
backup carry them; the local folder stays the default."""
from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app import create_app
from app.backup import create_backup, restore_backup
from app.images import storage
from models import Profile, StoredFile, db
from tests.helpers.apps import base_config, csrf_from, login_as
from tests.helpers.images import jpeg


@pytest.fixture
def app_config(db_path) -> dict:
    return {**base_config(db_path), "UPLOADS_BACKEND": "database",
            "UPLOADS_DIR": str(db_path.parent / "machine-a")}


@pytest.fixture
def member(client, make_user):
    user = make_user("camille@example.org", display_name="Camille Fabre")
    login_as(client, user)
    return user


def upload_avatar(client, picture: bytes | None = None, **extra):
    token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
    data = {"display_name": "Camille Fabre", "kind": "independent", "headline": "Menuisière",
            "commune": "Rignac (12390)", "skills": "Menuiserie", "bio": "", "offers": "",
            "needs": "", "website": "", "visibility": "public",
            "direct_messages": "connections", "csrf_token": token, **extra}
    if picture is not None:
        data["avatar"] = (io.BytesIO(picture), "photo.jpg", "image/jpeg")
    response = client.post("/people/me/edit", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.rollback()


def avatar_of(user) -> str | None:
    db.session.rollback()
    return db.session.scalar(select(Profile.avatar).where(Profile.user_id == user.id))


def stored_names() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(StoredFile.name)))


def files_below(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def other_machine(db_path: Path, backend: str):
    """A second app on the same database with its own, empty, uploads folder."""
    return create_app({**base_config(db_path), "UPLOADS_BACKEND": backend,
                       "UPLOADS_DIR": str(db_path.parent / "machine-b")})


@pytest.mark.parametrize("backend_b", ["database", "local"])
def test_a_picture_uploaded_through_one_machine_is_served_by_another(app, client, member,
                                                                     db_path, backend_b):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    assert key and stored_names() == {storage.name_for(key, s) for s in (48, 96, 256)}
    assert files_below(db_path.parent / "machine-a") == []  # nothing on A's disk
    here = client.get(f"/media/{key}/256")
    assert here.status_code == 200 and here.headers["Content-Type"] == "image/webp"

    machine_b = other_machine(db_path, backend_b)
    there = machine_b.test_client().get(f"/media/{key}/256")
    if backend_b == "local":  # B looking at its own disk only: what issue 26 is about
        assert there.status_code == 404
    else:
        assert there.status_code == 200 and there.data == here.data
        assert there.headers["ETag"] == here.headers["ETag"]
        assert there.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(there.data)).size == (256, 256)
        again = machine_b.test_client().get(f"/media/{key}/256",
                                            headers={"If-None-Match": there.headers["ETag"]})
        assert again.status_code == 304
    assert files_below(db_path.parent / "machine-b") == []
    with machine_b.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_new_picture_and_remove_delete_the_old_rows(app, client, member):
    upload_avatar(client, jpeg())
    first = avatar_of(member)
    upload_avatar(client, jpeg(colours=("green", "yellow")))
    second = avatar_of(member)
    assert second != first
    assert stored_names() == {storage.name_for(second, s) for s in (48, 96, 256)}
    assert client.get(f"/media/{first}/256").status_code == 404
    upload_avatar(client, avatar_remove="y")
    assert avatar_of(member) is None and stored_names() == set()


def test_my_data_carries_the_avatar_from_the_database_store(app, client, member):
    upload_avatar(client, jpeg())
    archive = zipfile.ZipFile(io.BytesIO(client.get("/people/me/data.zip").data))
    assert Image.open(io.BytesIO(archive.read("avatar.webp"))).size == (256, 256)


@pytest.mark.sqlite_only("the SQLite online backup API (PostgreSQL: pg_dump holds stored_file)")
def test_the_backup_carries_stored_pictures_and_restores_them(app, client, member, tmp_path):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    original = storage.read(key, 256)
    archive = tmp_path / "backup.tar.gz"
    result = create_backup(app, archive)
    assert result["manifest"]["uploads"] == 3 and result["manifest"]["tables"]["stored_file"] == 3
    db.session.execute(StoredFile.__table__.delete())
    db.session.commit()
    assert client.get(f"/media/{key}/256").status_code == 404
    restore_backup(app, archive, force=True)
    db.session.remove()
    assert storage.read(key, 256) == original
    assert client.get(f"/media/{key}/256").data == original


@pytest.mark.sqlite_only("the SQLite online backup API (PostgreSQL: pg_dump)")
def test_an_archive_of_a_local_folder_restores_into_the_database_store(db_path, tmp_path):
    local = create_app({**base_config(db_path), "UPLOADS_DIR": str(tmp_path / "local")})
    name = "images/ab/" + "ab" * 12 + "-256x256_256.webp"
    (tmp_path / "local" / "images" / "ab").mkdir(parents=True)
    (tmp_path / "local").joinpath(*name.split("/")).write_bytes(b"RIFF....WEBPVP8 ")
    archive = tmp_path / "local.tar.gz"
    create_backup(local, archive)
    with tarfile.open(archive) as tar:
        assert f"uploads/{name}" in tar.getnames()
    shared = create_app({**base_config(db_path), "UPLOADS_BACKEND": "database",
                         "UPLOADS_DIR": str(tmp_path / "elsewhere")})
    restore_backup(shared, archive, force=True)
    with shared.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1
        assert storage.store(shared).read(db.session, name) == b"RIFF....WEBPVP8 "
        db.session.remove()
        db.engine.dispose()


def test_an_unknown_backend_stops_the_app_at_start(db_path):
    with pytest.raises(RuntimeError, match="MAILLAGE_UPLOADS_BACKEND='s3': choose one of local, "
                                           "database"):
        create_app({**base_config(db_path), "UPLOADS_BACKEND": "s3"})


def test_the_database_store_refuses_a_file_above_the_upload_limit(app):
    small = storage.DatabaseStore(max_bytes=10)
    with pytest.raises(ValueError, match="more than IMAGE_MAX_BYTES"):
        small.write(db.session, "images/ab/x_48.webp", b"x" * 11)
    small.write(db.session, "images/ab/x_48.webp", b"x" * 10)
    assert small.read(db.session, "images/ab/x_48.webp") == b"x" * 10
    db.session.rollback()


def test_flask_uploads_import_moves_a_local_folder_into_the_database(db_path, tmp_path):
    folder = tmp_path / "was-local"
    name = "images/cd/" + "cd" * 12 + "-48x48_48.webp"
    folder.joinpath(*name.split("/")).parent.mkdir(parents=True)
    folder.joinpath(*name.split("/")).write_bytes(b"RIFF....WEBPVP8 ")
    local = create_app({**base_config(db_path), "UPLOADS_DIR": str(folder)})
    refused = local.test_cli_runner().invoke(args=["uploads", "import"])
    assert refused.exit_code != 0 and "MAILLAGE_UPLOADS_BACKEND=database first" in refused.output
    shared = create_app({**base_config(db_path), "UPLOADS_BACKEND": "database",
                         "UPLOADS_DIR": str(folder)})
    for expected in ("1 files", "0 files"):  # the second time, nothing new
        result = shared.test_cli_runner().invoke(args=["uploads", "import"])
        assert result.exit_code == 0 and expected in result.output, result.output
    response = create_app({**base_config(db_path), "UPLOADS_BACKEND": "database",
                           "UPLOADS_DIR": str(tmp_path / "empty")}).test_client() \
        .get("/media/" + "cd" * 12 + "-48x48/48")
    assert response.status_code == 200 and response.data == b"RIFF....WEBPVP8 "
    for app in (local, shared):
        with app.app_context():
            db.engine.dispose()
