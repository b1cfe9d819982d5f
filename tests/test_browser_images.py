"""In Chromium: a member chooses a profile picture, moves the cropper's square and sees the part
they kept on their profile; a picture over the limit is refused before the form is sent, and
nothing typed is lost. Everything loads from the site itself."""
import io
import re

import pytest
from PIL import Image

from tests.helpers import databases
from tests.helpers.browser import LiveServer
from tests.helpers.browser_steps import sign_up

pytestmark = pytest.mark.browser

MAX_BYTES = 1024 * 1024  # small, so that a file over the limit is quick to make


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("live-images")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    server = LiveServer(db_file, workdir, env={"MAILLAGE_IMAGE_MAX_BYTES": str(MAX_BYTES)})
    yield server
    server.stop()
    databases.drop(db_file)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 740},
                                  locale="fr-FR")
    page = context.new_page()
    hosts = set()
    page.on("request", lambda r: hosts.add(re.sub(r"^https?://([^/]+).*", r"\1", r.url)))
    page.requested_hosts = hosts
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def two_halves() -> bytes:
    """400 x 200: black on the left, white on the right."""
    image = Image.new("RGB", (400, 200), "black")
    image.paste(Image.new("RGB", (200, 200), "white"), (200, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_crop_an_avatar_and_see_it_on_the_profile(page, server):
    sign_up(page, "Inès Vidal", "ines.vidal@example.org")
    page.get_by_label("Accroche").fill("Céramiste")
    page.get_by_label("Choisir une image").set_input_files(
        files=[{"name": "moi.jpg", "mimeType": "image/jpeg", "buffer": two_halves()}])
    square = page.locator(".cropper-square")
    square.wait_for()
    page.wait_for_function("document.querySelector('[name=crop_size]').value !== ''")
    # The centre to start with; then all the way left, with the keyboard.
    assert page.locator("[name=crop_x]").input_value() == "100"
    assert page.locator("[name=crop_size]").input_value() == "200"
    square.focus()
    for _ in range(12):
        page.keyboard.press("ArrowLeft")
    assert page.locator("[name=crop_x]").input_value() == "0"
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))

    avatar = page.locator("img.avatar").first
    avatar.wait_for()
    assert avatar.get_attribute("alt") == "" and avatar.get_attribute("width") == "96"
    page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=avatar.element_handle())
    # The left half (black) was kept: the picture's centre is dark.
    src = avatar.get_attribute("src")
    body = page.request.get(src.replace("/96", "/256")).body()
    kept = Image.open(io.BytesIO(body)).convert("L")
    assert kept.getpixel((128, 128)) < 60 and kept.getpixel((250, 128)) < 60
    assert page.requested_hosts == {f"127.0.0.1:{server.port}"}
    assert not page.console_errors, page.console_errors


def test_a_picture_over_the_limit_is_refused_before_sending(page):
    sign_up(page, "Hugo Marty", "hugo.marty@example.org")
    page.get_by_label("Accroche").fill("Forgeron")
    noise = Image.effect_noise((900, 900), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > MAX_BYTES
    page.get_by_label("Choisir une image").set_input_files(
        files=[{"name": "grand.png", "mimeType": "image/png", "buffer": out.getvalue()}])
    alert = page.locator("#avatar-error")
    alert.wait_for()
    assert "plus grande que 1\u00a0Mo" in alert.inner_text()
    assert page.get_by_label("Choisir une image").input_value() == ""  # nothing will be sent
    assert page.get_by_label("Accroche").input_value() == "Forgeron"
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))
    assert "Forgeron" in page.content() and page.locator("svg.avatar-initials").count() == 1
