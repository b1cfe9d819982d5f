"""Sending the outbox: nothing lost, nothing sent twice by two senders.

A pass claims due rows in batches with one UPDATE (queued and due, or `sending` under a lease
that expired because its sender died), each claim a lease of MAIL_LEASE_SECONDS in the row
(`lease_owner`, `lease_until`); on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, on
SQLite the single UPDATE is the lock. Before each message its lease is checked and renewed
(a sender that lost it skips the message); right after the server accepted it the row is
marked sent in its own commit. The one window left is a crash between the server's "250" and
that commit: the row is then sent again with the same Message-ID (at least once, never lost).

Failures: a connection that cannot be made or is lost, or a 4xx answer, puts the message back
with an exponential backoff (MAIL_RETRY_BASE_SECONDS doubling up to MAIL_RETRY_MAX_SECONDS);
after MAIL_GIVE_UP_SECONDS it is marked failed with the last error kept; a 5xx refusal marks
it failed at once. Without MAIL_SERVER each message is written as an .eml file in MAIL_DIR.

Everything here is the standard library (`email`, `smtplib`, `ssl`): no dependency to keep up,
maintained with Python, STARTTLS and SMTP over TLS built in."""
from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.mail.compose import email_message, sender_address
from models import MailStatus, OutboxMessage
from models.types import utcnow

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """A 4xx answer for this message: try it again later."""


class PermanentFailure(Exception):
    """A 5xx refusal of this message: it will never go."""


class TransportDown(Exception):
    """No usable connection (refused, lost, TLS or login failed): every message waits."""


def _answer(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()[:1000]


def _classify(code: int, text) -> Exception:
    return (PermanentFailure if 500 <= code < 600 else TemporaryFailure)(_answer(code, text))


class SmtpTransport:
    """One connection per pass, opened at the first message (MAIL_SECURITY: none, starttls or
    tls). Certificates are checked with the system's authorities."""

    def __init__(self, config):
        self.host, self.port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        self.security = (config.get("MAIL_SECURITY") or "none").lower()
        self.username, self.password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD")
        self.timeout = float(config.get("MAIL_TIMEOUT") or 30)
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError) as error:
            raise TransportDown(f"{self.host}:{self.port}: {error!r}"[:1000]) from error
        return smtp

    def send(self, row: OutboxMessage, message: EmailMessage, envelope_from: str) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        try:
            self.smtp.send_message(message, from_addr=envelope_from, to_addrs=[row.to_address])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()), (451, b"refused"))
            raise _classify(code, text) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise _classify(error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPNotSupportedError as error:  # e.g. a non-ASCII address, no SMTPUTF8
            raise PermanentFailure(f"{error!r}"[:1000]) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _classify(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            self.smtp = None  # lost: the next pass opens another
            raise TransportDown(f"{self.host}:{self.port}: {error!r}"[:1000]) from error

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None


class FileTransport:
    """No SMTP server: each message becomes `<MAIL_DIR>/<created>-<id>.eml` (named by its row,
    so a second write after a crash replaces the first)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, row: OutboxMessage, message: EmailMessage, envelope_from: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}.eml"
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(bytes(message))
            os.replace(partial, path)
        except OSError as error:
            raise TransportDown(f"{self.directory}: {error!r}"[:1000]) from error

    def close(self) -> None:
        pass


def mail_dir(app=None) -> Path:
    app = app or current_app
    return Path(app.config.get("MAIL_DIR") or Path(app.instance_path) / "mail")


def transport_for(config) -> SmtpTransport | FileTransport:
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config)
    return FileTransport(mail_dir())


def new_owner() -> str:
    """Who holds a lease: this machine, this process, this sender."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class PassReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0  # claimed, then taken by another sender (its lease had expired)

    def __bool__(self) -> bool:
        return bool(self.sent or self.deferred or self.failed or self.skipped)


def _due(now: datetime):
    return or_(and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.lease_until < now))


def has_due(session: Session, now: datetime | None = None) -> bool:
    found = session.scalar(select(OutboxMessage.id).where(_due(now or utcnow())).limit(1))
    session.rollback()
    return found is not None


def claim(session: Session, owner: str, now: datetime, limit: int,
          lease_seconds: float) -> list[int]:
    """Take up to `limit` due rows for `owner` (committed); their ids, oldest first."""
    picked = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    ids = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked.scalar_subquery()), _due(now))
        .values(status=MailStatus.SENDING, lease_owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)).all()
    session.commit()
    return sorted(ids)


def _mine(row_id: int, owner: str):
    return and_(OutboxMessage.id == row_id, OutboxMessage.lease_owner == owner,
                OutboxMessage.status == MailStatus.SENDING)


def _write(session: Session, row_id: int, owner: str, **values) -> bool:
    done = session.execute(update(OutboxMessage).where(_mine(row_id, owner)).values(**values)
                           .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return done == 1


def retry_delay(config, attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones (1, 2, ...)."""
    base = float(config["MAIL_RETRY_BASE_SECONDS"])
    return min(base * 2 ** max(attempts - 1, 0), float(config["MAIL_RETRY_MAX_SECONDS"]))


def _defer(session: Session, row: OutboxMessage, owner: str, now: datetime, error: str,
           config) -> str:
    attempts = row.attempts + 1
    if (now - row.created_at).total_seconds() >= float(config["MAIL_GIVE_UP_SECONDS"]):
        _write(session, row.id, owner, status=MailStatus.FAILED, attempts=attempts,
               lease_owner=None, lease_until=None,
               last_error=f"Given up after {attempts} attempts: {error}"[:2000])
        return "failed"
    _write(session, row.id, owner, status=MailStatus.QUEUED, attempts=attempts,
           lease_owner=None, lease_until=None, last_error=error[:2000],
           next_attempt_at=now + timedelta(seconds=retry_delay(config, attempts)))
    return "deferred"


def send_pending(session: Session, *, owner: str | None = None, now: datetime | None = None,
                 transport=None, limit: int | None = None) -> PassReport:
    """One pass: send every due message (in batches of MAIL_BATCH, at most `limit`), then
    stop. `now` fixes the clock (tests: "an hour later"). On a dead connection the claimed
    batch waits for its next attempt and the pass ends."""
    config = current_app.config
    owner = owner or new_owner()
    clock = (lambda: now) if now is not None else utcnow
    transport = transport or transport_for(config)
    lease = float(config["MAIL_LEASE_SECONDS"])
    batch = int(config["MAIL_BATCH"])
    sender = sender_address()
    envelope_from = parseaddr(str(sender))[1]
    report = PassReport()
    try:
        while limit is None or report.sent + report.deferred + report.failed < limit:
            size = batch if limit is None else min(batch, limit - report.sent - report.deferred
                                                   - report.failed)
            ids = claim(session, owner, clock(), size, lease)
            if not ids:
                break
            for index, row_id in enumerate(ids):
                t = clock()
                if not _write(session, row_id, owner, lease_until=t + timedelta(seconds=lease)):
                    report.skipped += 1
                    continue
                row = session.get(OutboxMessage, row_id, populate_existing=True)
                try:
                    message = email_message(row, sender)
                except Exception as error:  # noqa: BLE001 - it will never compose: not retried
                    log.exception("mail %s could not be composed", row.message_id)
                    _write(session, row_id, owner, status=MailStatus.FAILED,
                           attempts=row.attempts + 1, lease_owner=None, lease_until=None,
                           last_error=f"could not be composed: {error!r}"[:2000])
                    report.failed += 1
                    continue
                try:
                    transport.send(row, message, envelope_from)
                except TransportDown as error:
                    log.warning("mail: no connection (%s); %d messages wait", error,
                                len(ids) - index)
                    for rest_id in ids[index:]:
                        rest = session.get(OutboxMessage, rest_id, populate_existing=True)
                        if rest.lease_owner == owner and rest.status == MailStatus.SENDING:
                            outcome = _defer(session, rest, owner, clock(), str(error), config)
                            setattr(report, outcome, getattr(report, outcome) + 1)
                    return report
                except TemporaryFailure as error:
                    outcome = _defer(session, row, owner, clock(), str(error), config)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                except PermanentFailure as error:
                    log.warning("mail %s refused for good: %s", row.message_id, error)
                    _write(session, row_id, owner, status=MailStatus.FAILED,
                           attempts=row.attempts + 1, lease_owner=None, lease_until=None,
                           last_error=str(error)[:2000])
                    report.failed += 1
                except Exception as error:  # noqa: BLE001 - unforeseen: tried again later,
                    # with the backoff, rather than left "sending" until its lease runs out
                    log.exception("mail %s: unexpected error while sending", row.message_id)
                    outcome = _defer(session, row, owner, clock(), repr(error), config)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                else:
                    # Right away, in its own commit: the window for a second send is this line.
                    _write(session, row_id, owner, status=MailStatus.SENT, sent_at=clock(),
                           attempts=row.attempts + 1, lease_owner=None, lease_until=None,
                           last_error="")
                    report.sent += 1
    finally:
        transport.close()
        session.rollback()
    return report
