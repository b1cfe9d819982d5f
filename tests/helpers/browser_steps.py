"""What several browser tests do the same way: sign up and join a network through the real
forms, wait for the chat socket and send on it, fill the common part of a declaration, make
someone an organiser, open pages (fixtures `new_page` and `two_people`)."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers import databases
from tests.helpers.browser import LiveServer
from tests.helpers.signup import outbox_link

WAIT = 10_000  # ms: every live change must show within this
PHONE = {"width": 360, "height": 740}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def start_sign_up(page, name: str, email: str) -> None:
    """The real form, in French; ends on "look in your mailbox"."""
    page.goto("/auth/register")
    assert no_horizontal_scroll(page)
    page.get_by_label("Nom visible par les autres").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("une phrase de passe solide")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url("**/auth/register/sent")
    assert no_horizontal_scroll(page)


def finish_sign_up(page, link: str) -> None:
    """The mailed link opened, its button pressed; ends on the profile editor, logged in."""
    page.goto(link)
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url("**/people/me/edit")


def sign_up(page, name: str, email: str, read_link=None) -> None:
    """Through the real form, then the link of the mail it sent (`read_link(email)` gives its
    path; by default it is read from the live server's outbox); ends on the profile editor."""
    start_sign_up(page, name, email)
    if read_link is None:
        server = LiveServer.serving(page.url)
        link = outbox_link(server.db_file, email)
    else:
        link = read_link(email)
    finish_sign_up(page, link)


def create_open_network(page, name: str, charter: str, description: str = "") -> str:
    """Through the real form; returns the new network's URL."""
    page.goto("/networks/new")
    page.locator("#name").fill(name)
    if description:
        page.locator("#description").fill(description)
    page.locator("#charter").fill(charter)
    page.locator("input[name=visibility][value=open]").check()
    page.get_by_role("button", name="Créer le réseau").click()
    page.wait_for_url(re.compile(r".*/networks/\d+$"))
    return page.url


def join_network(page, network_url: str) -> None:
    """Accept the charter of an open network; ends on the network with its post form."""
    page.goto(network_url)
    page.locator("#accept").check()
    page.get_by_role("button", name="Accepter la charte et rejoindre le réseau").click()
    page.wait_for_selector("textarea#body")


@pytest.fixture
def two_people(browser, live_server):
    contexts = [browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=size)
                for size in ({"width": 1200, "height": 900}, {"width": 360, "height": 740})]
    pages = [c.new_page() for c in contexts]
    for page in pages:
        page.dialogs = []
        page.on("dialog", lambda d, page=page: (page.dialogs.append(d.message), d.dismiss()))
    yield pages
    for c in contexts:
        c.close()


def socket_connected(page) -> None:
    """Waits for the page's /chat socket. The site's CSP forbids eval, so no wait_for_function:
    the socket's state is mirrored on <html data-socket> and waited for like any attribute."""
    page.evaluate("""() => {
        const socket = window.Maillage.socket;
        const mark = () => { document.documentElement.dataset.socket = socket.connected ? "up" : "down"; };
        socket.on("connect", mark); socket.on("disconnect", mark); mark();
    }""")
    expect(page.locator("html")).to_have_attribute("data-socket", "up", timeout=WAIT)


def send(page, text: str) -> None:
    """Types into the room's box and presses Enter (the socket path, not the form post)."""
    page.locator("#body").fill(text)
    page.locator("#body").press("Enter")
    expect(page.locator("#body")).to_have_value("", timeout=WAIT)


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(viewport=PHONE):
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=viewport)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def set_role(live_server, email: str, role: str = "organiser", kind: str | None = None) -> None:
    databases.execute(live_server.db_file, 'UPDATE "user" SET role = ? WHERE email = ?', role, email)
    if kind:
        databases.execute(live_server.db_file, 'UPDATE profile SET kind = ? WHERE user_id = '
                          '(SELECT id FROM "user" WHERE email = ?)', kind, email)


def fill_common(page, commune="Rignac (12390)", budget="100"):
    page.locator("#home_commune").fill(commune)
    page.locator("#acceptable_communes").fill("Rodez, Rignac (12390)")
    page.locator("#days_per_week").fill("2,5")
    page.locator("#budget_eur_month").fill(budget)
    page.locator("#horizon").select_option("3_months")
    page.locator("input[name=equipment][value=fibre_wifi]").check()
    page.locator("input[name=equipment][value=kitchen]").check()
    page.locator("#free_first_month").check()


def fill_quarterly(page, activity: str) -> None:
    """An independent's declaration: `activity`, the common answers, 20 days a quarter, a
    30 km commute four days a week."""
    page.locator("#activity").fill(activity)
    fill_common(page)
    page.locator("input[name=formula][value=days_per_quarter]").check()
    page.locator("#days_per_quarter").fill("20")
    page.locator("#commute_km").fill("30")
    page.locator("#commute_days_per_week").fill("4")
