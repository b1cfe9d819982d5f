"""Must show 1 (issue 4), in Chromium with the demo data: an organiser sees the offline map,
the clusters for K=3 and a viability sheet; no page asks another host for anything.

Issue 23, must-shows 4 and 5: the map for an elected official, screenshots at 1280 and 360 px
in test-artefacts/council-map/, the keyboard reaching the figures table in at most 3 Tabs from
the filters, axe (WCAG 2.2 AA) with no serious violation, the SVG and PNG downloads; a shared
read-only link made, opened without an account, then revoked."""
import io
import itertools
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import ROOT
from tests.helpers.browser_steps import PHONE, no_horizontal_scroll, set_role, sign_up

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
                                  "/organisers/prospects", "/organisers/sirene",
                                  "/organisers/shared", "/organisers/shared/new?k=3"])
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


ARTEFACTS = ROOT / "test-artefacts" / "council-map"
WIDE = {"width": 1280, "height": 900}
MAP = "figure.demand-map > svg.mmap"  # the map, not its legend's little drawings
# As tests/test_browser_a11y.py: WCAG 2.2 AA, `target-size` turned on.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "wcag22aa"]},
               "rules": {"target-size": {"enabled": True}}, "resultTypes": ["violations"]}


def serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]
            if v["impact"] in ("serious", "critical")]


def tabs_to_the_table(page) -> int:
    """From the filters' last control, the Tab presses until the focus is in the figures
    table (0 when it is not reached in 10)."""
    page.locator("form.org-filters button[type=submit]").focus()
    for presses in range(1, 11):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#figures-table')"):
            return presses
    return 0


def test_council_map(organiser):
    page = organiser
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    url = "/organisers/map?k=3&commune=12202"
    for name, size in (("1280", WIDE), ("360", PHONE)):
        page.set_viewport_size(size)
        page.goto(url)
        expect(page.locator(MAP + " g.marker-site[data-site]")).to_have_count(3)
        page.screenshot(path=str(ARTEFACTS / f"map-{name}.png"), full_page=True)
        assert no_horizontal_scroll(page), name
        # The keyboard: the skip link first, then the table; the 437 communes are not walked.
        presses = tabs_to_the_table(page)
        assert 1 <= presses <= 3, (name, presses)
        page.locator("form.org-filters button[type=submit]").focus()
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-inline")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["width"] > 50 and box["x"] >= 0  # shown when focused
        page.keyboard.press("Enter")
        expect(page.locator("#figures-table")).to_be_focused()
        assert serious_violations(page) == [], name

    # What an elected official reads on it: names, the boundary, numbered sites, the selected
    # commune, a legend with limits and counts; the phone draws fewer, larger names.
    page.set_viewport_size(WIDE)
    page.goto(url)
    labels = page.locator(MAP + " .map-labels-wide text.label")
    assert {"Rodez", "Millau", "Mende", "AVEYRON", "LOZÈRE"} <= set(labels.all_text_contents())
    expect(page.locator(MAP + " .map-labels-narrow")).to_be_hidden()
    expect(page.locator(MAP + " path.line-departement")).to_be_visible()
    expect(page.locator(MAP + " path.selected-outline")).to_be_visible()
    assert page.locator(MAP + " path.line-epci").count() == 0
    legend = page.locator("#map-legend").inner_text()
    assert re.search(r"\d+ à \d+ personnes\u00a0: \d+ communes?", legend)
    assert page.locator(".site-list li").count() == 3
    assert page.locator("#figures-table tr.is-selected th").inner_text() == "Rodez"
    page.get_by_role("link", name="Afficher les limites des communautés de communes").click()
    page.wait_for_url("**epcis=1**")
    expect(page.locator(MAP + " path.line-epci")).to_have_count(1)

    # Downloads: the SVG file, and a PNG the browser makes from it (nothing sent anywhere).
    with page.expect_download() as svg:
        page.get_by_role("link", name="Fichier SVG").click()
    assert svg.value.suggested_filename.startswith("maillage-carte-demande-")
    assert svg.value.suggested_filename.endswith(".svg")
    assert b"<svg" in open(svg.value.path(), "rb").read(400)
    with page.expect_download() as png:
        page.get_by_role("button", name="Image PNG").click()
    assert png.value.suggested_filename.endswith(".png")
    from PIL import Image
    image = Image.open(io.BytesIO(open(png.value.path(), "rb").read()))
    assert image.format == "PNG" and image.width >= 2000 and image.height >= 1200
    assert len(image.convert("RGB").resize((64, 48)).getcolors(64 * 48)) > 20  # a map, not blank
    expect(page.locator("#png-status")).to_have_text("L’image PNG est téléchargée.")

    # Printed: A4 landscape, the title with the filters and the date, the legend beside the
    # map; the filters' form, the tools and the side panel left out.
    page.emulate_media(media="print")
    expect(page.locator(".print-only")).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text("Tout le territoire")
    for hidden in ("form.org-filters", "aside#figures", "a.skip-inline"):
        expect(page.locator(hidden)).to_be_hidden()
    legend, drawing = page.locator("#map-legend").bounding_box(), page.locator(MAP).bounding_box()
    assert legend["x"] > drawing["x"] + drawing["width"] - 1  # beside it, not under it
    pdf = page.pdf(prefer_css_page_size=True)
    assert re.search(rb"/MediaBox \[0 0 841\.\d+ 59[45]\.\d+\]", pdf)  # 297 x 210 mm
    page.emulate_media(media="screen")
    assert page.hosts == {page.url.split("/")[2]}


def test_shared_link(organiser, browser, demo_loaded):
    page = organiser
    page.goto("/organisers/map?k=3")
    page.get_by_role("link", name="Partager ces chiffres par un lien en lecture seule").click()
    page.get_by_label("Nom du lien").fill("Conseil communautaire")
    page.get_by_role("button", name="Créer le lien").click()
    link = page.locator("#shared-url").input_value()
    assert "/shared/" in link

    visitor = browser.new_context(locale="fr-FR", viewport=WIDE)
    try:
        view = visitor.new_page()
        view.goto(link)
        expect(view.locator("h1")).to_have_text("Conseil communautaire")
        expect(view.locator(MAP + " g.marker-site[data-site]")).to_have_count(3)
        view.screenshot(path=str(ARTEFACTS / "shared-1280.png"), full_page=True)
        assert serious_violations(view) == []
        values = [int(v) for v in view.locator("text.chart-value").all_text_contents()]
        assert values and min(values) >= 3  # no bar under the small-cell threshold
        view.set_viewport_size(PHONE)
        view.reload()
        view.screenshot(path=str(ARTEFACTS / "shared-360.png"), full_page=True)
        assert no_horizontal_scroll(view)
        assert serious_violations(view) == []

        # Revoked from the organiser's list (the confirm dialog), the link says so.
        page.goto("/organisers/shared")
        row = page.locator("tr", has_text="Conseil communautaire")
        expect(row).to_contain_text("valable jusqu’au")
        row.get_by_role("button", name="Révoquer").click()
        page.locator("dialog [data-confirm-yes]").click()
        expect(page.locator("tr", has_text="Conseil communautaire")).to_contain_text("révoqué")
        answer = view.goto(link)
        assert answer.status == 410
        expect(view.locator("h1")).to_have_text("Lien qui n’est plus valable")
    finally:
        visitor.close()
