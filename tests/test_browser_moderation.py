"""Moderation must show, in Chromium: a member reports a chat message from their open room (on a
phone), the animator hides it from the queue, and it disappears live from the other members'
open pages, without a reload; the reporter then sees the outcome."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser_steps import (
    WAIT,
    create_open_network,
    join_network,
    no_horizontal_scroll,
    send,
    sign_up,
    socket_connected,
)

pytestmark = pytest.mark.browser

NETWORK = "Vanniers du Lévezou"
SCAM = "Placement garanti 30 % par mois, écrivez-moi vite"


@pytest.fixture
def three_people(browser, live_server):
    sizes = ({"width": 1200, "height": 900}, {"width": 360, "height": 740},
             {"width": 1000, "height": 800})
    contexts = [browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=size)
                for size in sizes]
    yield [c.new_page() for c in contexts]
    for c in contexts:
        c.close()


def test_a_reported_chat_message_hidden_by_the_animator_disappears_live(three_people):
    animator, reporter, author = three_people

    # An animator's open network; two members join it.
    sign_up(animator, "Aline Vannière", "aline.vanniere@example.org")
    network_url = create_open_network(animator, NETWORK, "Pas de publicité, pas d’arnaque.")
    sign_up(author, "Marc Escroc", "marc.escroc@example.org")
    join_network(author, network_url)
    sign_up(reporter, "Rosa Osier", "rosa.osier@example.org")
    join_network(reporter, network_url)

    # The author writes in the network's room.
    author.goto("/chat/")
    room_path = author.locator("#room-list a", has_text=NETWORK).get_attribute("href")
    author.goto(room_path)
    socket_connected(author)
    send(author, SCAM)

    # The reporter, on a phone, reports it from their open room.
    reporter.goto(room_path)
    message = reporter.locator("#messages li.message", has_text=SCAM)
    expect(message).to_be_visible(timeout=WAIT)
    message.get_by_role("link", name="Signaler").click()
    reporter.wait_for_url(re.compile(r".*/moderation/report/message/\d+"))
    assert no_horizontal_scroll(reporter)
    reporter.get_by_label("Spam ou publicité").check()
    reporter.get_by_label("Note pour les modérateur·rices (facultative)").fill("Arnaque évidente")
    reporter.get_by_role("button", name="Envoyer le signalement").click()
    reporter.wait_for_url(f"**{room_path}")
    socket_connected(reporter)
    reporter.evaluate("window.__sameDocument = true")  # gone if the page reloads
    author.evaluate("window.__sameDocument = true")
    expect(reporter.locator("#messages")).to_contain_text(SCAM)

    # The animator finds it in the queue and hides it, with a reason.
    animator.get_by_role("link", name="Modération").click()
    item = animator.locator("[data-report-target^='message-']")
    expect(item).to_contain_text(SCAM)
    item.get_by_role("link", name="Examiner et agir").click()
    animator.get_by_label("Action").select_option("hide")
    animator.get_by_label("Motif").fill("Arnaque : contenu interdit par la charte")
    animator.get_by_role("button", name="Appliquer").click()
    expect(animator.locator("[data-target-state]")).to_have_attribute(
        "data-target-state", "hidden", timeout=WAIT)

    # Gone live from both members' open pages; the notice replaces it; no reload happened.
    for page in (reporter, author):
        expect(page.locator("#messages")).not_to_contain_text(SCAM, timeout=WAIT)
        expect(page.locator("#messages li.message.hidden .hidden-notice")).to_have_count(1)
        assert page.evaluate("window.__sameDocument") is True
    assert no_horizontal_scroll(reporter)

    # A reload shows the notice, not the text; the reporter sees the outcome of the report.
    reporter.reload()
    expect(reporter.locator("#messages li.message.hidden")).to_have_count(1, timeout=WAIT)
    assert SCAM not in reporter.locator("#messages").inner_text()
    reporter.goto("/moderation/mine")
    expect(reporter.locator("[data-report-status]")).to_have_attribute(
        "data-report-status", "actioned")
    assert no_horizontal_scroll(reporter)
