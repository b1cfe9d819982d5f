"""Issue 21 in Chromium, on a 360 x 740 phone and a 1280 x 800 screen: a compact header whose menu
opens from the keyboard, a "Messages" dot that is there only when a direct message waits,
destructive buttons that ask first (a page without JavaScript, a <dialog> with it), search
facets folded on a phone, definition lists that never split a word, search inputs styled like
the others."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers import databases
from tests.helpers.browser_steps import (  # noqa: F401  (new_page: a fixture)
    PHONE,
    WAIT,
    create_open_network,
    fill_common,
    fill_quarterly,
    new_page,
    no_horizontal_scroll,
    send,
    sign_up,
    socket_connected,
)

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 800}

# Every whole word of every <dt>/<dd> that the layout cut over two lines (a word with a hyphen
# or a slash may wrap there), and any dd or dt whose word-break is not "normal".
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll("dl dt, dl dd")) {
    if (getComputedStyle(cell).wordBreak !== "normal") split.push("word-break on " + cell.textContent);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      for (const m of node.data.matchAll(/[^\\s\\-\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
        if (tops.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
}"""


def serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in Axe().run(page).response[
        "violations"] if v["impact"] in ("serious", "critical")]


def profile_url(page) -> str:
    page.goto("/people/me")
    page.wait_for_url(re.compile(r".*/people/\d+$"))
    return page.url


def test_header_menu_and_the_messages_dot(new_page, live_server):  # noqa: F811
    phone = new_page(PHONE)
    sign_up(phone, "Léon Vaysse", "leon.vaysse@example.org")
    phone.goto("/networks/")
    header = phone.locator("header.site-header")
    assert header.bounding_box()["height"] <= 120  # one row, not four
    assert no_horizontal_scroll(phone)
    networks_link = phone.get_by_role("link", name="Réseaux", exact=True)
    expect(networks_link).to_be_hidden()
    # From the keyboard: Tab to "Menu" (after the skip link and the brand), Enter opens it.
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    summary = phone.locator("details[data-menu] > summary")
    expect(summary).to_be_focused()
    phone.keyboard.press("Enter")
    expect(networks_link).to_be_visible()
    expect(phone.get_by_role("link", name="Mon profil")).to_be_visible()
    expect(phone.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert phone.locator("details[data-menu]").evaluate("d => d.open")
    assert serious_violations(phone) == []
    phone.keyboard.press("Escape")
    expect(networks_link).to_be_hidden()
    expect(summary).to_be_focused()
    assert header.bounding_box()["height"] <= 120

    # On a wide screen the links are all there, no "Menu" button; nothing unread: no dot, and
    # the link is only "Messages" to a screen reader.
    wide = new_page(WIDE)
    sign_up(wide, "Jeanne Calmels", "jeanne.calmels@example.org")
    wide.goto("/networks/")
    expect(wide.locator("details[data-menu] > summary")).to_be_hidden()
    expect(wide.get_by_role("link", name="Réseaux", exact=True)).to_be_visible()
    expect(wide.locator("[data-messages-badge]")).to_be_hidden()
    expect(wide.locator("#nav-messages")).to_have_accessible_name("Messages")
    assert wide.locator("header.site-header").bounding_box()["height"] <= 120

    # Léon writes to Jeanne (she lets members write to her): her dot shows, and says so.
    databases.execute(live_server.db_file, "UPDATE profile SET direct_messages = 'members' "
                      "WHERE user_id = (SELECT id FROM \"user\" WHERE email = ?)",
                      "jeanne.calmels@example.org")
    phone.goto(profile_url(wide))
    phone.get_by_role("button", name="Envoyer un message").click()
    phone.wait_for_url(re.compile(r".*/chat/\d+$"))
    socket_connected(phone)
    send(phone, "Bonjour Jeanne, un chantier à Rignac ?")
    sent = phone.locator("#messages li.message", has_text="Bonjour Jeanne")
    expect(sent).to_have_count(1, timeout=WAIT)
    expect(phone.locator("#messages li.message.pending")).to_have_count(0, timeout=WAIT)
    wide.goto("/networks/")
    expect(wide.locator("[data-messages-badge]")).to_be_visible()
    expect(wide.locator("#nav-messages")).to_have_accessible_name(re.compile("nouveaux messages"))
    # The chat list says when, in words, with the date in the <time>.
    wide.goto("/chat/")
    when = wide.locator("#room-list time").first
    expect(when).to_have_text(re.compile(r"à l’instant|il y a"))
    assert re.match(r"\d{4}-\d\d-\d\dT", when.get_attribute("datetime"))


def test_blocking_asks_first_without_and_with_javascript(browser, new_page,  # noqa: F811
                                                        live_server):
    target = new_page(PHONE)
    sign_up(target, "Paul Bouscal", "paul.bouscal@example.org")
    their_profile = profile_url(target)
    me = new_page(PHONE)
    sign_up(me, "Rose Carrié", "rose.carrie@example.org")
    cookies = me.context.cookies()

    # Without JavaScript: a page asks; "Annuler" goes back and nothing is blocked.
    plain = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=PHONE,
                                java_script_enabled=False)
    plain.add_cookies(cookies)
    page = plain.new_page()  # (no axe here: it runs in the page's JavaScript)
    page.goto(their_profile)
    page.get_by_role("button", name="Bloquer cette personne").click()
    page.wait_for_url(re.compile(r".*/blocks/\d+\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Êtes-vous sûr·e\s?\?"))
    expect(page.locator("main")).to_contain_text("Bloquer Paul Bouscal")
    page.get_by_role("link", name="Annuler").click()
    page.wait_for_url(their_profile)
    expect(page.get_by_role("button", name="Bloquer cette personne")).to_be_visible()
    plain.close()

    # With JavaScript: a dialog, the focus in it; Escape and "Annuler" leave everything as it was.
    me.goto(their_profile)
    block = me.get_by_role("button", name="Bloquer cette personne")
    block.click()
    dialog = me.get_by_role("dialog", name=re.compile("Êtes-vous sûr"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Bloquer Paul Bouscal")
    expect(dialog.get_by_role("button", name="Annuler")).to_be_focused()
    assert serious_violations(me) == []
    me.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(block).to_be_focused()
    block.click()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    assert me.url == their_profile
    assert databases.rows(live_server.db_file, "SELECT count(*) FROM block")[0][0] == 0
    # "Bloquer" in the dialog blocks, and comes back to the profile.
    block.click()
    with me.expect_navigation():
        dialog.get_by_role("button", name="Bloquer", exact=True).click()
    assert me.url == their_profile
    expect(me.locator("main")).to_contain_text("Vous avez bloqué cette personne.")
    assert databases.rows(live_server.db_file, "SELECT count(*) FROM block")[0][0] == 1


def test_revoking_an_invitation_asks_in_a_dialog(new_page, live_server):  # noqa: F811
    page = new_page(PHONE)
    sign_up(page, "Anne Vannière", "anne.vanniere@example.org")
    network_url = create_open_network(page, "Vanniers du Ségala", "Bienveillance.")
    page.goto(network_url + "/invitations")
    page.get_by_role("button", name="Créer un lien").click()
    revoke = page.get_by_role("button", name="Révoquer", exact=True)
    expect(revoke).to_be_visible()

    def revoked() -> int:
        return databases.rows(live_server.db_file, "SELECT revoked FROM invitation")[0][0]

    revoke.click()
    dialog = page.get_by_role("dialog", name=re.compile("Êtes-vous sûr"))
    expect(dialog).to_contain_text("Révoquer ce lien d’invitation")
    expect(dialog.get_by_role("button", name="Annuler")).to_be_focused()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    assert not revoked()
    revoke.click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Révoquer le lien").click()
    expect(page.locator("main")).to_contain_text("Ce lien d’invitation n’est plus valable.")
    expect(page.locator("main")).to_contain_text("révoqué")
    assert revoked()


def test_search_on_a_phone_folds_its_facets_and_styles_its_inputs(new_page):  # noqa: F811
    page = new_page(PHONE)
    sign_up(page, "Zélie Vannière", "zelie.vanniere@example.org")
    page.get_by_label("Accroche").fill("Vannière : **osier** et châtaignier")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))

    page.goto("/search?q=vanniere")
    first = page.locator(".search-results li").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] < 740  # on the first screen, above the folded facets
    facets = page.locator("details.facets-fold")
    assert not facets.evaluate("d => d.open")
    expect(page.locator(".facets a").first).to_be_hidden()
    facets.locator("summary").click()
    expect(page.locator(".facets a").first).to_be_visible()
    assert "**" not in first.locator(".snippet").inner_text()  # plain text, not Markdown
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []

    # The search box and the number-like box look like the text box next to them.
    looks = """(el) => { const s = getComputedStyle(el);
        return [s.borderTopWidth, s.borderTopStyle, s.borderTopColor, s.paddingLeft,
                s.paddingTop, s.borderTopLeftRadius, s.fontSize, s.backgroundColor]; }"""
    text_box = page.locator("#commune").evaluate(looks)
    assert page.locator("#q").evaluate(looks) == text_box
    assert page.locator("#q").bounding_box()["height"] == pytest.approx(
        page.locator("#commune").bounding_box()["height"], abs=1)

    # On a wide screen the facets are open, with no summary to press.
    page.set_viewport_size(WIDE)
    page.goto("/search?q=vanniere")
    expect(page.locator(".facets a").first).to_be_visible()
    expect(page.locator("details.facets-fold > summary")).to_be_hidden()


def test_definition_lists_never_split_a_word_on_a_phone(new_page):  # noqa: F811
    page = new_page(PHONE)
    sign_up(page, "Maëlle Cransac", "maelle.cransac@example.org")
    page.goto("/interest/new?track=independent")
    fill_quarterly(page, "Indépendante en communication")
    with page.expect_navigation():  # sent through the outbox by fetch, then where it redirects
        page.locator("form[method=post] button[type=submit].button").last.click()
    assert page.url.endswith("/interest/"), page.locator(".error").all_inner_texts()
    facts = page.locator(".facts").first
    expect(facts).to_contain_text("Indépendant·e")
    assert page.evaluate(SPLIT_WORDS) == []
    for cell in ("Indépendant·e", "Rignac"):
        dd = facts.locator("dd", has_text=cell).first
        assert dd.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert no_horizontal_scroll(page)
    page.set_viewport_size(WIDE)
    assert page.evaluate(SPLIT_WORDS) == []
