"""Must show 1 and 3, in Chromium: a declaration in each track, edited and withdrawn with its
history kept; a place with two pricing plans and a free first month, created by an organiser
and read on a 360 px phone; a vote on a projected place's name, one per member."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser_steps import (  # noqa: F401  (new_page: a fixture)
    PHONE,
    WAIT,
    fill_common,
    fill_quarterly,
    new_page,
    no_horizontal_scroll,
    set_role,
    sign_up,
)

pytestmark = pytest.mark.browser


def save(page):
    """Sends the form and waits for the page the server answers with (the outbox sends it by
    fetch, then goes where the server redirected; a refused form is posted again natively)."""
    with page.expect_navigation():
        page.locator("form[method=post] button[type=submit].button").last.click()
    page.wait_for_load_state()


def test_declarations_in_both_tracks_edit_withdraw_history(new_page, live_server):  # noqa: F811
    page = new_page()
    sign_up(page, "Inès Puech", "ines.puech@example.org")
    page.goto("/interest/")
    page.locator("a[href$='/interest/new?track=independent']").click()
    fill_quarterly(page, "Illustratrice <b>jeunesse</b>")
    save(page)
    assert page.url.endswith("/interest/")
    facts = page.locator(".facts").first.inner_text()
    assert "Illustratrice <b>jeunesse</b>" in facts and "Rodez" in facts and "2,5" in facts
    assert no_horizontal_scroll(page)

    # A mistake is explained and nothing typed is lost.
    page.locator("a[href*='/edit']").first.click()
    page.locator("#budget_eur_month").fill("-40")
    save(page)
    assert page.locator("#budget_eur_month-error").is_visible()
    assert page.locator("#activity").input_value() == "Illustratrice <b>jeunesse</b>"
    page.locator("#budget_eur_month").fill("150")
    save(page)
    assert "150" in page.locator(".facts").first.inner_text()

    page.locator("form[action$='/withdraw'] button").click()  # asks first, in a dialog
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name="Retirer la déclaration").click()
    expect(page.locator(".badge", has_text="retirée")).to_have_count(1, timeout=WAIT)
    page.locator("a[href$='/history']").click()
    page.wait_for_url("**/history")
    versions = page.locator("ol.posts > li")
    expect(versions).to_have_count(2, timeout=WAIT)
    assert "150" in versions.nth(0).inner_text() and "100" in versions.nth(1).inner_text()

    # The company track, by an organisation account, with the NAF suggestions.
    company = new_page({"width": 1200, "height": 900})
    sign_up(company, "Scop Bâti Ségala", "contact@scop-bati.example.org")
    set_role(live_server, "contact@scop-bati.example.org", role="member", kind="company")
    company.goto("/interest/new?track=company")
    company.locator("#company_name").fill("Scop Bâti Ségala")
    company.locator("#siret").fill("732 829 320 00074")
    company.locator("#naf").press_sequentially("menuiserie", delay=20)
    company.wait_for_selector("#naf-options option[value^='43.32A']", state="attached")
    company.locator("#naf").fill("43.32A — Travaux de menuiserie bois et PVC")
    company.locator("#headcount").fill("4")
    company.locator("#telework").select_option("occasional")
    fill_common(company, commune="Baraqueville", budget="250")
    company.locator("input[name=formula][value=permanent]").check()
    save(company)
    assert company.url.endswith("/interest/")
    facts = company.locator(".facts").first.inner_text()
    assert "43.32A" in facts and "Scop Bâti Ségala" in facts


def test_place_with_plans_on_a_phone_and_one_vote_per_member(new_page, live_server):  # noqa: F811
    organiser = new_page({"width": 1200, "height": 900})
    sign_up(organiser, "Marion Vidal", "marion.vidal@example.org")
    set_role(live_server, "marion.vidal@example.org")
    organiser.goto("/places/new")
    organiser.locator("#name").fill("Tiers-lieu de Rignac")
    organiser.locator("#status").select_option("project")
    organiser.locator("#commune").fill("Rignac (12390)")
    organiser.locator("#surface_m2").fill("150")
    organiser.locator("#rent_eur_month").fill("1500")
    organiser.locator("#free_first_month").check()
    organiser.locator("#plans-0-name").fill("Permanent")
    organiser.locator("#plans-0-price").fill("250")
    organiser.locator("#plans-0-period").select_option("month")
    organiser.locator("#plans-1-name").fill("20 jours / trimestre")
    organiser.locator("#plans-1-price").fill("100")
    organiser.locator("#plans-1-period").select_option("quarter")
    organiser.locator("#plans-1-included_days").fill("20")
    save(organiser)
    organiser.wait_for_url(re.compile(r".*/places/\d+$"))
    place_url = organiser.url
    organiser.locator("details.card summary").click()
    organiser.locator("#question").fill("Quel nom pour le lieu ?")
    organiser.locator("form[action$='/polls'] button").click()
    organiser.wait_for_load_state()
    for idea in ("Le Relais", "L’Escale"):
        organiser.locator("input[name$='-text']").first.fill(idea)
        organiser.locator("form[action$='/proposals'] button").first.click()
        organiser.wait_for_load_state()

    phone = new_page(PHONE)
    sign_up(phone, "Hugo Marty", "hugo.marty@example.org")
    phone.goto(place_url)
    assert no_horizontal_scroll(phone)
    prices = phone.locator(".prices")
    assert prices.locator(".free-month").is_visible()
    plans = prices.locator(".plans li")
    assert plans.count() == 2
    assert "250" in plans.nth(0).inner_text() and "TTC" in plans.nth(0).inner_text()
    assert "100" in plans.nth(1).inner_text() and "20" in plans.nth(1).inner_text()
    box = prices.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360

    phone.locator("input[name=proposal]").first.check()
    phone.locator("form[action$='/vote'] button").click()
    phone.wait_for_load_state()
    assert phone.locator("input[name=proposal]").count() == 0  # no second ballot
    poll = phone.locator(".poll").first.inner_text()
    assert re.search(r"1 vote\b", poll)


@pytest.mark.parametrize("path", ["/interest/new?track=company", "/places/", "/places/new"])
def test_demand_pages_have_no_serious_accessibility_violation(new_page, live_server, path):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    page = new_page()
    email = f"axe{abs(hash(path))}@example.org"
    sign_up(page, "Agathe Roques", email)
    set_role(live_server, email)
    page.goto(path)
    assert no_horizontal_scroll(page)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                  for v in Axe().run(page).response["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == []
