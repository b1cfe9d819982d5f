"""Must show 1 (issue 4), in Chromium with the demo data: an organiser sees the offline map,
the clusters for K=3 and a viability sheet; no page asks another host for anything."""
import itertools
import subprocess
import sys

import pytest

from tests.helpers.browser import ROOT
from tests.helpers.browser_steps import no_horizontal_scroll, set_role, sign_up

pytestmark = pytest.mark.browser
_people = itertools.count()


@pytest.fixture(scope="module")
def demo_loaded(live_server):
    env = {**live_server.env, "FLASK_APP": "wsgi.py"}  # its database, whatever the engine
    subprocess.run([sys.executable, "-m", "flask", "demo", "--profiles", "200"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return live_server


@pytest.fixture
def organiser(browser, demo_loaded):
    context = browser.new_context(base_url=demo_loaded.url, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hosts = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.hosts = hosts
    email = f"claire.orga{next(_people)}@example.org"  # one account per test
    sign_up(page, "Claire Organisatrice", email)
    set_role(demo_loaded, email)
    yield page
    context.close()


def test_map_clusters_and_viability(organiser):
    page = organiser
    page.goto("/organisers/map?k=3")
    assert page.locator("svg path.commune").count() == 437
    assert page.locator("svg g.marker-site[data-site]").count() == 3
    assert page.locator("svg path.commune.shade-5").count() >= 1
    page.locator("svg a[href*='commune=12202']").first.focus()  # Rodez, out of the Tab order
    page.keyboard.press("Enter")
    page.wait_for_url("**commune=12202**")
    assert "Rodez" in page.locator("#figures").inner_text()
    # The panel's figures keep their words together: "97 € par mois" on one line (issue 21).
    budget = page.locator("#figures dd", has_text="par mois")
    assert budget.count() == 1
    assert budget.evaluate("el => el.getBoundingClientRect().height"
                           " < 1.6 * parseFloat(getComputedStyle(el).lineHeight)")

    page.goto("/organisers/clusters?k=3")
    rows = page.locator("table.bars tbody tr")
    assert rows.count() == 3
    first = rows.first.inner_text()
    assert any(ch.isdigit() for ch in first)
    rows.first.locator("a[href*='/organisers/viability']").click()
    page.wait_for_url("**/organisers/viability?site=*")
    sheet = page.locator("section.sheet")
    assert sheet.is_visible()
    assert sheet.locator("tbody tr").count() == 4  # as planned, +10, +20, +30 %
    page.locator("#rent").fill("-100")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#rent-error").is_visible() and page.locator("#rent").input_value() == "-100"
    assert page.hosts == {page.url.split("/")[2]}  # local-first: nothing from another host


@pytest.mark.parametrize("path", ["/organisers/", "/organisers/map?k=3", "/organisers/clusters",
                                  "/organisers/viability", "/organisers/gaps",
                                  "/organisers/prospects", "/organisers/sirene"])
def test_organiser_pages_accessibility_and_phone(organiser, path):
    from axe_playwright_python.sync_playwright import Axe
    page = organiser
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(path)
    assert no_horizontal_scroll(page)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                  for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == []
