"""A forgotten password, end to end in Chromium (issue 19, must show 1), after a sign-up finished
from its mail: the request through the login page's link, the mail read from a real SMTP server
(aiosmtpd, started here) that the server's own background sender delivered to, the link
followed, a new password set; the member is in, and the device that was logged in before is
out."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers import databases
from tests.helpers.browser import LiveServer
from tests.helpers.browser_steps import PHONE, WAIT, no_horizontal_scroll, sign_up
from tests.helpers.smtp import SmtpSink, link_in, wait_for

pytestmark = pytest.mark.browser

EMAIL = "maelle.bru@example.org"
NEW_PASSWORD = "un tout nouveau mot de passe"


@pytest.fixture(scope="module")
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def mail_server(template_db, tmp_path_factory, smtp):
    """gunicorn (what `make run` starts) sending through the test's SMTP server."""
    workdir = tmp_path_factory.mktemp("live-mail")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    server = LiveServer(db_file, workdir, env={
        "MAILLAGE_MAIL_SERVER": "127.0.0.1", "MAILLAGE_MAIL_PORT": str(smtp.port),
        "MAILLAGE_MAIL_SECURITY": "none", "MAILLAGE_MAIL_POLL_SECONDS": "0.2"})
    yield server
    server.stop()
    databases.drop(db_file)


def test_a_forgotten_password_by_mail_logs_out_the_other_devices(browser, mail_server, smtp):
    before = browser.new_context(base_url=mail_server.url, locale="fr-FR")
    old_device = before.new_page()
    # The sign-up is finished from its mail, as the SMTP server got it from the sender that
    # runs inside gunicorn.
    def link_from_smtp(address: str) -> str:
        wait_for(lambda: smtp.to(address), 30, "the sign-up mail")
        return link_in(smtp.to(address)[0], "/auth/register/confirm/")
    sign_up(old_device, "Maëlle Bru", EMAIL, read_link=link_from_smtp)

    phone = browser.new_context(base_url=mail_server.url, locale="fr-FR", viewport=PHONE)
    page = phone.new_page()
    page.goto("/auth/login")
    page.get_by_role("link", name=re.compile("Mot de passe oublié")).click()
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_role("button", name="M’envoyer un lien").click()
    page.wait_for_load_state()
    assert no_horizontal_scroll(page)

    wait_for(lambda: any("/auth/reset/" in m.get_body(("plain",)).get_content()
                         for m in smtp.to(EMAIL)), 30, "the reset mail")
    mail = next(m for m in smtp.to(EMAIL) if "/auth/reset/" in m.get_body(("plain",)).get_content())
    assert mail["Message-ID"] and "Maillage" in mail["From"]
    page.goto(link_in(mail, "/auth/reset/"))
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    page.wait_for_load_state()
    expect(page.locator(".flashes")).to_contain_text("autres appareils sont déconnectés",
                                                     timeout=WAIT)
    assert no_horizontal_scroll(page)

    # In on the phone; out on the device that was logged in before the reset.
    page.goto("/people/me/edit")
    assert page.url.endswith("/people/me/edit")
    old_device.goto("/people/me/edit")
    assert "/auth/login" in old_device.url
    # The link worked once.
    page.goto(link_in(mail, "/auth/reset/"))
    assert page.locator("form input[type=password]").count() == 0
    before.close()
    phone.close()
