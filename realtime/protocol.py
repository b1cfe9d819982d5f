"""The `/chat` protocol's vocabulary (docs/realtime.md): the namespace, the error codes with
their translated texts, and the shape of an error answer.

The app's chat functions raise `ChatError` with these codes; the socket handlers and the pages
turn them into the same texts.
"""
from __future__ import annotations

from flask_babel import gettext as _

NAMESPACE = "/chat"


class ChatError(ValueError):
    """Cannot be done; `code` is part of the protocol (docs/realtime.md)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def error_text(code: str) -> str:
    """The code's text in the current language ("invalid"'s for an unknown code)."""
    texts = {
        "unauthorized": _("Your session has ended: log in again."),
        "not_found": _("This conversation does not exist or you are not in it."),
        "forbidden": _("You can only change your own messages."),
        "invalid": _("This request is not valid."),
        "empty": _("Write a message first."),
        "too_long": _("A message is at most 4,000 characters."),
        "rate_limited": _("You are sending messages too fast: wait a few seconds."),
        "not_allowed": _("This person does not accept messages from you."),
        "removed": _("You are no longer a member of this conversation."),
        "charter": _("The network's charter changed: accept it on the network's page to write again."),
        "muted": _("A moderator muted you in this network for a while: you can read, not write."),
        "hidden": _("A moderator hid this message: it can no longer be changed or deleted."),
        "busy": _("Too many requests at once: wait a few seconds."),
        "server_error": _("Something went wrong on our side: try again in a moment."),
    }
    return texts.get(code, texts["invalid"])


def error(code: str, **extra) -> dict:
    """An event's negative ack: `{ok: false, error: {code, message, ...extra}}`."""
    return {"ok": False, "error": {"code": code, "message": error_text(code), **extra}}
