"""A real SMTP server for the tests (aiosmtpd on a free port, in a thread of its own) that keeps
every message it accepted. It can refuse chosen recipients (a 4xx or 5xx answer), be stopped and
started again on the same port (an outage), and hold the sender at a given message (MAIL FROM
is answered only when released; only a chosen client's, if asked), so a test can kill a sender
at a known point."""
from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.helpers.browser import free_port

LINK = re.compile(r"https?://[^\s<>\"]+")


class SmtpSink:
    def __init__(self, port: int | None = None, hostname: str = "127.0.0.1"):
        self.port = port or free_port()
        self.hostname = hostname  # another address of this machine: a veth network's
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}  # recipient -> the answer to RCPT TO, e.g. "550 ..."
        self.hold_after: int | None = None  # hold MAIL FROM once this many were accepted
        self.hold_peer: str | None = None  # ... only from this client address, when set
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    # -- aiosmtpd handler hooks ---------------------------------------------------------------
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.hold_after is not None and len(self.messages) >= self.hold_after and \
                self.hold_peer in (None, session.peer[0]):
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    # -- control ------------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname=self.hostname, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.release.set()  # a held session must not keep the loop from stopping
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- reading ------------------------------------------------------------------------------
    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for _, m in self.messages)

    def wait_for(self, condition, timeout: float = 30, what: str = "condition") -> None:
        wait_for(condition, timeout, what)


def wait_for(condition, timeout: float = 30, what: str = "condition") -> None:
    """Until `condition()` holds (a bound on the wait, never a timing asserted)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a message."""
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def link_in(message: EmailMessage, path_start: str) -> str:
    """The path (and query) of the first link of the plain text that starts with path_start."""
    text = parts(message)[0]
    for url in LINK.findall(text):
        path = "/" + url.split("/", 3)[3]
        if path.startswith(path_start):
            return path
    raise AssertionError(f"no link to {path_start} in:\n{text}")
