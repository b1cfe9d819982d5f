"""The territory: communes and their EPCI (intercommunalities), loaded from data/communes.json."""
from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db


class Epci(db.Model):
    __tablename__ = "epci"
    __shown_on_pages__ = True

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name}


class Commune(db.Model):
    __tablename__ = "commune"
    __shown_on_pages__ = True

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Accent-, case- and hyphen-folded name, for autocomplete ("saint geniez").
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    # Space-separated postcodes ("12000 12850"): few per commune, searched with LIKE.
    postcodes: Mapped[str] = mapped_column(String(200), default="")
    population: Mapped[int] = mapped_column(Integer, default=0)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    epci_code: Mapped[str | None] = mapped_column(ForeignKey("epci.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Simplified outline: list of polygons, each a list of rings of [lon, lat].
    outline: Mapped[list] = mapped_column(JSON, default=list, deferred=True)

    epci: Mapped[Epci | None] = relationship(lazy="joined")

    @property
    def postcode_list(self) -> list[str]:
        return self.postcodes.split()

    @property
    def label(self) -> str:
        """What a person sees and may type back: "Rignac (12390)"."""
        first = self.postcode_list[0] if self.postcodes else self.departement
        return f"{self.name} ({first})"

    def to_dict(self) -> dict:
        return {
            "code": self.insee,
            "name": self.name,
            "postcodes": self.postcode_list,
            "population": self.population,
            "departement": self.departement,
            "epci": self.epci.to_dict() if self.epci else None,
            "lat": self.lat,
            "lon": self.lon,
        }
