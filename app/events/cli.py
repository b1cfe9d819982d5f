"""`flask events remind [--now ISO]`: the day-before reminders (the server's mail loop does it
every EVENT_REMINDER_EVERY seconds; this is for cron or a timer when the loop is off)."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from app.events.reminders import remind_due
from models import db
from models.types import utcnow

events_cli = AppGroup("events", help="Events: reminders.")


@events_cli.command("remind")
@click.option("--now", "now", default=None, help="The moment to look from (ISO 8601, UTC "
              "unless it says otherwise); default: now.")
def remind(now: str | None) -> None:
    """Remind the people registered for the events of the next 24 hours (once each)."""
    try:
        moment = datetime.fromisoformat(now) if now else utcnow()
    except ValueError:
        raise click.BadParameter("not an ISO 8601 moment", param_hint="--now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    count = remind_due(db.session, moment)
    db.session.commit()
    click.echo(f"{count} reminders given.")
