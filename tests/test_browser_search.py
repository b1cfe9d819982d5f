"""Search in Chromium: results as you type (debounced fetch), and the same page without
JavaScript as a plain form."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser_steps import WAIT, sign_up

pytestmark = pytest.mark.browser


def test_results_as_you_type_and_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_up(page, "Zoé Tonnelier", "zoe.tonnelier@example.org")
    page.get_by_label("Accroche").fill("Tonnelière à Rignac")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))

    page.goto("/search")
    page.locator("#q").press_sequentially("tonneliere", delay=40)
    # No submit: the list follows the typing, and so does the address.
    expect(page).to_have_url(re.compile(r"[?&]q=tonneliere\b"), timeout=WAIT)
    expect(page.locator(".search-results a", has_text="Zoé Tonnelier")).to_have_count(1,
                                                                                     timeout=WAIT)
    expect(page.locator(".search-results li")).to_have_count(1, timeout=WAIT)
    assert page.locator(".search-results mark").first.inner_text().lower().startswith("tonneli")
    context.close()

    plain = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = plain.new_page()
    page.goto("/search")
    page.locator("#q").fill("tonnelier")
    page.locator("#search-form button[type=submit]").click()
    page.wait_for_url("**/search?q=tonnelier*")
    assert page.locator(".search-results a", has_text="Zoé Tonnelier").count() == 1
    plain.close()


def test_a_misspelt_commune_is_said_and_a_typo_corrected(browser, live_server):
    """Must show 2 in Chromium, without JavaScript's help needed: "Rodes" in the commune field
    says "did you mean Rodez" (a link that searches there) and lists nobody; a misspelt word
    shows the results of its correction with the way back to the words as typed."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_up(page, "Hugo Menuisier", "hugo.menuisier@example.org")
    page.get_by_label("Accroche").fill("Menuisier à Rodez")
    page.get_by_label("Commune").fill("Rodez")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))

    page.goto("/search?q=menuisier&commune=Rodes&within_km=20")
    message = page.locator(".place-messages")
    expect(message).to_contain_text("Commune inconnue\u00a0: Rodes — vouliez-vous dire Rodez",
                                     timeout=WAIT)
    expect(page.locator(".search-results li")).to_have_count(0)
    message.get_by_role("link", name="Rodez").click()
    expect(page.locator(".search-results a", has_text="Hugo Menuisier")).to_have_count(
        1, timeout=WAIT)
    expect(page.locator(".chip")).to_contain_text("Rodez")

    page.goto("/search?q=menusier")
    expect(page.locator(".correction")).to_contain_text("Résultats pour menuisier",
                                                        timeout=WAIT)
    expect(page.locator(".search-results a", has_text="Hugo Menuisier")).to_have_count(1)
    page.locator(".correction").get_by_role("link", name="menusier").click()
    expect(page).to_have_url(re.compile(r"exact=1"), timeout=WAIT)
    context.close()
