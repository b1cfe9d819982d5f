"""What several processes or machines share through the database (issue 26).

`StoredFile`: an uploaded file's bytes when MAILLAGE_UPLOADS_BACKEND=database (app/images/
storage.py), under the name it would have below UPLOADS_DIR ("images/ab/<key>_256.webp"), so
that every machine serves every picture without a shared disk. `JobLease`: one row per periodic
job (app/jobs.py): who runs it until when, and when it is next due, so a job runs once across
all processes and one left half done by a killed process is taken up when its lease expires."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.types import UTCDateTime, utcnow


class StoredFile(db.Model):
    __tablename__ = "stored_file"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    # bytea on PostgreSQL, BLOB on SQLite; never larger than IMAGE_MAX_BYTES (storage.py).
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobLease(db.Model):
    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), default="")  # "" when nobody runs it
    until: Mapped[datetime] = mapped_column(UTCDateTime)  # the lease: another may take it after
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # set when a run is committed
    last_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)  # runs marked done, ever
