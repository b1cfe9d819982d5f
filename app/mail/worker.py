"""The sender as a loop: inside the server process (the embedded default: a greenlet under
gunicorn's gevent worker, a thread under `python wsgi.py`) or as `flask mail send --loop`.

Only one loop sends at a time across processes: each holds the `mail_sender_lease` row
(MAIL_SENDER_LEASE_SECONDS, renewed at every turn) or waits for it to expire. The lease only
saves work: two loops at once would still never send a row twice (rows are claimed one by one,
app/mail/sender.py).

Every loop, holding the sender's lease or not, also runs the periodic jobs that are due
(app/jobs.py, each with its own lease row: once across all processes and machines): every
CHAT_UNREAD_MAIL_EVERY seconds the mails of chat conversations left unread, every
EVENT_REMINDER_EVERY the day-before reminders of events, every SAVED_SEARCH_ALERT_EVERY the
saved searches' alerts, every CENSUS_CLOSE_EVERY the closing of census campaigns past their
deadline, every DIGEST_DAILY_EVERY / DIGEST_WEEKLY_EVERY the digests (off by
default: deploy/'s timers run them); 0 turns one off here, for a deployment that runs `flask
mail chat-unread`, `flask events remind`, `flask search alerts` or `flask mail digest` from a
timer instead. The mails they queue leave at the sender's next turn."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.jobs import run_due
from app.mail.sender import PassReport, has_due, new_owner, send_pending
from models import MailSenderLease, db
from models.types import utcnow

log = logging.getLogger(__name__)
LEASE_NAME = "sender"


def hold_lease(session: Session, owner: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the sender's lease; False while another live sender holds it."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    taken = session.execute(
        update(MailSenderLease)
        .where(MailSenderLease.name == LEASE_NAME,
               or_(MailSenderLease.owner == owner, MailSenderLease.until < now))
        .values(owner=owner, until=until)
        .execution_options(synchronize_session=False)).rowcount
    if taken == 0 and session.scalar(select(MailSenderLease.name).where(
            MailSenderLease.name == LEASE_NAME)) is None:
        session.add(MailSenderLease(name=LEASE_NAME, owner=owner, until=until))
        try:
            session.commit()
        except IntegrityError:  # another process made it first
            session.rollback()
            return False
        return True
    session.commit()
    return taken == 1


def release_lease(session: Session, owner: str) -> None:
    """On a clean stop: the next sender need not wait for the lease to expire."""
    session.execute(update(MailSenderLease).where(MailSenderLease.name == LEASE_NAME,
                                                  MailSenderLease.owner == owner)
                    .values(until=utcnow() - timedelta(seconds=1))
                    .execution_options(synchronize_session=False))
    session.commit()




class SenderLoop:
    def __init__(self, app: Flask, *, sleep=time.sleep, owner: str | None = None):
        self.app = app
        self.sleep = sleep
        self.owner = owner or new_owner()
        self.stop = threading.Event()
        self.holding = False
        self.task = None  # the thread or greenlet running it, when started in a server

    def turn(self) -> PassReport | None:
        """Once: hold the lease, then send what is due. None while another sender holds it."""
        config = self.app.config
        with self.app.app_context():
            try:
                self.periodic()  # before sending: the mails the jobs queue leave in this turn
                self.holding = hold_lease(db.session, self.owner,
                                          float(config["MAIL_SENDER_LEASE_SECONDS"]))
                if not self.holding:
                    return None
                if not has_due(db.session):
                    return PassReport()
                return send_pending(db.session, owner=self.owner)
            except SQLAlchemyError:  # the database restarting, busy, not migrated yet: later
                log.exception("mail sender: database error, trying again later")
                db.session.rollback()
                return None
            finally:
                db.session.remove()

    def periodic(self) -> list[str]:
        """The periodic jobs that are due and that no other process runs (app/jobs.py)."""
        return run_due(self.app, db.session, self.owner)

    def run(self, on_pass=None) -> None:
        poll = float(self.app.config["MAIL_POLL_SECONDS"])
        while not self.stop.is_set():
            try:
                report = self.turn()
                if report and on_pass:
                    on_pass(report)
            except Exception:  # noqa: BLE001 - the loop outlives any one message
                log.exception("mail sender: unexpected error")
            if not self.stop.is_set():
                self.sleep(poll)
        if self.holding:
            with self.app.app_context():
                try:
                    release_lease(db.session, self.owner)
                finally:
                    db.session.remove()


def enabled_in_server(app: Flask) -> bool:
    flag = app.config.get("MAIL_SENDER_THREAD")
    return (not app.testing) if flag is None else bool(flag)


def start_in_server(app: Flask) -> SenderLoop | None:
    """Start the background sender of this server process (gunicorn.conf.py's
    post_worker_init, `python wsgi.py`), unless MAIL_SENDER_THREAD turns it off."""
    if not enabled_in_server(app):
        return None
    if "maillage.mail_sender" in app.extensions:
        return app.extensions["maillage.mail_sender"]
    from realtime import socketio
    loop = app.extensions["maillage.mail_sender"] = SenderLoop(app, sleep=socketio.sleep)
    loop.task = socketio.start_background_task(loop.run)
    return loop
