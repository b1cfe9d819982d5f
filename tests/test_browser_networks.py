"""Must show 1, in Chromium: A creates a private network with a charter and an invitation
link; B asks to join through it; A approves; B must accept the charter before writing; B
posts; A sees the post and a notification count in the header. Then an accessibility check
of the network pages."""
import re

import pytest

from tests.helpers.browser_steps import no_horizontal_scroll, sign_up

pytestmark = pytest.mark.browser


@pytest.fixture
def two_people(browser, live_server):
    contexts = [browser.new_context(base_url=live_server.url, locale="fr-FR",
                                    viewport=size)
                for size in ({"width": 1200, "height": 900}, {"width": 360, "height": 740})]
    pages = [c.new_page() for c in contexts]
    yield pages
    for c in contexts:
        c.close()


def test_private_network_request_approve_charter_post_notify(two_people):
    a, b = two_people
    sign_up(a, "Alice Vidal", "alice.vidal@example.org")
    a.goto("/networks/new")
    a.locator("#name").fill("Cercle des tanneurs")
    a.locator("#description").fill("Les **tanneurs** du Rouergue.")
    a.locator("#charter").fill("Règle n° 1 : <b>on s’entraide</b>.")
    a.locator("input[name=visibility][value=private]").check()
    a.get_by_role("button", name="Créer le réseau").click()
    a.wait_for_url(re.compile(r".*/networks/\d+$"))
    network_url = a.url
    a.get_by_role("link", name="Invitations").click()
    a.get_by_role("button", name="Créer un lien").click()
    invitation = a.locator("[data-invitation-url]").first.inner_text().strip()

    sign_up(b, "Bruno Costes", "bruno.costes@example.org")
    b.goto(network_url)
    assert "Cercle des tanneurs" not in b.content()  # private: 404 without an invitation
    b.goto(invitation)
    assert "on s’entraide" in b.locator("article").inner_text()  # the charter, escaped HTML
    b.locator("#message").fill("Bonjour, je tanne aussi à Rignac.")
    b.get_by_role("button", name="Demander à rejoindre le réseau").click()
    b.wait_for_load_state()
    assert no_horizontal_scroll(b)

    a.goto(network_url + "/members")
    assert "je tanne aussi à Rignac" in a.content()
    a.get_by_role("button", name="Accepter Bruno Costes").click()
    a.wait_for_load_state()

    b.goto(network_url)
    assert b.locator("form textarea#body").count() == 0  # no writing before the charter
    b.locator("#accept").check()
    b.get_by_role("button", name="Accepter la charte").click()
    b.wait_for_selector("textarea#body")
    b.locator("#body").fill("Premier message ! Merci @Alice Vidal pour l’accueil.")
    b.get_by_role("button", name="Publier").click()
    b.wait_for_url(re.compile(r".*/posts/\d+$"))
    assert no_horizontal_scroll(b)

    a.goto(network_url)
    assert "Premier message" in a.locator(".posts").inner_text()
    count = a.locator("#nav-notifications .count")
    assert int(re.match(r"\d+", count.inner_text()).group()) >= 2  # the request and the mention
    a.locator("#nav-notifications").click()
    items = a.locator(".notifications").inner_text()
    assert "Bruno Costes vous a mentionné·e." in items
    assert "Bruno Costes" in items and "rejoindre" in items


@pytest.mark.parametrize("path", ["/networks/", "/networks/new"])
def test_network_pages_have_no_serious_accessibility_violation(two_people, path):
    from axe_playwright_python.sync_playwright import Axe
    page = two_people[1]
    sign_up(page, "Chloé Marty", f"chloe{abs(hash(path))}@example.org")
    page.goto(path)
    assert no_horizontal_scroll(page)
    violations = [(v["id"], v["impact"]) for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == []
