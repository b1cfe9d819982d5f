"""Pictures (issue 21): avatars, network logos and place photos.

Hostile files are refused with a translated message and the rest of the form kept; a real photo
loses its EXIF and GPS data and is turned upright; what is served says what it is, is cached for
a year under a name that follows the content, and goes when nothing names it any more (a new
picture, a moderator, a deleted account). Every file is made here with Pillow."""
from __future__ import annotations

import io
import json
import re
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.backup import create_backup, restore_backup
from app.images import storage
from app.images.processing import Crop, ImageRefused, process
from models import AuditEntry, Network, Place, Profile, User, db
from tests.helpers.apps import TEST_PASSWORD, csrf_from, login_as
from tests.helpers.images import jpeg

MEDIA = re.compile(r'/media/([0-9a-f]{24}-[0-9]+x[0-9]+)/(\d+)')


# -- files ---------------------------------------------------------------------------------------

def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes declaring a huge picture (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("green", "red", "blue")]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)


def noise_jpeg() -> bytes:
    return encoded(Image.effect_noise((400, 300), 80).convert("RGB"), "JPEG", quality=90)


def near(pixel, colour) -> bool:
    return all(abs(a - b) < 60 for a, b in zip(pixel[:3], colour, strict=True))


# -- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def member(client, make_user):
    user = make_user("camille@example.org", display_name="Camille Fabre")
    login_as(client, user)
    return user


def profile_form(client, picture: bytes | None = None, name: str = "photo.jpg", **overrides):
    token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
    data = {"display_name": "Camille Fabre", "kind": "independent", "headline": "Menuisière",
            "commune": "Rignac (12390)", "skills": "Menuiserie", "bio": "Mon atelier",
            "offers": "", "needs": "", "website": "", "visibility": "public",
            "direct_messages": "connections", "csrf_token": token}
    if picture is not None:
        data["avatar"] = (io.BytesIO(picture), name, "image/jpeg")
    data.update(overrides)
    return data


def upload_avatar(client, picture: bytes, name: str = "photo.jpg", **overrides):
    return client.post("/people/me/edit", data=profile_form(client, picture, name, **overrides),
                       content_type="multipart/form-data")


def avatar_of(user: User) -> str | None:
    db.session.rollback()
    return db.session.scalar(select(Profile.avatar).where(Profile.user_id == user.id))


def served(client, key: str, size: int):
    response = client.get(f"/media/{key}/{size}")
    assert response.status_code == 200
    return response


# -- a real photo ---------------------------------------------------------------------------------

def test_a_phone_photo_loses_exif_and_gps_and_is_turned_upright(app, client, member):
    source = jpeg(orientation=6, gps=True)
    original = Image.open(io.BytesIO(source)).getexif()
    assert original.get_ifd(0x8825)[2] and original[0x0112] == 6  # the test file is what it says
    r = upload_avatar(client, source)
    assert r.status_code == 302
    key = avatar_of(member)
    assert key and key.endswith("-256x256")
    html = client.get(f"/people/{member.profile.id}").get_data(as_text=True)
    assert f"/media/{key}/96" in html

    response = served(client, key, 256)
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == "WEBP" and picture.size == (256, 256)
    assert len(picture.getexif()) == 0 and not picture.getexif().get_ifd(0x8825)
    assert "exif" not in picture.info and "icc_profile" not in picture.info
    assert b"Exif" not in response.data and b"PhoneMaker" not in response.data
    # Orientation 6: the stored top (red) is shown on the right, the bottom (blue) on the left.
    rgb = picture.convert("RGB")
    assert near(rgb.getpixel((40, 60)), (0, 0, 255)) and near(rgb.getpixel((40, 200)), (0, 0, 255))
    assert near(rgb.getpixel((216, 60)), (255, 0, 0))
    assert near(rgb.getpixel((216, 200)), (255, 0, 0))
    for size in (48, 96):
        assert Image.open(io.BytesIO(served(client, key, size).data)).size == (size, size)
    # A conditional request is answered without the body.
    again = client.get(f"/media/{key}/256", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_new_picture_gets_a_new_url_and_the_old_files_go(app, client, member):
    upload_avatar(client, jpeg())
    first = avatar_of(member)
    assert storage.path_for(first, 256).is_file()
    upload_avatar(client, jpeg(colours=("green", "yellow")))
    second = avatar_of(member)
    assert second != first
    assert not storage.path_for(first, 256).exists() and storage.path_for(second, 48).is_file()
    assert client.get(f"/media/{first}/256").status_code == 404
    # "Remove": initials again, and the files go.
    r = client.post("/people/me/edit", data=profile_form(client, avatar_remove="y"),
                    content_type="multipart/form-data")
    assert r.status_code == 302 and avatar_of(member) is None
    assert not storage.path_for(second, 48).exists()
    html = client.get(f"/people/{member.profile.id}").get_data(as_text=True)
    assert 'class="avatar avatar-initials' in html and ">CF</text>" in html


def test_the_crop_box_is_used_when_the_form_sends_one(app):
    picture = Image.new("RGB", (200, 100), "white")
    picture.paste(Image.new("RGB", (100, 100), "black"), (100, 0))
    data = encoded(picture, "PNG")
    with app.test_request_context():
        right = process(data, "avatar", Crop(100, 0, 100), max_bytes=10**6, max_pixels=10**7)
        centre = process(data, "avatar", None, max_bytes=10**6, max_pixels=10**7)
    assert near(Image.open(io.BytesIO(right.variants[48])).convert("RGB").getpixel((4, 24)),
                (0, 0, 0))
    centred = Image.open(io.BytesIO(centre.variants[48])).convert("RGB")
    assert near(centred.getpixel((4, 24)), (255, 255, 255))
    assert near(centred.getpixel((44, 24)), (0, 0, 0))


def test_a_cut_picture_is_refused_after_a_pdf_was_made_in_the_process(app):
    """Importing WeasyPrint (the council report, the census letters) turns on Pillow's
    process-wide LOAD_TRUNCATED_IMAGES; a cut JPEG must still be refused afterwards."""
    from app.organisers.report import report_pdf
    assert report_pdf("<p>Rapport</p>", "http://localhost/").startswith(b"%PDF")
    with app.test_request_context(), pytest.raises(ImageRefused) as refused:
        process(noise_jpeg()[:6000], "avatar", None, max_bytes=10**6, max_pixels=10**7)
    assert refused.value.code == "damaged"


def test_a_polyglot_jpeg_keeps_only_its_pixels(app, client, member):
    r = upload_avatar(client, jpeg() + b"<html><script>alert(1)</script></html>")
    assert r.status_code == 302
    body = served(client, avatar_of(member), 256).data
    assert b"<script" not in body and b"<html" not in body


# -- hostile files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("picture, name, message", [
    (png_declaring(30_000, 30_000), "bomb.png", "trop de pixels"),
    (png_declaring(7000, 7000), "big.png", "trop de pixels"),  # under Pillow's own limit, over ours
    (b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.jpg",
     "n\u2019est pas une image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.jpg",
     "n\u2019est pas une image"),
    (noise_jpeg()[:6000], "cut.jpg", "abîmée ou incomplète"),
    (encoded(Image.effect_noise((300, 300), 60).convert("RGB"), "PNG")[:5000], "cut.png",
     "abîmée ou incomplète"),
    (encoded(Image.new("CMYK", (80, 60), (0, 255, 255, 0)), "TIFF"), "print.tif",
     "Les images TIFF ne sont pas acceptées"),
    (b"", "empty.jpg", "Ce fichier est vide"),
    (b"", "", None),  # a file input left empty: no picture, the rest is saved
])
def test_hostile_files_are_refused_and_nothing_else_is_lost(app, client, member, picture, name,
                                                            message):
    r = upload_avatar(client, picture, name, headline="Gardée", bio="Tout mon texte")
    if message is None:
        assert r.status_code == 302 and avatar_of(member) is None
        assert db.session.get(User, member.id).profile.headline == "Gardée"
        return
    html = r.get_data(as_text=True)
    assert r.status_code == 422, html[:500]
    assert message in html
    assert 'value="Gardée"' in html and "Tout mon texte" in html
    assert avatar_of(member) is None
    db.session.rollback()
    assert db.session.get(User, member.id).profile.headline == ""  # nothing saved either
    folder = storage.images_dir(app)
    assert not folder.exists() or not any(folder.rglob("*.webp"))


def test_fifty_megabytes_are_refused_before_being_read(app, client, member):
    page = client.get("/people/me/edit").get_data(as_text=True)
    assert 'data-max-bytes="10485760"' in page  # the page refuses it before sending (JS)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    r = upload_avatar(client, big, "huge.jpg")
    html = r.get_data(as_text=True)
    assert r.status_code == 413
    assert "plus grande que 10\u00a0Mo" in html and "Maillage ne l\u2019a pas lue" in html
    assert avatar_of(member) is None


def test_a_cmyk_jpeg_is_accepted_in_rgb(app, client, member):
    upload_avatar(client, encoded(Image.new("CMYK", (90, 90), (0, 255, 255, 0)), "JPEG"))
    picture = Image.open(io.BytesIO(served(client, avatar_of(member), 96).data))
    assert picture.mode == "RGB" and near(picture.getpixel((48, 48)), (255, 0, 0))


def test_an_animated_gif_keeps_its_first_frame_and_says_so(app, client, member):
    r = upload_avatar(client, animated_gif(), "anim.gif")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "seule sa première image est gardée" in page
    picture = Image.open(io.BytesIO(served(client, avatar_of(member), 48).data))
    assert not getattr(picture, "is_animated", False)
    assert near(picture.convert("RGB").getpixel((24, 24)), (0, 128, 0))


def test_processing_refuses_by_code(app):
    with app.test_request_context():
        for data, code in ((b"x" * 2000, "too_big"), (b"", "empty"),
                           (png_declaring(30_000, 30_000), "too_many_pixels")):
            with pytest.raises(ImageRefused) as refused:
                process(data, "avatar", max_bytes=1000, max_pixels=10**7)
            assert refused.value.code == code


# -- who may, CSRF, rate limit -------------------------------------------------------------------

def test_an_upload_needs_the_csrf_token(app, client, member):
    r = upload_avatar(client, jpeg(), csrf_token="forged")
    assert r.status_code == 422 and avatar_of(member) is None


def test_uploads_are_rate_limited_per_person(app, client, member):
    app.config["IMAGE_UPLOAD_RATE_LIMIT"] = "2 per hour"
    for colours in (("red", "blue"), ("green", "blue")):
        assert upload_avatar(client, jpeg(colours=colours)).status_code == 302
    r = upload_avatar(client, jpeg(colours=("white", "black")), headline="Gardée")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Attendez un peu" in html and 'value="Gardée"' in html


def test_a_network_logo_is_for_its_animators(app, client, make_user, make_network):
    animator = make_user("ani@example.org", display_name="Ani Mateur")
    network = make_network(animator)
    member = make_user("m@example.org")
    login_as(client, member)
    token = csrf_from(client.get("/networks/").get_data(as_text=True))
    form = {"name": network.name, "description": "", "skills": "", "scope": "territory",
            "visibility": "open", "charter": "Be kind.", "csrf_token": token,
            "logo": (io.BytesIO(jpeg()), "logo.jpg")}
    assert client.post(f"/networks/{network.id}/edit", data=dict(form),
                       content_type="multipart/form-data").status_code == 403
    other = app.test_client()
    login_as(other, animator)
    form["csrf_token"] = csrf_from(other.get(f"/networks/{network.id}/edit").get_data(as_text=True))
    form["logo"] = (io.BytesIO(jpeg()), "logo.jpg")
    r = other.post(f"/networks/{network.id}/edit", data=form, content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.rollback()
    logo = db.session.get(Network, network.id).logo
    assert logo and f"/media/{logo}/96" in other.get(f"/networks/{network.id}").get_data(as_text=True)
    assert f"/media/{logo}/48" in client.get("/networks/").get_data(as_text=True)


def test_a_place_photo_is_for_its_editors_with_its_alt_text(app, client, make_user):
    organiser = make_user("orga@example.org", role="organiser")
    place = Place(name="La Fabrique", commune_insee="12202", created_by_id=organiser.id)
    db.session.add(place)
    db.session.commit()
    form = {"name": "La Fabrique", "status": "open", "commune": "Rodez", "address": "",
            "description": "", "capacity_desks": "", "surface_m2": "", "rent_eur_month": "",
            "opening_hours": "", "charter": "", "governance_model": "",
            "photo_alt": "La grande salle, six bureaux près des fenêtres"}
    login_as(client, make_user("m@example.org"))
    token = csrf_from(client.get("/places/").get_data(as_text=True))
    assert client.post(f"/places/{place.id}/edit", data={
        **form, "csrf_token": token, "photo": (io.BytesIO(jpeg()), "p.jpg")},
        content_type="multipart/form-data").status_code == 403
    editor = app.test_client()
    login_as(editor, organiser)
    token = csrf_from(editor.get(f"/places/{place.id}/edit").get_data(as_text=True))
    wide = jpeg(size=(2000, 1000), orientation=6)  # shown upright: 1000 x 2000
    r = editor.post(f"/places/{place.id}/edit", data={
        **form, "csrf_token": token, "photo": (io.BytesIO(wide), "p.jpg")},
        content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.rollback()
    photo = db.session.get(Place, place.id).photo
    assert Image.open(io.BytesIO(served(editor, photo, 1280).data)).size == (640, 1280)
    assert Image.open(io.BytesIO(served(editor, photo, 400).data)).size == (400, 800)
    html = editor.get(f"/places/{place.id}").get_data(as_text=True)
    img = re.search(r'<img class="place-photo"[^>]*>', html).group(0)
    assert 'alt="La grande salle, six bureaux près des fenêtres"' in img
    assert 'width="640" height="1280"' in img and 'loading="lazy"' in img
    listing = editor.get("/places/").get_data(as_text=True)
    assert re.search(rf'<img class="place-thumb" src="/media/{photo}/400" width="400" '
                     r'height="800" alt="La grande salle', listing)


# -- where avatars show ------------------------------------------------------------------------

def test_avatars_show_in_lists_small_and_lazy(app, client, member, make_user):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    directory = client.get("/people/").get_data(as_text=True)
    img = re.search(rf'<img class="avatar" src="/media/{key}/48"[^>]*>', directory).group(0)
    assert 'width="48" height="48"' in img and 'alt=""' in img and 'loading="lazy"' in img
    found = client.get("/api/v1/search", query_string={"q": "Camille"}).get_json()
    assert found["results"][0]["image"] == f"/media/{key}/48"
    assert f"/media/{key}/48" in client.get("/search", query_string={"q": "Camille"}).get_data(
        as_text=True)


def test_faces_take_the_smallest_file_their_screen_needs(app):
    """A file 1.5 times the size shown serves every screen (no srcset: a 32 px face of the feed
    keeps its 48 px file on a phone's 2x screen, and a page of faces stays light, issue 21);
    smaller, the larger files are offered with their true density."""
    key = "cd" * 12 + "-256x256"
    with app.test_request_context():
        assert storage.square_srcset(key, 48, 32) is None  # feed, posts, suggestions
        assert storage.square_srcset(key, 48, 24) is None  # chat
        assert storage.square_srcset(key, 48, 48) == f"/media/{key}/48 1x, /media/{key}/96 2x"
        assert storage.square_srcset(key, 96, 96) == \
            f"/media/{key}/96 1x, /media/{key}/256 2.67x"
        assert storage.square_srcset(key, 256, 256) is None
        assert storage.square_srcset(None, 48, 48) is None
        assert storage.square_srcset("../etc/passwd", 48, 48) is None


def test_the_member_home_shows_small_lazy_faces_with_their_size(app, make_user, make_network):
    """The feed's faces (bytes, not time: bench/page_weight.py times them): the 48 px file,
    32 x 32 on the page so nothing moves when it arrives, loaded lazily, no larger file."""
    key = "ef" * 12 + "-256x256"
    reader = make_user("r@example.org", display_name="Rita Reader")
    author = make_user("a@example.org", display_name="Albert Author", avatar=key)
    network = make_network(author, "Réseau des vanniers")
    from app.networks.service import create_post, join_open
    join_open(db.session, network, reader, None)
    create_post(db.session, network, author, "Bonjour à tous")
    db.session.commit()
    client = app.test_client()
    login_as(client, reader)
    html = client.get("/").get_data(as_text=True)
    faces = re.findall(rf'<img class="avatar"[^>]*/media/{key}/[^>]*>', html)
    assert faces
    for img in faces:
        assert f'src="/media/{key}/48"' in img and "srcset" not in img
        assert 'width="32" height="32"' in img and 'loading="lazy"' in img
        assert 'decoding="async"' in img and 'alt=""' in img
    assert f"/media/{key}/96" not in html and f"/media/{key}/256" not in html


def test_the_chat_payload_carries_the_avatar(app, member, make_user):
    from app.chat.messages import serialize
    from app.chat.sending import store_message
    from models import Room, RoomKind, RoomMember
    other = make_user("o@example.org", display_name="Olga")
    room = Room(kind=RoomKind.DIRECT, created_by_id=member.id)
    db.session.add(room)
    db.session.flush()
    db.session.add_all([RoomMember(room_id=room.id, user_id=u.id) for u in (member, other)])
    member.profile.avatar = "0" * 24 + "-256x256"
    message, _ = store_message(db.session, room.id, member.id, "Bonjour", "c" * 16)
    db.session.commit()
    with app.test_request_context():
        payload = serialize(message)
    assert payload["author"] == {"id": member.id, "name": "Camille Fabre",
                                 "avatar": "/media/" + "0" * 24 + "-256x256/48"}
    with app.test_request_context():
        assert serialize(store_message(db.session, room.id, other.id, "Salut", "d" * 16)[0]
                         )["author"]["avatar"] is None


# -- moderation, my data, deletion, backup ------------------------------------------------------

def test_an_organiser_removes_a_picture_audited(app, client, member, make_user):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    organiser = make_user("orga@example.org", role="organiser")
    moderator = app.test_client()
    login_as(moderator, organiser)
    body = {"action": "remove_image", "kind": "profile", "target": member.profile.id,
            "reason": "Photo d'une autre personne"}
    token = csrf_from(moderator.get("/networks/").get_data(as_text=True))
    assert moderator.post("/api/v1/moderation/actions", json=body).status_code == 400  # no token
    r = moderator.post("/api/v1/moderation/actions", json=body, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["ok"] is True
    assert avatar_of(member) is None and not storage.path_for(key, 256).exists()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "remove_image"))
    assert entry.actor_id == organiser.id and entry.target_id == member.profile.id
    assert entry.reason == "Photo d'une autre personne"
    # Again: nothing left to remove.
    r = moderator.post("/api/v1/moderation/actions", json=body, headers={"X-CSRFToken": token})
    assert r.status_code == 422


def test_my_data_carries_my_avatar_and_deleting_the_account_deletes_its_files(
        app, client, member):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/people/me/data.zip").data))
    profile = json.loads(archive.read("profile.json"))[0]
    assert profile["avatar"] == key and profile["avatar_urls"]["256"] == f"/media/{key}/256"
    assert Image.open(io.BytesIO(archive.read("avatar.webp"))).size == (256, 256)
    token = csrf_from(client.get("/people/me/delete").get_data(as_text=True))
    r = client.post("/people/me/delete", data={"password": TEST_PASSWORD,
                                                "content": "anonymise", "confirm": "y",
                                                "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert not storage.path_for(key, 256).exists() and not storage.path_for(key, 48).exists()


@pytest.mark.sqlite_only("the SQLite online backup API (PostgreSQL: pg_dump)")
def test_pictures_are_in_the_backup_and_come_back(app, client, member, tmp_path):
    upload_avatar(client, jpeg())
    key = avatar_of(member)
    archive = tmp_path / "backup.tar.gz"
    create_backup(app, archive)
    name = f"uploads/images/{key[:2]}/{key}_256.webp"
    with tarfile.open(archive) as tar:
        assert name in tar.getnames()
    original = storage.path_for(key, 256).read_bytes()
    for size in storage.ALL_SIZES:
        storage.path_for(key, size).unlink(missing_ok=True)
    restore_backup(app, archive, force=True)
    assert storage.path_for(key, 256).read_bytes() == original
    assert Path(storage.images_dir(app)).is_dir()


def test_suggestions_and_posts_show_avatars(app, client, make_user, make_network):
    key = "ab" * 12 + "-256x256"
    viewer = make_user("v@example.org", display_name="Vera Viewer", skills=("Menuiserie",))
    other = make_user("o@example.org", display_name="Oscar Other", skills=("Menuiserie",),
                      avatar=key)
    login_as(client, viewer)
    html = client.get("/suggestions").get_data(as_text=True)
    img = re.search(rf'<img class="avatar" src="/media/{key}/48"[^>]*>', html).group(0)
    assert 'width="32" height="32"' in img and 'alt=""' in img and 'loading="lazy"' in img
    network = make_network(other)
    from app.networks.service import create_post
    create_post(db.session, network, other, "Bonjour à tous")
    db.session.commit()
    page = app.test_client()
    login_as(page, other)
    assert f"/media/{key}/48" in page.get(f"/networks/{network.id}").get_data(as_text=True)
