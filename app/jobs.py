"""Periodic jobs that run once across all processes and machines (issue 26).

Each job of JOBS has a row of `job_lease` (models/shared.py): who runs it until when (`until`,
JOB_LEASE_SECONDS after it was taken) and when it is next due (`next_due_at`). Every process
whose mail loop turns (app/mail/worker.py) calls `run_due`; for each job it

1. takes the job with one conditional UPDATE: due (`next_due_at <= now`) and nobody's lease
   running (`until < now`), committed at once, so of two processes (or machines) asking at the
   same time one gets the row and the other 0 rows;
2. runs it in its session, then marks it done (next due `every` seconds later, lease ended)
   in that same transaction: the work and "done" commit together. A job that commits as it goes
   (the digests, per batch) is written to be run again safely (a `digest_run` row per member
   and period, a mailed-up-to mark per conversation...), so a second run does only the rest;
3. if the process dies in between (killed, the machine gone), nothing marks the job done: once
   its lease expires another process takes it and finishes the work.

Why leases in the database and not a job system on Redis (RQ): no new service to run and
watch, the same on SQLite (one machine, the embedded default) as on PostgreSQL, and the lease
is written in the same database, so "done" is committed with the work it stands for; a job
queue beside the database would need its own exactly-once bookkeeping for that.

A period of 0 turns a job off here (a deployment that runs the matching `flask` command from a
timer instead, as deploy/ does for the digests)."""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from models import JobLease
from models.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_key: str  # the config key of its period in seconds (0: off here)
    target: str  # "module:function", called with a session


JOBS = (
    Job("chat_unread", "CHAT_UNREAD_MAIL_EVERY", "app.mailprefs.chat_unread:mail_unread_chats"),
    Job("event_reminders", "EVENT_REMINDER_EVERY", "app.events.reminders:remind_due"),
    Job("saved_search_alerts", "SAVED_SEARCH_ALERT_EVERY", "app.savedsearch.alerts:send_alerts"),
    Job("census_close", "CENSUS_CLOSE_EVERY", "app.census.progress:close_due"),
    Job("digest_daily", "DIGEST_DAILY_EVERY", "app.jobs:daily_digests"),
    Job("digest_weekly", "DIGEST_WEEKLY_EVERY", "app.jobs:weekly_digests"),
)


def _digests(session: Session, period: str):
    from app.mailprefs.digest import BATCH, build_digests
    from models import MailMode
    return build_digests(session, MailMode(period), utcnow(),
                         batch=int(current_app.config.get("DIGEST_BATCH") or BATCH))


def daily_digests(session: Session):
    return _digests(session, "daily")


def weekly_digests(session: Session):
    return _digests(session, "weekly")


def take(session: Session, name: str, owner: str, lease_seconds: float,
         now: datetime | None = None) -> bool:
    """Take the job if it is due and nobody's lease runs; committed. False otherwise. A read
    first: a job not due costs no write (SQLite's single writer is not taken every turn)."""
    now = now or utcnow()
    row = session.execute(select(JobLease.next_due_at, JobLease.until)
                          .where(JobLease.name == name)).first()
    if row is None:
        session.add(JobLease(name=name, owner="", until=now - timedelta(seconds=1),
                             next_due_at=now, runs=0))
        try:
            session.commit()
        except IntegrityError:  # another process made it first
            session.rollback()
    elif row.next_due_at > now or row.until >= now:
        session.rollback()
        return False
    taken = session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.next_due_at <= now, JobLease.until < now)
        .values(owner=owner, until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return taken == 1


def mark_done(session: Session, name: str, owner: str, every: float,
              now: datetime | None = None) -> bool:
    """In the job's transaction (the caller commits): next due in `every` seconds, lease ended.
    False if the lease was lost meanwhile (it expired and another took the job)."""
    now = now or utcnow()
    return session.execute(
        update(JobLease).where(JobLease.name == name, JobLease.owner == owner)
        .values(owner="", until=now, next_due_at=now + timedelta(seconds=every),
                last_done_at=now, runs=JobLease.runs + 1)
        .execution_options(synchronize_session=False)).rowcount == 1


def make_due(session: Session, name: str) -> None:
    """Due now (tests, and an operator who wants a job run at the next turn); committed."""
    now = utcnow()
    if session.get(JobLease, name) is None:
        session.add(JobLease(name=name, owner="", until=now - timedelta(seconds=1),
                             next_due_at=now, runs=0))
    else:
        session.execute(update(JobLease).where(JobLease.name == name)
                        .values(next_due_at=now - timedelta(seconds=1))
                        .execution_options(synchronize_session=False))
    session.commit()


def run_due(app: Flask, session: Session, owner: str) -> list[str]:
    """Run every due job this process could take; the names of those it ran. A job's database
    errors are logged and leave it to be taken again when its lease expires."""
    ran = []
    lease = float(app.config.get("JOB_LEASE_SECONDS") or 600)
    for job in JOBS:
        every = float(app.config.get(job.every_key) or 0)
        if every <= 0:
            continue
        try:
            if not take(session, job.name, owner, lease):
                continue
            module, function = job.target.split(":")
            getattr(importlib.import_module(module), function)(session)
            if mark_done(session, job.name, owner, every):
                ran.append(job.name)
            else:
                log.warning("job %s: its lease expired while it ran (JOB_LEASE_SECONDS)",
                            job.name)
            session.commit()
        except SQLAlchemyError:
            log.exception("job %s not done, taken again when its lease expires", job.name)
            session.rollback()
    return ran


def leases(session: Session) -> list[JobLease]:
    return list(session.scalars(select(JobLease).order_by(JobLease.name)))
