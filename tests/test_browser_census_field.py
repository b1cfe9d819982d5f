"""Issue 24, must show 3, in Chromium at 360 px: offline, an animator enters two field answers;
back online, both are stored once, marked "entered by" them; one is later claimed by the person
it belongs to, with the claim link handed over."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import databases
from tests.helpers.browser_steps import (  # noqa: F401  (new_page: a fixture)
    WAIT,
    fill_common,
    new_page,
    no_horizontal_scroll,
    sign_up,
)
from tests.helpers.census_seed import seed_campaign

pytestmark = pytest.mark.browser


def seed(live_server, email: str) -> int:
    return seed_campaign(live_server.db_file, email)


def stored(live_server) -> list[tuple]:
    """How many field answers Basile entered (the server is the module's: others are there)."""
    return databases.rows(live_server.db_file, 'SELECT count(*) FROM census_answer a JOIN "user"'
                          ' u ON u.id = a.entered_by_id WHERE u.email = ?',
                          "basile.roux@example.org")


def enter(page, activity: str) -> None:
    page.locator("#consent").check()
    page.locator("#activity").fill(activity)
    fill_common(page)
    page.locator("input[name=formula][value=permanent]").check()
    page.locator("form[data-outbox] button[type=submit]").click()
    status = page.locator("form[data-outbox] [data-outbox-status]")
    expect(status).to_have_attribute("data-state", "pending", timeout=WAIT)


def test_field_answers_entered_offline_are_stored_once_and_one_is_claimed(
        new_page, live_server):  # noqa: F811
    page = new_page()
    sign_up(page, "Anaïs Bru", "anais.bru@example.org")
    campaign_id = seed(live_server, "anais.bru@example.org")
    field = f"/census/{campaign_id}/field"
    page.goto("/census/")
    page.locator(f"a[href='{field}']").click()
    page.wait_for_url(f"**{field}")
    expect(page.locator("html")).to_have_attribute("data-sw", "ready", timeout=WAIT)
    page.reload()  # through the worker: the form is saved on this device
    assert no_horizontal_scroll(page)
    expect(page.locator("#consent-hint")).to_contain_text("Recensement du Ruthénois")

    # Offline, at the market: two people, two answers kept on the device.
    page.context.set_offline(True)
    page.goto(field)
    expect(page.locator("#offline-banner")).to_be_visible(timeout=WAIT)
    enter(page, "Vannière, saisie au marché")
    page.goto(field)  # a blank form, from the saved copy
    expect(page.locator("#offline-banner")).to_be_visible(timeout=WAIT)
    enter(page, "Luthier, saisi au marché")
    assert databases.rows(live_server.db_file, 'SELECT count(*) FROM census_answer a JOIN "user"'
                          ' u ON u.id = a.entered_by_id WHERE u.email = ?',
                          "anais.bru@example.org") == [(0,)]

    # Back online: the outbox sends both, each once.
    page.evaluate("""() => {  // how many items the device's outbox holds, looked at again and again
        const look = () => window.Maillage.outbox.all("form").then(items => {
            window.outboxLeft = items.length; setTimeout(look, 100); });
        look(); }""")
    page.wait_for_function("() => window.outboxLeft === 2")
    page.context.set_offline(False)
    page.wait_for_function("() => window.outboxLeft === 0", timeout=3 * WAIT)
    rows = databases.rows(
        live_server.db_file,
        'SELECT a.channel, u.email, a.consent_text <> \'\', a.consented_at IS NOT NULL,'
        ' v.activity FROM census_answer a JOIN "user" u ON u.id = a.entered_by_id'
        ' JOIN declaration_version v ON v.declaration_id = a.declaration_id'
        ' WHERE u.email = ? ORDER BY v.activity', "anais.bru@example.org")
    assert rows == [("field", "anais.bru@example.org", 1, 1, "Luthier, saisi au marché"),
                    ("field", "anais.bru@example.org", 1, 1, "Vannière, saisie au marché")]
    page.goto(field)
    entries = page.locator("#field-entries li")
    expect(entries).to_have_count(2)
    for i in range(2):
        expect(entries.nth(i)).to_contain_text("saisie par Anaïs Bru")
        expect(entries.nth(i)).to_contain_text("pas encore réclamée")

    # The receipt of one: its claim link, as a QR code too, handed over to the person.
    entries.first.locator("a").click()
    expect(page.locator("svg.qr")).to_be_visible()
    expect(page.locator("[data-entered-by]")).to_have_text("Anaïs Bru")
    link = page.locator("#claim-link").input_value()
    assert "/campaigns/claim/" in link
    assert no_horizontal_scroll(page)

    person = new_page()
    sign_up(person, "Luc Fabre", "luc.fabre@example.org")
    person.goto(link)
    expect(person.locator("[data-entered-by]")).to_contain_text("Anaïs Bru")
    person.locator("main form button[type=submit]").click()
    person.wait_for_url("**/interest/**")
    claimed = databases.rows(
        live_server.db_file,
        'SELECT u.email, e.email FROM census_answer a JOIN declaration d'
        ' ON d.id = a.declaration_id JOIN "user" u ON u.id = d.user_id'
        ' JOIN "user" e ON e.id = a.entered_by_id WHERE e.email = ?', "anais.bru@example.org")
    assert claimed == [("luc.fabre@example.org", "anais.bru@example.org")]
    assert databases.rows(live_server.db_file, 'SELECT count(*) FROM census_answer a JOIN "user"'
                          ' u ON u.id = a.entered_by_id WHERE u.email = ?',
                          "anais.bru@example.org") == [(2,)]

    page.goto(field)
    expect(page.locator("#field-entries li", has_text="réclamée")).to_have_count(2)
    expect(page.locator("#field-entries li", has_text="pas encore réclamée")).to_have_count(1)


def test_a_field_answer_whose_reply_was_lost_is_stored_once(new_page, live_server):  # noqa: F811
    """The connection flaps: the server stores the answer but its reply never arrives; the
    outbox keeps it and sends it again, and the server, seeing its key, stores nothing more."""
    page = new_page()
    sign_up(page, "Basile Roux", "basile.roux@example.org")
    campaign_id = seed(live_server, "basile.roux@example.org")
    field = f"/census/{campaign_id}/field"
    page.goto(field)
    page.evaluate("window.Maillage.outboxRetry = 3600000")  # no retry but the one we ask for
    lost = []

    def reply_lost(route):
        route.fetch()  # the server has it...
        route.abort("connectionreset")  # ...but its reply never arrives
        lost.append(route.request.url)

    page.route(f"**{field}", lambda route: reply_lost(route)
               if route.request.method == "POST" and not lost else route.continue_())
    page.locator("#consent").check()
    page.locator("#activity").fill("Tourneur, réseau qui coupe")
    fill_common(page)
    page.locator("input[name=formula][value=permanent]").check()
    page.locator("form[data-outbox] button[type=submit]").click()
    status = page.locator("form[data-outbox] [data-outbox-status]")
    expect(status).to_have_attribute("data-state", "pending", timeout=WAIT)
    assert lost and stored(live_server) == [(1,)]
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the connection is back
    expect(status).to_have_attribute("data-state", "sent", timeout=3 * WAIT)
    assert stored(live_server) == [(1,)]
    assert databases.rows(live_server.db_file, "SELECT count(*) FROM declaration_version"
                          " WHERE activity = ?", "Tourneur, réseau qui coupe") == [(1,)]
