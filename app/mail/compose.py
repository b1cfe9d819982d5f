"""Mails as the recipient reads them: rendered once, at queue time, in their language (French
unless they chose English), from `templates/mail/<name>.txt` (the subject block and the plain
text) and `templates/mail/<name>.html` (a simple table layout with inline styles, no remote
image); and the `EmailMessage` the sender hands to SMTP or writes as an .eml file."""
from __future__ import annotations

import re
import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote, urljoin

from flask import current_app, g, has_request_context, request, url_for
from flask_babel import force_locale, get_locale

from models import OutboxMessage

SENDER_NAME = "Maillage"
_BLANK_LINES = re.compile(r"\n{3,}")


def recipient_locale(user=None) -> str:
    """The language of a mail: the recipient's choice, else the page's (a person who just
    registered in English), else French."""
    languages = current_app.config["LANGUAGES"]
    if user is not None and getattr(user, "locale", None) in languages:
        return user.locale
    if has_request_context():
        current = str(get_locale() or "")
        if current in languages:
            return current
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def render(template: str, context: dict, locale: str) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/mail/<template>.*` in `locale`."""
    env = current_app.jinja_env
    with force_locale(locale):
        # app/i18n.py keeps the request's catalog in g: out of the way while this one renders.
        saved = g.pop("_translations", None)
        try:
            text_template = env.get_template(f"mail/{template}.txt")
            values = {"locale": locale, **context}
            subject = " ".join("".join(text_template.blocks["subject"](
                text_template.new_context(values))).split())
            text = text_template.render(values)
            html = env.get_template(f"mail/{template}.html").render({**values, "subject": subject})
        finally:
            g.pop("_translations", None)
            if saved is not None:
                g._translations = saved
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines()))
    return subject[:300], text + "\n", html


def _path(endpoint: str, values: dict) -> str:
    """url_for's path, also outside a request (`flask mail digest`, a notification made by a
    command): Flask wants SERVER_NAME there, a mail only needs the path."""
    if has_request_context():
        return url_for(endpoint, **values)
    anchor = values.pop("_anchor", None)
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    path = adapter.build(endpoint, values)
    return f"{path}#{quote(anchor)}" if anchor else path


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _request_base() -> str | None:
    """The address the request came to, when it can be trusted for a link in a mail: Flask
    checked it against TRUSTED_HOSTS, or it is this machine's own (the embedded default). A
    Host header is the sender's to write: from anywhere else, a reset link built from it could
    send a member's token to another site."""
    host = request.host.rsplit(":", 1)[0].strip("[]") if request.host else ""
    if current_app.config.get("TRUSTED_HOSTS") or host in _LOOPBACK:
        return request.host_url
    current_app.logger.warning("mail link for Host %r: set MAILLAGE_BASE_URL (or "
                               "MAILLAGE_TRUSTED_HOSTS); the link uses the default address",
                               request.host[:100])
    return None


def absolute_url(endpoint: str, **values) -> str:
    """A link for a mail: from BASE_URL when set, else from the request being answered when its
    host can be trusted (`_request_base`), else the embedded default's address."""
    path = _path(endpoint, values)
    base = current_app.config.get("BASE_URL")
    if not base and has_request_context():
        base = _request_base()
    return urljoin((base or "http://127.0.0.1:5000").rstrip("/") + "/", path.lstrip("/"))


def sender_address() -> Address:
    """MAIL_SENDER as an address with its display name ("Maillage" when it has none)."""
    name, address = parseaddr(current_app.config["MAIL_SENDER"])
    if "@" not in address:
        address = "maillage@localhost"
    username, _, domain = address.rpartition("@")
    return Address(name or SENDER_NAME, username, domain)


def new_message_id() -> str:
    """A Message-ID made once per outbox row, kept for every attempt."""
    return f"<{uuid.uuid4().hex}@{sender_address().domain or 'maillage.localhost'}>"


def email_message(row: OutboxMessage, sender: Address) -> EmailMessage:
    """The row as a MIME message: plain text first, HTML as the alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies, please
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.text)
    message.add_alternative(row.html, subtype="html")
    return message
