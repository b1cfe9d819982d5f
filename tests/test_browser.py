"""In Chromium: sign up (finished from the mailed link), write a hostile profile, see it rendered
harmlessly, find it in the directory by its EPCI; the layout holds on a 360 px phone."""
import re

import pytest

from tests.helpers.browser_steps import finish_sign_up, no_horizontal_scroll, sign_up, start_sign_up
from tests.helpers.signup import outbox_link

pytestmark = pytest.mark.browser

HOSTILE_BIO = ("Menuisière à **Rignac**.\n\n"
               "<script>window.__pwned = 'script'</script>\n\n"
               "[clic](javascript:window.__pwned='link')\n\n"
               "<img src=x onerror=\"window.__pwned='img'\">")


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                  locale="fr-FR")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    requested_hosts = set()
    page.on("request", lambda r: requested_hosts.add(re.sub(r"^https?://([^/]+).*", r"\1", r.url)))
    page.requested_hosts = requested_hosts
    yield page
    context.close()


def test_sign_up_write_a_hostile_profile_and_find_it_by_epci(page, live_server):
    sign_up(page, "Léa Bousquet", "lea.bousquet@example.org")

    page.get_by_label("Accroche").fill("Menuisière et ébéniste")
    commune = page.get_by_label("Commune")
    commune.press_sequentially("rignac", delay=30)
    page.wait_for_selector("#commune-options option[value^='Rignac (']", state="attached")
    commune.fill("Rignac (12390)")
    page.get_by_label("Compétences").fill("Menuiserie, Ébénisterie")
    page.get_by_label("À propos de moi").fill(HOSTILE_BIO)
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))
    assert no_horizontal_scroll(page)

    bio = page.locator(".prose").first
    assert "<script>" in bio.inner_text()  # shown as text, not run
    link = bio.get_by_text("clic")
    assert link.get_attribute("href") is None
    link.click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []

    page.goto("/people/")
    page.get_by_label("Communauté de communes").select_option(label="CC du Pays Rignacois")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**epci=241200625**")
    card = page.locator(".person-card", has_text="Léa Bousquet")
    assert card.count() == 1 and "Rignac" in card.inner_text()
    assert no_horizontal_scroll(page)
    assert page.requested_hosts == {f"127.0.0.1:{live_server.port}"}


def test_a_validation_error_keeps_everything_typed(page):
    sign_up(page, "Paul Costes", "paul.costes@example.org")
    page.get_by_label("Accroche").fill("Graphiste")
    page.get_by_label("Commune").fill("Atlantis")
    page.get_by_label("À propos de moi").fill("Un long texte que je ne veux pas perdre.")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    # The error summary has the focus, the title says it, each error links to its field.
    assert page.evaluate("document.activeElement.id") == "form-alert"
    assert page.title().startswith("Erreur")
    page.locator("#form-alert a").first.click()
    assert page.evaluate("location.hash") == "#commune"
    assert page.get_by_label("Accroche").input_value() == "Graphiste"
    assert page.get_by_label("Commune").input_value() == "Atlantis"
    assert page.get_by_label("À propos de moi").input_value() == "Un long texte que je ne veux pas perdre."


def test_language_switch_and_keyboard_navigation(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#content"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_text("Menu", exact=True).click()  # a phone: the links are folded under "Menu"
    assert page.get_by_role("link", name="Directory", exact=True).is_visible()
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"


@pytest.mark.parametrize("url", ["/", "/people/", "/people/?skill=menuiserie&page=2",
                                 "/auth/register", "/auth/register/sent", "/auth/login",
                                 "/nowhere"])
def test_no_serious_accessibility_violation(page, url):
    from axe_playwright_python.sync_playwright import Axe  # bundles axe-core: nothing downloaded
    page.goto(url)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                  for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == []


def test_no_accessibility_violation_on_a_form_with_errors(page):
    from axe_playwright_python.sync_playwright import Axe
    page.goto("/auth/register")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    violations = [v["id"] for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == []


def serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in Axe().run(page).response[
        "violations"] if v["impact"] in ("serious", "critical")]


def test_the_pages_of_a_sign_up_by_mail_on_a_phone(page, live_server):
    """"Look in your mailbox", the link's page and the link used again: accessible, readable at
    360 px, and clear."""
    start_sign_up(page, "Inès Fabre", "ines.fabre@example.org")
    assert "ines.fabre@example.org" in page.get_by_role("status").first.inner_text()
    assert serious_violations(page) == []
    link = outbox_link(live_server.db_file, "ines.fabre@example.org")
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Terminer mon inscription"
    assert serious_violations(page) == []
    finish_sign_up(page, link)
    assert "Bienvenue sur Maillage, Inès Fabre" in page.locator(".flashes").inner_text()
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien ne fonctionne pas"
    assert no_horizontal_scroll(page) and serious_violations(page) == []


def test_skill_suggestions_from_the_canonical_list_by_keyboard(page):
    """Typing "photo" offers "Photographie" (a synonym's start), picked with the keyboard: no
    new "photo" skill beside it."""
    sign_up(page, "Paul Imbert", "paul.imbert@example.org")
    skills = page.get_by_role("combobox", name="Compétences")
    skills.fill("Menuiserie, ")
    skills.press_sequentially("photo", delay=30)
    option = page.get_by_role("option", name="Photographie")
    option.wait_for()
    assert skills.get_attribute("aria-expanded") == "true"
    assert no_horizontal_scroll(page)
    skills.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    assert skills.get_attribute("aria-activedescendant") == option.get_attribute("id")
    skills.press("Enter")
    assert skills.input_value() == "Menuiserie, Photographie, "
    assert skills.get_attribute("aria-expanded") == "false"
    skills.press_sequentially("céram", delay=30)
    page.get_by_role("option", name="Céramique").wait_for()
    skills.press("Escape")
    assert page.get_by_role("listbox").is_hidden()
    skills.fill("Menuiserie, Photographie")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))
    shown = page.locator("main").inner_text()
    assert "Photographie" in shown and "photo," not in shown.lower().replace("photographie", "")
