"""`flask mail send`: one pass over the outbox (cron, a systemd timer), or `--loop` (a service)."""
from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import AppGroup

from app.mail.sender import send_pending
from app.mail.worker import SenderLoop
from models import db

mail_cli = AppGroup("mail", help="The e-mail outbox.")


def _say(report) -> None:
    click.echo(f"{report.sent} sent, {report.deferred} to retry, {report.failed} failed"
               + (f", {report.skipped} taken by another sender" if report.skipped else "") + ".")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending every MAIL_POLL_SECONDS (a service), "
              "holding the sender's lease so that one sender runs at a time.")
def send(loop: bool) -> None:
    """Send the messages that are due (to MAIL_SERVER, or as .eml files without one)."""
    if not loop:
        _say(send_pending(db.session))
        return
    sender = SenderLoop(current_app._get_current_object(), sleep=lambda s: sender.stop.wait(s))
    signal.signal(signal.SIGTERM, lambda *_: sender.stop.set())
    click.echo(f"Sending as {sender.owner} (Ctrl-C or SIGTERM to stop).")
    try:
        sender.run(on_pass=lambda report: _say(report) if report else None)
    except KeyboardInterrupt:
        sender.stop.set()
