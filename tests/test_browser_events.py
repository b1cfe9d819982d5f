"""Must show 1 of issue 22, in Chromium on a 360 x 740 phone: a place's animator adds a weekly
permanence and a discovery day (one seat) through the real form; a member living 6 km away finds
the discovery day with the "20 km" filter, says "I'm coming", sees it in her home feed and in
her calendar (the private link, fetched without a cookie, gives its SUMMARY); a second member
waits in line, takes the seat the first one gives back (asked in the confirm dialog) and is told
so. A screenshot of each step is kept in test-artefacts/events-360/."""
import re
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.helpers.browser_steps import (  # noqa: F401  (new_page: a fixture)
    PHONE,
    WAIT,
    new_page,
    no_horizontal_scroll,
    set_role,
    sign_up,
)

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts" / "events-360"
PLACE = "La Fabrique de Rodez"
PERMANENCE = "Permanence de l’expert-comptable"
DISCOVERY = "Journée découverte à la Fabrique"


def shoot(page, name: str) -> None:
    """Every step must read on the phone without scrolling sideways; its picture is kept."""
    assert no_horizontal_scroll(page), f"{name}: wider than the phone"
    page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)


def coming(page):
    """What the event page's "Coming?" box says of this person's registration."""
    return page.locator("section[aria-labelledby=coming-title] [role=status]")


def paris_day(days_ahead: int) -> str:
    return (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=days_ahead)).strftime("%d/%m/%Y")


def add_event(page, place_url: str, title: str, kind: str, day: str, start: str, end: str,
              repeat: str, seats: str = "") -> str:
    """From the place's page, its "Add an event" button and the real form; returns the event's
    URL."""
    page.goto(place_url)
    page.get_by_role("link", name="Ajouter un événement").click()
    page.wait_for_url(re.compile(r".*/events/new\?place=\d+$"))
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Catégorie").select_option(label=kind)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Début").fill(start)
    page.get_by_label("Fin", exact=True).fill(end)
    page.get_by_label("Répétition", exact=True).select_option(label=repeat)
    if seats:
        page.get_by_label("Places (facultatif)").fill(seats)
    page.get_by_role("button", name="Publier").click()
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    expect(page.get_by_text("L’événement est publié.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url


def test_a_discovery_day_from_the_animator_to_the_waiting_list(new_page, live_server):  # noqa: F811
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    # An organiser opens the place in Rodez and appoints its animator.
    organiser, animator = new_page(PHONE), new_page(PHONE)
    sign_up(animator, "Nadia Bousquet", "nadia.bousquet@example.org")
    sign_up(organiser, "Marc Organisateur", "marc.orga.events@example.org")
    set_role(live_server, "marc.orga.events@example.org")
    organiser.goto("/places/new")
    organiser.locator("#name").fill(PLACE)
    organiser.locator("#status").select_option("open")
    organiser.locator("#commune").fill("Rodez (12000)")
    with organiser.expect_navigation():
        organiser.get_by_role("button", name="Enregistrer", exact=True).click()
    organiser.wait_for_url(re.compile(r".*/places/\d+$"))
    place_url = organiser.url
    organiser.get_by_role("link", name="Animateur·rices").click()
    organiser.get_by_label("Adresse e-mail du membre à nommer").fill("nadia.bousquet@example.org")
    organiser.get_by_role("button", name="Nommer").click()
    expect(organiser.get_by_text("Nadia Bousquet anime")).to_be_visible()
    organiser.context.close()

    # 1. The animator adds a weekly permanence, then a discovery day with one seat.
    animator.goto(place_url)
    expect(animator.get_by_role("link", name="Ajouter un événement")).to_be_visible()
    shoot(animator, "1-place-of-the-animator")
    add_event(animator, place_url, PERMANENCE, "Permanence", paris_day(2), "9:00", "12:00",
              "Chaque semaine")
    expect(animator.get_by_text("Sans inscription")).to_be_visible()
    assert animator.locator("#dates-title + ul > li").count() >= 10  # one a week for 92 days (12 shown)
    shoot(animator, "2-weekly-permanence")
    discovery_url = add_event(animator, place_url, DISCOVERY, "Journée découverte",
                              paris_day(10), "9:00", "17:00", "Une seule fois", seats="1")
    expect(animator.locator(".facts")).to_contain_text("1 place restante")
    shoot(animator, "3-discovery-day")
    animator.goto(place_url)
    section = animator.locator("section[aria-labelledby=events-title]")
    expect(section).to_contain_text(PERMANENCE)
    expect(section).to_contain_text(DISCOVERY)
    shoot(animator, "4-place-with-its-events")

    # 2. Member A lives in Luc-la-Primaube (6 km from Rodez, same agglomeration).
    alice = new_page(PHONE)
    sign_up(alice, "Alice Fabre", "alice.fabre.events@example.org")
    alice.get_by_label("Commune", exact=True).fill("Luc-la-Primaube (12450)")
    alice.get_by_role("button", name="Enregistrer mon profil").click()
    alice.wait_for_url(re.compile(r".*/people/\d+$"))

    alice.goto("/events/")
    filters = alice.locator("details.filters")
    fold = filters.locator("summary")
    expect(fold).to_have_text("Filtrer")
    assert fold.bounding_box()["height"] >= 44  # a thumb's target
    fold.click()
    filters.get_by_label("Commune").fill("Luc-la-Primaube (12450)")
    filters.get_by_label("Dans un rayon de").select_option(label="20\u00a0km")
    filters.get_by_label("Journée découverte").check()
    shoot(alice, "5-events-filter")
    filters.get_by_role("button", name="Voir les événements").click()
    alice.wait_for_url(re.compile(r".*/events/\?.*km=20"))
    listing = alice.locator("ul.event-list")
    expect(listing.get_by_role("link", name=DISCOVERY)).to_be_visible()
    expect(listing).not_to_contain_text(PERMANENCE)  # only discovery days were asked for
    shoot(alice, "6-events-within-20-km")
    listing.get_by_role("link", name=DISCOVERY).click()
    alice.wait_for_url(discovery_url)
    alice.get_by_role("button", name="Je viens").click()
    expect(alice.get_by_text("Vous êtes inscrit·e. À bientôt")).to_be_visible()
    expect(coming(alice)).to_have_text("Vous êtes inscrit·e.")
    expect(alice.locator(".facts")).to_contain_text("0 place restante")
    shoot(alice, "7-registered")

    alice.goto("/")
    expect(alice.locator("ol.feed")).to_contain_text(DISCOVERY)
    shoot(alice, "8-home-feed")

    alice.goto("/events/mine")
    expect(alice.locator("ul.event-list")).to_contain_text(DISCOVERY)
    expect(alice.locator("ul.event-list")).to_contain_text("Inscrit")
    alice.get_by_role("button", name="Créer mon lien").click()
    link = alice.get_by_label("Lien privé")
    expect(link).to_be_visible()
    shoot(alice, "9-calendar-link")
    feed_url = link.input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/events/feeds/me/[\w-]+\.ics", feed_url)
    with urllib.request.urlopen(feed_url, timeout=10) as answer:  # no cookie: a calendar app
        assert answer.headers["Content-Type"].startswith("text/calendar")
        calendar = answer.read().decode()
    unfolded = calendar.replace("\r\n ", "")
    assert "BEGIN:VCALENDAR" in unfolded and f"SUMMARY:{DISCOVERY}" in unfolded
    assert PERMANENCE not in unfolded  # only what she registered for

    # 3. Member B comes too late: the waiting list. A gives her seat back; B has it.
    berta = new_page(PHONE)
    sign_up(berta, "Berta Costes", "berta.costes.events@example.org")
    berta.goto(discovery_url)
    berta.get_by_role("button", name="Rejoindre la liste d’attente").click()
    expect(berta.get_by_text("vous êtes sur liste d’attente", exact=False).first).to_be_visible()
    expect(coming(berta)).to_have_text("Vous êtes sur liste d’attente.")
    shoot(berta, "10-waiting-list")

    alice.goto(discovery_url)
    alice.get_by_role("button", name="Annuler mon inscription").click()
    dialog = alice.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Votre place ira à la prochaine personne en attente.")
    shoot(alice, "11-cancel-dialog")
    with alice.expect_navigation():
        dialog.get_by_role("button", name="Annuler mon inscription").click()
    expect(alice.get_by_text("Votre inscription est annulée.")).to_be_visible()
    expect(alice.get_by_role("button", name="Rejoindre la liste d’attente")).to_be_visible()
    shoot(alice, "12-cancelled")

    berta.goto("/notifications")
    told = berta.get_by_role("button", name=re.compile("Une place s’est libérée"))
    expect(told).to_have_text(
        f"Une place s’est libérée\u00a0: vous êtes inscrit·e à «\u00a0{DISCOVERY}\u00a0».",
        timeout=WAIT)
    shoot(berta, "13-notification")
    told.click()  # marks it read and opens the event
    berta.wait_for_url(discovery_url)
    expect(coming(berta)).to_have_text("Vous êtes inscrit·e.")
    shoot(berta, "14-promoted")
