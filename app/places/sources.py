"""The lists places are imported from, with the attribution their licence asks for: shown on
the places pages and in the open data wherever an imported place appears. `Place.source` holds
a key of SOURCES."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Place


@dataclass(frozen=True)
class Source:
    key: str  # stored in place.source, and what a place's page says: "CGET 2019, à confirmer"
    attribution: str  # the licence's required mention, verbatim (never translated)
    licence: str
    licence_url: str
    url: str  # where the list is published


CGET_2019 = Source(
    key="CGET 2019",
    attribution="Source : CGET / ANCT, Mission Coworking, base des tiers-lieux 2019",
    licence="Licence Ouverte 2.0",
    licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    url="https://github.com/anct-carto/mission_coworking",
)
SOURCES = {CGET_2019.key: CGET_2019}
# The project's own copy (data/README.md), which `flask demo` imports.
SHIPPED_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "cget-tiers-lieux-2019.csv"


def sources_in_use(session: Session) -> list[Source]:
    """The lists some place of the directory comes from: their attributions are due."""
    keys = session.scalars(select(Place.source).where(Place.source.is_not(None)).distinct())
    return [SOURCES[key] for key in sorted(keys) if key in SOURCES]
