"""Establishments of the territory from INSEE's SIRENE register: potential users of tiers-lieux.

A non-diffusible establishment (statutDiffusion "P") is counted, never shown: its name is not
even stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.types import UTCDateTime, utcnow


class SireneEstablishment(db.Model):
    __tablename__ = "sirene_establishment"
    __table_args__ = (Index("ix_sirene_commune_active", "commune_insee", "active"),)

    siret: Mapped[str] = mapped_column(String(14), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(String(5))
    naf_code: Mapped[str] = mapped_column(String(6), default="", index=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # "" when non-diffusible
    # The postal address SIRENE publishes ("12 RUE DE LA GARE 12800 NAUCELLE"): letters to
    # census targets (app/census/letters.py); "" when non-diffusible.
    address: Mapped[str] = mapped_column(String(250), default="")
    diffusible: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    employer: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SireneImport(db.Model):
    """One import run, for the progress shown on the page and the report afterwards."""

    __tablename__ = "sirene_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="running")  # running, done, failed
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # the national file: GBs
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    outside: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    non_diffusible: Mapped[int] = mapped_column(Integer, default=0)
    malformed: Mapped[int] = mapped_column(Integer, default=0)
    malformed_lines: Mapped[str] = mapped_column(Text, default="")  # the first few line numbers
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last batch committed
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
