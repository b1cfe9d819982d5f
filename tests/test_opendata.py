"""Open data: public, no login; places as CSV and GeoJSON; demand per commune never shows a
commune under the privacy threshold, and holds no name or contact."""
import csv
import io
import json

from models import Commune, Place, PricingPlan, db
from tests.helpers.demand import declare


def test_open_data_is_public_and_keeps_small_cells_out(app, client, make_user):
    place = Place(name="La Fabrique", commune=db.session.get(Commune, "12202"), status="open",
                  capacity_desks=12, free_first_month=True)
    place.plans.append(PricingPlan(name="Jour", price_cents=1200, period="day"))
    place.plans.append(PricingPlan(name="Mois", price_cents=14000, period="month"))
    db.session.add(place)
    db.session.commit()
    for _ in range(3):  # Rodez: 3 declarations, at the threshold
        declare(make_user().id, "12202", consent=True, email="secret@example.org")
    declare(make_user().id, "12145")  # alone in its commune: must not appear
    assert client.get("/open-data/").status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/places.csv").get_data(
        as_text=True).lstrip("\ufeff"))))
    assert rows == [{"id": str(place.id), "name": "La Fabrique", "status": "open",
                     "insee": "12202", "commune": "Rodez", "desks": "12",
                     "free_first_month": "True", "lowest_price_eur": "12.0", "equipment": "",
                     "kind": "", "source": "", "source_id": "", "confirmed": "",
                     "attribution": ""}]
    points = json.loads(client.get("/open-data/places.geojson").data)
    assert points["features"][0]["geometry"]["type"] == "Point"
    demand = client.get("/open-data/demand-communes.csv").get_data(as_text=True)
    assert "12202" in demand and "12145" not in demand and "secret@" not in demand
    shapes = json.loads(client.get("/open-data/demand-communes.geojson").data)
    assert [f["properties"]["insee"] for f in shapes["features"]] == ["12202"]
    assert shapes["features"][0]["properties"]["people"] == 3
