"""`flask mail digest --period daily|weekly [--now ISO]`: build and queue a period's digests;
`flask mail chat-unread [--now ISO]`: mail the conversations left unread long enough."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from app.mail.cli import mail_cli
from app.mailprefs.chat_unread import mail_unread_chats
from app.mailprefs.digest import build_digests
from models import MailMode, db
from models.types import utcnow


def _moment(raw: str | None) -> datetime:
    if not raw:
        return utcnow()
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None \
        else moment.astimezone(timezone.utc)


@mail_cli.command("digest")
@click.option("--period", type=click.Choice(["daily", "weekly"]), required=True)
@click.option("--now", "now", default=None, help="The moment to build for (ISO 8601, UTC "
              "unless it says otherwise); default: now.")
def digest(period: str, now: str | None) -> None:
    """Queue the digests of the period `now` falls in (once per member and period; a second
    run of the same period queues nothing). The sender delivers them."""
    try:
        moment = _moment(now)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 moment", param_hint="--now") from None
    report = build_digests(db.session, MailMode(period), moment)
    click.echo(f"{report.queued} digests queued, {report.empty} with nothing new, "
               f"{report.already} already built for this period ({report.members} members).")


@mail_cli.command("chat-unread")
@click.option("--now", "now", default=None, help="The moment to look at (ISO 8601, UTC unless "
              "it says otherwise); default: now.")
def chat_unread(now: str | None) -> None:
    """Queue one mail per direct or group conversation left unread CHAT_UNREAD_MAIL_DELAY
    seconds, for the members who want messages at once (then none until they read it). The
    server's mail loop does it every minute; run this from cron or a timer when it is off."""
    try:
        moment = _moment(now)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 moment", param_hint="--now") from None
    report = mail_unread_chats(db.session, moment)
    click.echo(f"{report.queued} mails queued for unread conversations"
               + (f", {report.already} taken by another run or read meanwhile"
                  if report.already else "") + ".")
