"""In Chromium, on a 360 x 740 phone and a 1280 x 800 desktop: a new member signs up, sees the
first steps on their home, puts a phone photo as their picture (its EXIF and GPS are gone from
what is served), fills in their profile with skill suggestions, joins a network and sees its new
post in their home feed. A screenshot of each step is kept in test-artefacts/home-<width>/."""
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.browser_steps import create_open_network, join_network, no_horizontal_scroll, sign_up
from tests.helpers.images import jpeg

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts"


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_a_new_member_from_sign_up_to_a_living_home(browser, live_server, width, height):
    shots = ARTEFACTS / f"home-{width}"
    shots.mkdir(parents=True, exist_ok=True)

    def context():
        return browser.new_context(base_url=live_server.url, locale="fr-FR",
                                   viewport={"width": width, "height": height})

    # Someone already animates a network, with a post.
    first, newcomer = context(), context()
    try:
        bea = first.new_page()
        sign_up(bea, "Béatrice Lacombe", f"beatrice.lacombe.{width}@example.org")
        network_url = create_open_network(bea, f"Photographes du Ségala {width}",
                                          "Entraide et bienveillance.")
        bea.locator("#body").fill("Sortie photo samedi à Sauveterre, qui vient ?")
        bea.get_by_role("button", name="Publier").click()
        bea.wait_for_url(re.compile(r".*/posts/\d+$"))

        page = newcomer.new_page()
        sign_up(page, "Lucie Marty", f"lucie.marty.{width}@example.org")
        page.goto("/")
        steps = page.locator(".onboarding")
        assert steps.locator("li.todo").count() == 4
        assert no_horizontal_scroll(page)
        page.screenshot(path=shots / "1-first-steps.png", full_page=True)

        steps.get_by_role("link", name=re.compile("Complétez votre profil")).click()
        page.wait_for_url("**/people/me/edit")
        page.get_by_label("Choisir une image").set_input_files(files=[
            {"name": "IMG_2041.jpg", "mimeType": "image/jpeg",
             "buffer": jpeg((900, 1200), gps=True)}])
        page.locator(".cropper-square").wait_for()
        page.get_by_label("Commune").fill("Rignac (12390)")
        skills = page.get_by_role("combobox", name="Compétences")
        skills.press_sequentially("photo", delay=30)
        page.get_by_role("option", name="Photographie").wait_for()
        skills.press("ArrowDown")
        skills.press("Enter")
        page.get_by_label("À propos de moi").fill("Photographe de mariages et de paysages.")
        page.screenshot(path=shots / "2-profile-with-suggestions.png", full_page=True)
        page.get_by_role("button", name="Enregistrer mon profil").click()
        page.wait_for_url(re.compile(r".*/people/\d+$"))
        assert "Photographie" in page.locator("main").inner_text()
        avatar = page.locator("main img.avatar").first
        avatar.wait_for()
        served = page.request.get(avatar.get_attribute("src"))
        picture = Image.open(io.BytesIO(served.body()))
        assert served.headers["content-type"] == "image/webp"
        assert not picture.getexif() and not picture.getexif().get_ifd(0x8825)
        assert b"PhoneMaker" not in served.body()
        page.screenshot(path=shots / "3-profile-with-picture.png", full_page=True)

        join_network(page, network_url)
        page.goto("/")
        feed = page.locator("ol.feed")
        assert "Sortie photo samedi à Sauveterre" in feed.inner_text()
        assert "Béatrice Lacombe" in feed.inner_text()
        assert page.locator(".onboarding li.done").count() == 2  # the profile and the network
        assert no_horizontal_scroll(page)
        page.screenshot(path=shots / "4-home-feed.png", full_page=True)
    finally:
        first.close()
        newcomer.close()
