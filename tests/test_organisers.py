"""Organisers: the clusters on a hand-built case, the same sites as the naive baseline, the
organiser-only rule on every page and export, and small cells never exported."""
from __future__ import annotations

import csv
import io
import json
import random

import pytest

from app.organisers.clusters import Demand, Geography, clusters, naive_clusters
from tests.helpers.apps import login_as
from tests.helpers.demand import declare

# Four communes on a line, 10 km apart (0.09 degree of latitude ≈ 10 km).
LINE = {"A": (44.0, 2.5), "B": (44.09, 2.5), "C": (44.18, 2.5), "D": (44.27, 2.5)}


@pytest.fixture
def line() -> Geography:
    return Geography(LINE)


def test_hand_built_case(line):
    demands = [
        # Three people at A who go at most 12 km: A or B covers them.
        *[Demand("A", max_km=12, days=2, formula="permanent", budget=200, commute_km=30,
                 commute_days=4)] * 3,
        # Two people at D who only accept C.
        *[Demand("D", acceptable=frozenset({"C"}), days=1, formula="day_pass", budget=50)] * 2,
        # One person at C who goes 25 km: B, C or D (A is 27 km away).
        Demand("C", max_km=25, days=5, formula="permanent", budget=250),
        # One person at B whose only commune is B, but an open place is at B.
        Demand("B", acceptable=frozenset({"B"}), days=3, formula="day_pass", budget=60),
    ]
    result = clusters(demands, line, 2, open_places={"B"}, occupancy=0.5, co2_kg_per_km=0.2)
    # B's open place already covers the person at B, the three at A (B is 10 km away) and the
    # one at C (10 km): only the two from D remain, and C is the only site that covers them.
    assert result.already_covered == 5
    assert [(s.commune, s.people) for s in result.sites] == [("C", 2)]
    assert result.uncovered == 0
    site = result.sites[0]
    assert site.desk_days == 2 and site.desks_needed == 1  # 2 / (5 days × 0.5)
    assert dict(site.formulas) == {"day_pass": 2} and site.budget_median == 50

    # Without the open place: B covers A's three and B's one and C's one (5 people);
    # then C covers D's two.
    result = clusters(demands, line, 3, occupancy=0.5, co2_kg_per_km=0.2)
    assert [(s.commune, s.people) for s in result.sites] == [("B", 5), ("C", 2)]
    b = result.sites[0]
    assert b.desk_days == 3 * 2 + 5 + 3 and b.desks_needed == 6  # 14 / 2.5 -> 6
    # A's three commute 30 km today; B is 10 km away: 20 km saved each way, 2 days a week.
    assert b.km_avoided == pytest.approx(3 * 2 * 2 * (30 - line.distance("A", "B")))
    assert b.co2_kg_avoided == pytest.approx(b.km_avoided * 0.2)
    assert [(s.commune, s.people) for s in result.sites] == naive_clusters(demands, line, 3)

    # The viability of a place at B for the people it covers: permanent desks at 220 € (the
    # three from A, budget 200, do not come; C's, budget 250, does) and day passes at 4 € (B's:
    # 4 × 3 days × 52 / 12 = 52 € a month, within 60).
    from app.organisers.clusters import covers
    from app.organisers.viability import Plan, viability
    at_b = [d for d in demands if covers(line, d, "B")]
    assert len(at_b) == 5
    sheet = viability(at_b, Plan(rent=150, other_costs=50, occupancy=0.5,
                                 prices={"permanent": 220, "day_pass": 4}))
    base = sheet.scenarios[0]
    assert base.members == 2
    assert base.revenue == pytest.approx(272) and base.balance == pytest.approx(72)
    assert base.desks_needed == 4  # (5 + 3) desk-days / (5 × 0.5)
    assert sheet.break_even_members == 2  # 200 € of costs / 136 € on average


def test_same_sites_as_the_naive_baseline_on_random_demand():
    rng = random.Random(4)
    points = {f"{i:05d}": (44 + rng.random(), 2 + rng.random()) for i in range(40)}
    geo = Geography(points)
    codes = sorted(points)
    for trial in range(20):
        demands = [Demand(rng.choice(codes),
                          frozenset(rng.sample(codes, rng.randint(0, 3))),
                          rng.choice([None, 5, 10, 20, 40])) for _ in range(rng.randint(1, 300))]
        open_places = set(rng.sample(codes, rng.randint(0, 2)))
        fast = clusters(demands, geo, 4, open_places=open_places)
        assert [(s.commune, s.people) for s in fast.sites] == \
            naive_clusters(demands, geo, 4, open_places=open_places), trial


ORGANISER_URLS = ["/organisers/", "/organisers/map", "/organisers/map?k=3", "/organisers/map.svg",
                  "/organisers/clusters", "/organisers/shared", "/organisers/shared/new",
                  "/organisers/viability", "/organisers/prospects", "/organisers/sirene",
                  "/organisers/gaps", "/organisers/events", "/organisers/export/events.csv",
                  "/organisers/export/communes.csv",
                  "/organisers/export/communes.geojson", "/organisers/export/declarations.csv",
                  "/organisers/report.pdf", "/organisers/export/tables.xlsx",
                  "/organisers/export/declarations.xlsx", "/organisers/export/communes-fr.csv",
                  "/organisers/export/events-fr.csv", "/organisers/export/declarations-fr.csv",
                  "/api/v1/demand/clusters?k=3"]


def test_every_organiser_page_and_export_is_403_for_others(app, make_user):
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/organisers")}
    with_ids = {"/organisers/sirene/<id:import_id>", "/organisers/shared/<id:link_id>",
                "/organisers/shared/<id:link_id>/revoke"}
    assert rules - with_ids <= {u.split("?")[0] for u in ORGANISER_URLS}, \
        "a new route: add it above"
    anonymous, member = app.test_client(), app.test_client()
    login_as(member, make_user("m@example.org"))
    for client in (anonymous, member):
        for url in [*ORGANISER_URLS, "/organisers/sirene/1", "/organisers/shared/1",
                    "/organisers/shared/1/revoke"]:
            assert client.get(url).status_code == 403, url
    organiser = app.test_client()
    login_as(organiser, make_user("o@example.org", role="organiser"))
    for url in ORGANISER_URLS:
        assert organiser.get(url).status_code == 200, url


def test_exports_never_show_a_cell_under_the_threshold(app, client, make_user):
    for i in range(5):
        declare(make_user(f"r{i}@example.org").id, "12202")  # Rodez: 5 people
    declare(None, "12199", consent=True, email="lea@example.org")  # Rignac: 2 people
    declare(None, "12199", consent=False, email="secret@example.org")
    login_as(client, make_user("o@example.org", role="organiser"))
    rows = list(csv.DictReader(io.StringIO(
        client.get("/organisers/export/communes.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["insee"], r["people"]) for r in rows] == [("12202", "5")]
    geojson = json.loads(client.get("/organisers/export/communes.geojson").get_data(as_text=True))
    assert [f["properties"]["insee"] for f in geojson["features"]] == ["12202"]
    assert all(f["properties"]["people"] >= 3 for f in geojson["features"])
    app.config["ORGANISER_MIN_CELL"] = 6  # configurable: now Rodez is too small as well
    assert "12202" not in client.get("/organisers/export/communes.csv").get_data(as_text=True)
    declarations = client.get("/organisers/export/declarations.csv").get_data(as_text=True)
    assert "lea@example.org" in declarations and "secret@example.org" not in declarations
    page = client.get("/organisers/map?commune=12199").get_data(as_text=True)
    assert "12199" in page and ">2<" not in page


def test_clusters_api(client, make_user):
    for i in range(4):
        declare(make_user(f"r{i}@example.org").id, "12145")  # Millau
    login_as(client, make_user("o@example.org", role="organiser"))
    data = client.get("/api/v1/demand/clusters?k=2").get_json()
    assert data["sites"][0]["commune"] == "12145" and data["sites"][0]["people"] == 4
    assert data["total"] == 4 and data["uncovered"] == 0
    for query in ("k=abc", "k=-3", "k=999999999999999999999", "occupancy=nan", "co2=1e400"):
        assert client.get(f"/api/v1/demand/clusters?{query}").status_code == 200, query


def test_viability_by_hand():
    from app.organisers.viability import Plan, viability
    people = [
        Demand("A", formula="permanent", budget=260, days=4),  # pays 250
        Demand("A", formula="permanent", budget=240, days=4),  # 250 > 240: does not come
        Demand("A", formula="days_per_quarter", budget=40, days=1),  # 120 / 3 = 40
        Demand("A", formula="day_pass", budget=60, days=1),  # 12 × 1 × 52/12 = 52
        Demand("A", formula="meeting_room", budget=100, days=0.5),  # no price planned
    ]
    plan = Plan(rent=300, other_costs=100, free_first_month=True, occupancy=0.5,
                prices={"permanent": 250, "days_per_quarter": 120, "day_pass": 12})
    sheet = viability(people, plan)
    base, up10, up20, up30 = sheet.scenarios
    assert base.members == 3
    assert base.revenue == pytest.approx(250 + 40 + 52)
    assert base.first_year_revenue == pytest.approx((250 + 40 + 52) * 11 / 12)
    assert base.balance == pytest.approx(342 - 400)
    assert base.desks_needed == 3  # 6 desk-days / (5 × 0.5)
    assert sheet.average_paid == pytest.approx(114) and sheet.break_even_members == 4
    # +10 %: 275 > 260 and 44 > 40 leave; the day pass (57,2) stays within 60.
    assert up10.members == 1 and up10.revenue == pytest.approx(12 * 1.1 * 52 / 12)
    assert up20.members == 0 and up30.revenue == 0


def test_viability_page(client, make_user):
    for i in range(4):
        declare(make_user(f"r{i}@example.org").id, "12145")
    login_as(client, make_user("o@example.org", role="organiser"))
    html = client.get("/organisers/viability?site=12145&rent=1000&other_costs=0"
                      "&price_permanent=100&price_days_per_quarter=100&price_day_pass=10"
                      "&price_access_24h=100&price_meeting_room=10&occupancy=0,5"
                      "&free_first_month=y").get_data(as_text=True)
    assert "Millau" in html and "400" in html  # 4 × 100 € a month
    r = client.get("/organisers/viability?site=12145&rent=-5&other_costs=abc&price_permanent=1e9"
                   "&price_days_per_quarter=&price_day_pass=1&price_access_24h=1"
                   "&price_meeting_room=1&occupancy=7")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="rent-error"' in html and 'value="abc"' in html


def test_review_fixes_privacy_and_odd_queries(client, make_user):
    for i in range(4):
        declare(make_user(f"r{i}@example.org").id, "12202")  # Rodez: 4
    declare(make_user("lonely@example.org").id, "12176")  # Onet-le-Château, same EPCI: 1
    declare(None, "12145", consent=True, email="=HYPERLINK(\"http://evil\")")  # Millau: 1
    login_as(client, make_user("o@example.org", role="organiser"))
    gaps = client.get("/organisers/gaps?km=1").get_data(as_text=True)
    assert ">5<" not in gaps  # Rodez's EPCI: not 4 + 1, which would give the 1 away
    api = client.get("/api/v1/demand/clusters?k=3").get_json()
    small = [s for s in api["sites"] if s["commune"] == "12145"]
    assert small and small[0]["people"] is None and "budget_median_eur" not in small[0]
    narrow = client.get("/organisers/?epci=241200567").get_data(as_text=True)  # Millau's EPCI
    assert 'class="chart"' not in narrow and "1 déclaration active" in narrow
    wide = client.get("/organisers/?epci=241200187").get_data(as_text=True)  # Rodez's: 5
    assert 'class="chart"' in wide
    for url in ("/organisers/?endpoint=x", "/organisers/clusters?endpoint=x&_method=POST",
                "/organisers/?_external=1"):
        assert client.get(url).status_code == 200, url
    exported = client.get("/organisers/export/declarations.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in exported and ",=HYPERLINK" not in exported


def test_viability_prices_are_compared_in_cents():
    from app.organisers.viability import Plan, viability
    sheet = viability([Demand("A", formula="permanent", budget=110)],
                      Plan(prices={"permanent": 100}))
    assert sheet.scenarios[1].members == 1  # +10 %: 110 €, exactly the budget
