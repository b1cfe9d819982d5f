"""Issue 23: the viability sheet as a browser prints it (Chromium's print to PDF, read back with
pypdf): a heading of its own, the organisation, the date, every assumption and the filters; the
site's "Organisateurs" heading, the plan's form and the navigation left out."""
import io
import re
import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from tests.helpers.browser_steps import set_role, sign_up

pytestmark = pytest.mark.browser


def paris_days() -> set[str]:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    return {format_date((now + timedelta(minutes=m)).date(), "long", locale="fr")
            for m in (-2, 0, 2)}


def test_the_printed_viability_sheet(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    email = "claire.impression@example.org"
    sign_up(page, "Claire Organisatrice", email)
    set_role(live_server, email)
    page.goto("/organisers/viability?epci=241200187")  # Rodez Agglomération
    page.locator("#rent").fill("1800")
    page.locator("#occupancy").fill("0,65")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/organisers/viability?*site=*")
    assert page.locator("section.sheet").is_visible()
    assert page.locator(".print-heading").is_hidden()  # on screen, the page's own heading

    page.emulate_media(media="print")
    assert page.locator("#page-title").is_hidden() and page.locator(".print-heading").is_visible()
    assert page.locator("form.card").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    # NFKC: Chromium's fonts write "offert" with the "ff" ligature, and spaces are no-break.
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    text = re.sub(r"\s+", " ", text)
    for words in ("Maillage", "Fiche de viabilité", "Viabilité d’un lieu à", "Hypothèses",
                  "Loyer (€ par mois) 1 800 €", "Autres charges (€ par mois) 400 €",
                  "Poste permanent (€ par mois) 250 €", "Premier mois offert oui",
                  "Taux d’occupation visé 0,65", "Demande prise en compte",
                  "Communauté de communes CA Rodez Agglomération", "Campagne Toutes"):
        assert words in text, words
    assert any(day in text for day in paris_days()), text
    assert "Organisateurs" not in text and "Calculer" not in text  # no site heading, no form
    context.close()
