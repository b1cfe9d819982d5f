"""SIRENE import: counts, idempotence, calm with real files' oddities, bounded memory, and
non-diffusible establishments never shown."""
from __future__ import annotations

import io
import json
import time
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.organisers.sirene import import_stock
from bench.sirene import write_synthetic
from models import Commune, SireneEstablishment, SireneImport, db
from tests.helpers.apps import csrf_from, login_as

ROOT = Path(__file__).resolve().parent.parent
COMMUNES = [c["insee"] for c in json.loads((ROOT / "data" / "communes.json").read_text(
    "utf-8"))["communes"]]


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "StockEtablissement.csv"
    return path, write_synthetic(path, 3000, COMMUNES)


def test_import_counts_and_second_import_changes_nothing(runner, extract):
    path, expected = extract
    result = runner.invoke(args=["sirene", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{expected['kept']} kept ({expected['kept']} new, 0 updated" in result.output
    assert f"{expected['malformed']} malformed (lines 502, 1499, 2496)" in result.output
    assert db.session.scalar(select(func.count()).select_from(SireneEstablishment)) == \
        expected["kept"]
    hidden = db.session.scalars(select(SireneEstablishment).where(
        SireneEstablishment.diffusible.is_(False))).all()
    assert len(hidden) == expected["non_diffusible"] and {e.name for e in hidden} == {""}
    assert 'Atelier "7", bois, pierre' in db.session.scalars(
        select(SireneEstablishment.name)).all()  # quotes and commas inside a name
    before = db.session.execute(select(SireneEstablishment.siret, SireneEstablishment.updated_at)
                                .order_by(SireneEstablishment.siret)).all()
    result = runner.invoke(args=["sirene", "import", str(path)])
    assert f"0 new, 0 updated, {expected['kept']} unchanged" in result.output
    assert db.session.execute(select(SireneEstablishment.siret, SireneEstablishment.updated_at)
                              .order_by(SireneEstablishment.siret)).all() == before


def test_not_an_extract_is_a_clear_error(runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = runner.invoke(args=["sirene", "import", str(path)])
    assert result.exit_code != 0 and "missing columns: siret" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty file" in runner.invoke(args=["sirene", "import", str(empty)]).output


def test_memory_stays_bounded(app, tmp_path):
    path = tmp_path / "big.csv"
    write_synthetic(path, 20_000, COMMUNES)
    communes = set(db.session.scalars(select(Commune.insee)))
    tracemalloc.start()
    with open(path, "rb") as binary:
        report = import_stock(db.session, binary, communes)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.rows == 20_000
    # Holding the rows of this 2.8 MB file as Python objects would take several times more.
    assert peak < 25 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_upload_page_with_progress(app, client, make_user, extract):
    path, expected = extract
    login_as(client, make_user("o@example.org", role="organiser"))
    page = client.get("/organisers/sirene").get_data(as_text=True)
    r = client.post("/organisers/sirene", data={
        "file": (io.BytesIO(path.read_bytes()), "stock.csv"), "csrf_token": csrf_from(page)},
        content_type="multipart/form-data")
    assert r.status_code == 302
    for _ in range(100):  # the import runs in a background thread
        db.session.expire_all()
        record = db.session.scalar(select(SireneImport))
        if record.status != "running":
            break
        time.sleep(0.1)
    assert record.status == "done" and record.kept == expected["kept"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert str(expected["malformed"]) in html
    prospects = client.get("/organisers/prospects").get_data(as_text=True)
    assert "Secret SARL" not in prospects
    member = app.test_client()
    login_as(member, make_user("m@example.org"))
    assert member.post("/organisers/sirene", data={"file": (io.BytesIO(b"x"), "x.csv")},
                       content_type="multipart/form-data").status_code == 403


def _row(header: list[str], **values) -> list[str]:
    row = [""] * len(header)
    for name, value in values.items():
        row[header.index(name)] = value
    return row


def test_real_file_oddities(app, tmp_path):
    """A quote left open spoils one line only; an establishment closed then reopened in the
    same file stays active; one that moved out of the territory is no longer a prospect;
    NUL bytes and very long lines are malformed rows, not a failure."""
    import csv as csvlib

    from bench.sirene import luhn_complete, real_header
    header = real_header()
    a, b, c = (luhn_complete(f"80000000{i}0001") for i in range(3))
    base = {"statutDiffusionEtablissement": "O", "activitePrincipaleEtablissement": "62.01Z",
            "denominationUsuelleEtablissement": "Studio"}
    out = io.StringIO()
    writer = csvlib.writer(out)
    writer.writerow(header)
    writer.writerow(_row(header, siret=a, codeCommuneEtablissement="12202",
                         etatAdministratifEtablissement="F", **base))
    writer.writerow(_row(header, siret=a, codeCommuneEtablissement="12202",
                         etatAdministratifEtablissement="A", **base))
    out.write('"' + a + ',"open quote\r\n')  # never closed
    writer.writerow(_row(header, siret=b, codeCommuneEtablissement="12145",
                         etatAdministratifEtablissement="A", **base))
    out.write("x" * 100_000 + "\r\n")
    writer.writerow(_row(header, siret=c, codeCommuneEtablissement="48095",
                         etatAdministratifEtablissement="A",
                         **{**base, "denominationUsuelleEtablissement": "Nul\x00Byte"}))
    communes = set(db.session.scalars(select(Commune.insee)))
    report = import_stock(db.session, io.BytesIO(out.getvalue().encode()), communes)
    assert (report.kept, report.malformed) == (3, 2)
    rows = {e.siret: e for e in db.session.scalars(select(SireneEstablishment))}
    assert rows[a].active and rows[b].active and rows[c].name == "NulByte"
    # Next month, b moved to Toulouse: no longer a potential user of the territory.
    out2 = io.StringIO()
    writer = csvlib.writer(out2)
    writer.writerow(header)
    writer.writerow(_row(header, siret=b, codeCommuneEtablissement="31555",
                         etatAdministratifEtablissement="A", **base))
    import_stock(db.session, io.BytesIO(out2.getvalue().encode()), communes)
    assert db.session.get(SireneEstablishment, b).active is False
