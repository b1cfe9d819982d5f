"""Periodic jobs once across processes and machines (issue 26, app/jobs.py): each job has a
lease row; two real `flask mail send --loop` processes on one database run each job once, and
a process killed mid-job (its digests half built) leaves the rest to the other once its lease
has expired, with no digest doubled nor lost."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.jobs import JOBS, mark_done, take
from models import DigestRun, JobLease, OutboxMessage, db
from models.types import utcnow
from tests.helpers import databases
from tests.helpers.smtp import wait_for

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 60
BATCH = 10


def test_a_job_is_taken_by_one_owner_until_done_or_its_lease_expires(app):
    now = utcnow()
    assert take(db.session, "chat_unread", "a", 60, now)
    assert not take(db.session, "chat_unread", "b", 60, now)  # a's lease runs
    assert not take(db.session, "chat_unread", "a", 60, now)  # nor twice by a
    # a dies: once its lease has expired, b takes the job (still due: never marked done).
    later = now + timedelta(seconds=61)
    assert take(db.session, "chat_unread", "b", 60, later)
    assert not mark_done(db.session, "chat_unread", "a", 300, later)  # a lost it
    assert mark_done(db.session, "chat_unread", "b", 300, later)
    db.session.commit()
    lease = db.session.get(JobLease, "chat_unread")
    assert (lease.owner, lease.runs, lease.next_due_at) == ("", 1, later + timedelta(seconds=300))
    assert not take(db.session, "chat_unread", "c", 60, later + timedelta(seconds=299))
    assert take(db.session, "chat_unread", "c", 60, later + timedelta(seconds=300))


@pytest.fixture
def members(app, make_user):
    """MEMBERS verified members in one commune: each one's weekly digest (new posts in my
    networks, weekly by default) tells of the others, newcomers near them."""
    for n in range(MEMBERS):
        user = make_user(f"m{n}@example.org", display_name=f"Membre {n}", commit=False)
        user.email_verified_at = utcnow() - timedelta(days=30)
    db.session.commit()
    db.session.remove()


def loop_process(db_path, tmp_path, name: str, **settings) -> subprocess.Popen:
    env = {**os.environ, "MAILLAGE_DATABASE_URL": databases.database_url(db_path),
           "MAILLAGE_SECRET_KEY": "jobs-tests",
           "MAILLAGE_SEARCH_INDEX_DIR": str(tmp_path / f"search-{name}"),
           "MAILLAGE_MAIL_DIR": str(tmp_path / "mail"), "MAILLAGE_MAIL_POLL_SECONDS": "0.05",
           "MAILLAGE_MAIL_SENDER_LEASE_SECONDS": "2", "MAILLAGE_DIGEST_BATCH": str(BATCH),
           **{f"MAILLAGE_{k}": str(v) for k, v in settings.items()}}
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi.py",
                             "mail", "send", "--loop"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def lease(name: str) -> JobLease | None:
    db.session.rollback()
    return db.session.get(JobLease, name, populate_existing=True)


def count(model, **where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def digests_by_address() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(select(OutboxMessage.to_address, func.count())
                              .where(OutboxMessage.kind == "digest_weekly")
                              .group_by(OutboxMessage.to_address))
    return dict(rows.all())


EVERY_HOUR = {"CHAT_UNREAD_MAIL_EVERY": 3600, "EVENT_REMINDER_EVERY": 3600,
              "SAVED_SEARCH_ALERT_EVERY": 3600, "CENSUS_CLOSE_EVERY": 3600, "DIGEST_DAILY_EVERY": 3600,
              "DIGEST_WEEKLY_EVERY": 3600, "JOB_LEASE_SECONDS": 120}


def test_two_processes_run_each_job_once(app, members, db_path, tmp_path):
    first = loop_process(db_path, tmp_path, "first", **EVERY_HOUR)
    second = loop_process(db_path, tmp_path, "second", **EVERY_HOUR)
    try:
        wait_for(lambda: all((lease(job.name) or JobLease(runs=0)).runs >= 1 for job in JOBS),
                 120, "every job to run")
        assert first.poll() is None and second.poll() is None  # both were there throughout
    finally:
        stop(first)
        stop(second)
    assert {job.name: lease(job.name).runs for job in JOBS} == {job.name: 1 for job in JOBS}
    assert count(DigestRun) == MEMBERS
    assert digests_by_address() == {f"m{n}@example.org": 1 for n in range(MEMBERS)}


def hold_writes(db_path: Path):
    """Stop every other writer: a write transaction on SQLite, a table lock on PostgreSQL.
    Returns what ends it."""
    if databases.ON_POSTGRES:
        connection = db.engine.connect()
        connection.execute(text("LOCK TABLE digest_run IN EXCLUSIVE MODE"))
        return lambda: (connection.rollback(), connection.close())
    connection = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")  # waits for the loop's batch to commit, if mid-batch
    return lambda: (connection.execute("ROLLBACK"), connection.close())


def test_a_process_killed_mid_job_leaves_the_rest_to_another(app, members, db_path, tmp_path):
    weekly = {"DIGEST_WEEKLY_EVERY": 3600, "JOB_LEASE_SECONDS": 3}
    first = loop_process(db_path, tmp_path, "first", **weekly)
    try:
        # Its first batch of digests is committed, then it is stopped before the next one.
        wait_for(lambda: count(DigestRun) >= BATCH, 120, "the first batch of digests")
        release = hold_writes(db_path)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    release()
    half = count(DigestRun)
    assert BATCH <= half < MEMBERS  # killed mid-job, for real
    killed = lease("digest_weekly")
    assert killed.owner != "" and killed.runs == 0 and killed.last_done_at is None
    assert sum(digests_by_address().values()) == half  # a digest_run per mail, no more

    second = loop_process(db_path, tmp_path, "second", **weekly)
    try:
        wait_for(lambda: lease("digest_weekly").runs == 1, 120,
                 "the second process to take the job once the lease expired")
    finally:
        stop(second)
    done = lease("digest_weekly")
    assert done.owner == "" and done.last_done_at is not None
    assert count(DigestRun) == MEMBERS
    assert digests_by_address() == {f"m{n}@example.org": 1 for n in range(MEMBERS)}
