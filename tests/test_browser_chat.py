"""Chat must show, in Chromium: two pages, two people in the same network room. A message
typed in one appears in the other; the unread count of the conversation list changes live; the
typing line shows; a reload keeps the history; a hostile message is rendered harmlessly; the
phone layout has no horizontal scroll.

Chat elements are found by id and data attributes (their French texts may not be translated
yet)."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser_steps import (  # noqa: F401  (two_people: a fixture)
    WAIT,
    create_open_network,
    join_network,
    no_horizontal_scroll,
    send,
    sign_up,
    socket_connected,
    two_people,
)

pytestmark = pytest.mark.browser

NETWORK = "Couteliers de Laguiole"


def test_two_people_chat_live(two_people):  # noqa: F811
    a, b = two_people

    # 1. A creates an open network; B joins it by accepting the charter.
    sign_up(a, "Amélie Fabre", "amelie.fabre@example.org")
    network_url = create_open_network(a, NETWORK, "On se respecte.", "Les couteliers de l’Aubrac.")

    sign_up(b, "Benoît Sabatier", "benoit.sabatier@example.org")
    join_network(b, network_url)  # a member now: the network's post form

    # 2. A opens the network's room from the conversation list; B stays on the list.
    a.goto("/chat/")
    a_link = a.locator("#room-list a", has_text=NETWORK)
    room_path = a_link.get_attribute("href")
    room_id = int(re.search(r"/chat/(\d+)$", room_path).group(1))
    a.goto(room_path)
    socket_connected(a)

    b.goto("/chat/")
    assert no_horizontal_scroll(b)
    b_item = b.locator(f"#room-list [data-room='{room_id}']")
    badge = b_item.locator("[data-unread]")
    expect(badge).to_be_hidden()
    socket_connected(b)
    b.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # 3. The unread count changes live on B's list, without a reload.
    send(a, "Bonjour à tous, qui forge encore à la main ?")
    expect(badge).to_be_visible(timeout=WAIT)
    expect(badge).to_have_text(re.compile(r"^1\b"), timeout=WAIT)
    send(a, "Je cherche du **carbone** pour une lame.")
    expect(badge).to_have_text(re.compile(r"^2\b"), timeout=WAIT)
    assert b.evaluate("window.__sameDocument") is True  # live, never reloaded

    # 4. B opens the room: both messages are there (history from the server).
    b_item.locator("a").click()
    b.wait_for_url(f"**/chat/{room_id}")
    b_messages = b.locator("#messages")
    expect(b_messages).to_contain_text("qui forge encore à la main", timeout=WAIT)
    expect(b_messages).to_contain_text("carbone")
    assert b_messages.locator("li.message strong", has_text="carbone").count() == 1
    # B's socket joined the room: the online count says both of them.
    expect(b.locator("[data-online-count]")).to_have_text(re.compile(r"\b2\b"), timeout=WAIT)
    assert no_horizontal_scroll(b)

    # 5. A types without sending: B's typing line names A. The line clears itself after a few
    # seconds, so B records every text it shows (on <html data-typing-seen>).
    b.evaluate("""() => {
        const line = document.querySelector("[data-typing]");
        const html = document.documentElement;
        html.dataset.typingSeen = "";
        new MutationObserver(() => { html.dataset.typingSeen += line.textContent + "|"; })
            .observe(line, {childList: true, characterData: true, subtree: true});
    }""")
    a.locator("#body").press_sequentially("Je réfléchis", delay=250)  # > 2 s: one event at least
    expect(b.locator("html")).to_have_attribute("data-typing-seen", re.compile("Amélie Fabre"),
                                                timeout=WAIT)
    a.locator("#body").fill("")

    # 6. B replies with Enter: it appears live on A's page.
    a.evaluate("window.__sameDocument = true")
    send(b, "Moi ! Passe à l’atelier de Laguiole.")
    a_messages = a.locator("#messages")
    expect(a_messages).to_contain_text("Passe à l’atelier de Laguiole", timeout=WAIT)
    expect(b_messages.locator("li.message", has_text="Passe à l’atelier")).not_to_have_class(
        re.compile(r"\bpending\b"), timeout=WAIT)  # acked by the server
    assert a.evaluate("window.__sameDocument") is True

    # 7. A hostile message is rendered harmlessly on the other side.
    send(a, "**gras** <img src=x onerror=alert(1)>")
    hostile = b_messages.locator("li.message", has_text="gras").last
    expect(hostile).to_be_visible(timeout=WAIT)
    expect(hostile.locator(".message-body strong")).to_have_text("gras")
    expect(hostile.locator(".message-body")).to_contain_text("<img src=x onerror=alert(1)>")
    assert b_messages.locator("img").count() == 0
    assert a_messages.locator("img").count() == 0

    # 8. A reload keeps the history, in order, on both pages.
    a.reload()
    b.reload()
    for page in (a, b):
        bodies = page.locator("#messages li.message .message-body")
        expect(bodies).to_have_count(4, timeout=WAIT)
        texts = bodies.all_inner_texts()
        assert "qui forge encore à la main" in texts[0]
        assert "carbone" in texts[1]
        assert "Passe à l’atelier de Laguiole" in texts[2]
        assert "<img src=x onerror=alert(1)>" in texts[3]
        assert page.locator("#messages img").count() == 0
        assert page.locator("#messages li.message strong", has_text="gras").count() == 1
    assert no_horizontal_scroll(b)
    assert a.dialogs == [] and b.dialogs == []
