"""Local-first must show, in Chromium: a member goes offline, opens a network's room visited
before (served by the service worker, with the offline banner), writes a chat message: it is
"pending"; back online, it is delivered exactly once and seen live on another member's page."""

import time

import pytest
from playwright.sync_api import expect

from tests.helpers import databases
from tests.helpers.browser_steps import (  # noqa: F401  (new_page, two_people: fixtures)
    WAIT,
    create_open_network,
    fill_common,
    join_network,
    new_page,
    send,
    sign_up,
    socket_connected,
    two_people,
)

pytestmark = pytest.mark.browser

NETWORK = "Bergers de l’Aubrac"
TEXT = "Écrit sans réseau au fond de la vallée"


def test_a_chat_message_written_offline_is_sent_once_when_the_connection_returns(
        two_people, live_server):  # noqa: F811
    a, b = two_people
    sign_up(a, "Odile Causse", "odile.causse@example.org")
    network_url = create_open_network(a, NETWORK, "Entraide.")
    sign_up(b, "Pierre Lacaze", "pierre.lacaze@example.org")
    join_network(b, network_url)

    # A visits the room online: the service worker installs and saves the page.
    a.goto("/chat/")
    room_path = a.locator("#room-list a", has_text=NETWORK).get_attribute("href")
    a.goto(room_path)
    expect(a.locator("html")).to_have_attribute("data-sw", "ready", timeout=WAIT)
    a.reload()  # now through the worker, which keeps a copy
    socket_connected(a)
    b.goto(room_path)
    socket_connected(b)

    # Offline: the room opens from the saved copy, with the banner; the message waits.
    a.context.set_offline(True)
    a.goto(room_path)
    expect(a.locator("#offline-banner")).to_be_visible(timeout=WAIT)
    expect(a.locator("#offline-banner")).to_contain_text("hors ligne")
    a.locator("#body").fill(TEXT)
    a.locator("#body").press("Enter")
    pending = a.locator("#messages li.message.pending", has_text=TEXT)
    expect(pending).to_have_count(1, timeout=WAIT)
    expect(pending.locator("[data-state]")).to_contain_text("en attente")
    expect(b.locator("#messages")).not_to_contain_text(TEXT)

    # Back online: sent once, seen live by B, marked sent on A's page.
    a.context.set_offline(False)
    expect(b.locator("#messages li.message", has_text=TEXT)).to_have_count(1, timeout=3 * WAIT)
    sent = a.locator("#messages li.message", has_text=TEXT)
    expect(sent.locator("[data-state='sent']")).to_have_count(1, timeout=WAIT)
    expect(a.locator("#offline-banner")).to_be_hidden()
    send(b, "Bien reçu !")
    expect(a.locator("#messages")).to_contain_text("Bien reçu !", timeout=WAIT)
    assert databases.rows(live_server.db_file, "SELECT count(*) FROM message WHERE body = ?",
                          TEXT) == [(1,)]
    # A reload shows it once (the browser's outbox is empty).
    a.reload()
    expect(a.locator("#messages li.message", has_text=TEXT)).to_have_count(1, timeout=WAIT)
    expect(a.locator("#messages li.pending")).to_have_count(0)


def test_a_declaration_submitted_offline_is_recorded_once_when_back(new_page, live_server):  # noqa: F811
    page = new_page()
    sign_up(page, "Jeanne Roques", "jeanne.roques@example.org")
    page.goto("/interest/new?track=independent")
    expect(page.locator("html")).to_have_attribute("data-sw", "ready", timeout=WAIT)
    page.reload()  # through the worker: the form is saved on this device

    page.context.set_offline(True)
    page.goto("/interest/new?track=independent")
    expect(page.locator("#offline-banner")).to_be_visible(timeout=WAIT)
    page.locator("#activity").fill("Tisserande, écrit hors ligne")
    fill_common(page)
    page.locator("input[name=formula][value=permanent]").check()
    page.locator("form[data-outbox] button[type=submit]").click()
    status = page.locator("form[data-outbox] [data-outbox-status]")
    expect(status).to_have_attribute("data-state", "pending", timeout=WAIT)
    expect(status).to_contain_text("connexion")

    page.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "sent", timeout=3 * WAIT)
    assert databases.rows(
        live_server.db_file,
        'SELECT count(*) FROM declaration_version v JOIN declaration d ON d.id = v.declaration_id'
        ' JOIN "user" u ON u.id = d.user_id WHERE u.email = ?',
        "jeanne.roques@example.org") == [(1,)]
    page.goto("/interest/")
    expect(page.locator(".facts").first).to_contain_text("Tisserande, écrit hors ligne")


def test_after_logout_the_saved_pages_are_gone_from_the_device(new_page, live_server):  # noqa: F811
    page = new_page()
    sign_up(page, "Agnès Vidal", "agnes.vidal@example.org")
    page.goto("/people/me")
    expect(page.locator("html")).to_have_attribute("data-sw", "ready", timeout=WAIT)
    page.reload()  # saved through the worker
    expect(page.locator("main h1")).to_contain_text("Agnès Vidal")
    page.locator("details[data-menu] > summary").click()  # the phone's folded menu
    page.locator("form[action$='/auth/logout'] button").click()
    page.wait_for_url("**/")
    page.context.set_offline(True)
    try:
        page.goto("/people/me")
        shown = page.content()
    except Exception:  # no saved copy and no worker: the browser's own offline error
        shown = ""
    assert "Agnès Vidal" not in shown
    page.context.set_offline(False)


def test_on_lie_fi_a_declaration_is_kept_and_sent_once_when_the_server_answers(new_page, live_server):  # noqa: F811
    """Online but the connection is bad: the first post gets no answer (the outbox's timeout),
    the second reaches the server but its answer is lost (the connection dropped). Both times
    the declaration stays on the device with the notice beside the button; when the server
    answers again it is recorded once."""
    page = new_page()
    sign_up(page, "Mireille Causse", "mireille.causse@example.org")
    page.goto("/interest/new?track=independent")
    page.evaluate("window.Maillage.outboxTimeout = 1500; window.Maillage.outboxRetry = 3600000")
    posts, lost = [], []

    def bad_network(route):
        posts.append(route.request.method)
        if len(posts) == 1:
            return  # never answered
        route.fetch()  # the server has it...
        route.abort("connectionreset")  # ...but its answer never arrives
        lost.append(route.request.url)

    page.route("**/interest/new*", lambda route: bad_network(route)
               if route.request.method == "POST" else route.continue_())
    page.locator("#activity").fill("Potière, réseau faible")
    fill_common(page)
    page.locator("input[name=formula][value=permanent]").check()
    button = page.locator("form[data-outbox] button[type=submit]")
    button.click()
    status = page.locator("form[data-outbox] [data-outbox-status]")
    expect(status).to_have_attribute("data-state", "pending", timeout=WAIT)
    # The notice is next to the button, in sight.
    assert status.evaluate("(s) => s.previousElementSibling.matches('button[type=submit]')")
    # A retry (and time enough for the server): its answer is lost.
    page.evaluate("window.Maillage.outboxTimeout = 30000; window.dispatchEvent(new Event('online'))")
    deadline = time.monotonic() + WAIT / 1000
    while not lost and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright run the route handler to its end
    assert len(posts) == 2 and len(lost) == 1
    expect(status).to_have_attribute("data-state", "pending")
    page.unroute("**/interest/new*")
    # The server answers again: retried at once, or right after the retry in progress.
    page.evaluate("window.Maillage.outboxRetry = 300; window.dispatchEvent(new Event('online'))")
    expect(status).to_have_attribute("data-state", "sent", timeout=3 * WAIT)
    assert databases.rows(
        live_server.db_file,
        'SELECT count(*) FROM declaration d JOIN "user" u ON u.id = d.user_id WHERE u.email = ?',
        "mireille.causse@example.org") == [(1,)]
    page.goto("/interest/")
    expect(page.locator(".facts").first).to_contain_text("Potière, réseau faible")


def test_a_page_never_saved_gets_an_honest_offline_page(new_page, live_server):  # noqa: F811
    """Offline, a member opens a page this device never saved: the offline page says so, with
    no "copy saved on" banner and no visitor's "log in" links in the header."""
    page = new_page()
    sign_up(page, "Rémi Bastide", "remi.bastide@example.org")
    page.goto("/people/me")
    expect(page.locator("html")).to_have_attribute("data-sw", "ready", timeout=WAIT)
    page.reload()
    page.context.set_offline(True)
    page.goto("/places/")  # never visited on this device
    expect(page.locator("main h1")).to_contain_text("hors ligne")
    expect(page.locator("#offline-banner")).to_be_hidden()
    assert page.locator("header a[href$='/auth/login']").is_hidden()
    assert page.locator("header a[href$='/auth/register']").is_hidden()
    page.context.set_offline(False)
