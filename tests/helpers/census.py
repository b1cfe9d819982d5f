"""The census's test data: a campaign, synthetic SIRENE establishments written straight into the
table (Core executemany: 200,000 rows in about a second), and the project's copy of the SIRENE
sample."""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from models import Campaign, CensusEpci, Commune, SireneEstablishment, db
from models.types import utcnow

SIRENE_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-stocketablissement.csv"
NAF_CODES = ("62.01Z", "62.02A", "47.11F", "01.11Z", "90.01Z", "70.22Z", "43.32A", "56.10A",
             "84.11Z", "74.10Z")


def make_campaign(title: str = "Recensement 2027", *, epci_codes=(), days: int = 60,
                  tracks=("company", "independent")) -> Campaign:
    campaign = Campaign(title=title, description="Dites-nous.", epci_codes=list(epci_codes),
                        starts_on=date.today() - timedelta(days=1),
                        ends_on=date.today() + timedelta(days=days), tracks=list(tracks))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def communes() -> dict[str, tuple[str, int]]:
    """INSEE code -> (EPCI code, population), read from the gazetteer's table."""
    return {insee: (epci or "", population or 0) for insee, epci, population in
            db.session.execute(select(Commune.insee, Commune.epci_code, Commune.population))}


def synthetic_rows(count: int, seed: int = 7, *, start: int = 0) -> list[dict]:
    """`count` establishments spread over every commune: about 10% non-diffusible, 10% closed,
    activities from NAF_CODES. SIRETs are distinct 14-digit strings (not Luhn-checked: they go
    straight into the table)."""
    rng = random.Random(seed)
    codes = sorted(communes())
    now = utcnow()
    rows = []
    for i in range(start, start + count):
        diffusible = rng.random() >= 0.1
        rows.append({"siret": f"9{i:013d}", "commune_insee": rng.choice(codes),
                     "naf_code": rng.choice(NAF_CODES),
                     "name": f"Établissement {i}" if diffusible else "",
                     "address": f"{i % 90 + 1} RUE DU TEST" if diffusible else "",
                     "diffusible": diffusible, "active": rng.random() >= 0.1,
                     "employer": False, "updated_at": now})
    return rows


COLUMNS = ("siret", "commune_insee", "naf_code", "name", "address", "diffusible", "active",
           "employer", "updated_at")


def insert_establishments(rows: list[dict]) -> None:
    """Straight into the table through the driver's executemany (SQLAlchemy would run each
    row's values through their column types, most of the time of 200,000 rows); the time,
    the same for every row, is converted once."""
    connection = db.session.connection()
    dialect = connection.dialect
    table = SireneEstablishment.__table__
    convert = table.c.updated_at.type._cached_bind_processor(dialect) or (lambda v: v)
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(COLUMNS))
    sql = f"INSERT INTO sirene_establishment ({', '.join(COLUMNS)}) VALUES ({marks})"
    stamp = convert(rows[0]["updated_at"]) if rows else None
    connection.exec_driver_sql(sql, [
        (r["siret"], r["commune_insee"], r["naf_code"], r["name"], r["address"],
         r["diffusible"], r["active"], r["employer"], stamp) for r in rows])
    db.session.commit()


RODEZ, MILLAU = "12202", "12145"


def epci_of(insee: str) -> str:
    """The EPCI of a commune of the gazetteer."""
    return db.session.get(Commune, insee).epci_code


def surveyed_campaign(make_user, *, establishments: int, seed: int, days: int = 60,
                      others: dict[str, tuple[str, str]] | None = None) -> dict:
    """The census tests' world before its draw: an organiser, a referent of Rodez's EPCI,
    `others` (name -> (address, display name)) and a plain member; `establishments` synthetic
    SIRENE rows; a campaign over Rodez's and Millau's EPCIs, the referent named for Rodez's
    (not committed). A dict of the campaign, both EPCI codes and the people by name."""
    people = {
        "organiser": make_user("orga@example.org", role="organiser", display_name="Oriane"),
        "referent": make_user("ref@example.org", display_name="Rémi"),
        **{name: make_user(email, display_name=shown)
           for name, (email, shown) in (others or {}).items()},
        "member": make_user("member@example.org", display_name="Mona"),
    }
    insert_establishments(synthetic_rows(establishments, seed=seed))
    rodez, millau = epci_of(RODEZ), epci_of(MILLAU)
    campaign = make_campaign(epci_codes=(rodez, millau), days=days)
    db.session.add(CensusEpci(campaign_id=campaign.id, epci_code=rodez,
                              referent_id=people["referent"].id))
    return {"campaign": campaign, "rodez": rodez, "millau": millau, **people}
