"""E-mail: the outbox (models/mail.py), queueing in the event's transaction (`queue_mail`), the
sender (`sender.py`: SMTP or .eml files, leases, retries), its loop (`worker.py`: in the server
process or `flask mail send --loop`) and the command (`cli.py`). The admin's page is app/admin/."""
from __future__ import annotations

from flask import Flask

from app.mail.queue import queue_mail, render_only

__all__ = ["queue_mail", "render_only", "init_app"]


def init_app(app: Flask) -> None:
    from app.mail.cli import mail_cli
    app.cli.add_command(mail_cli)
