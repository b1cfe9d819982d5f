"""What every mail of a kind carries: a one-click unsubscribe link (in the text, and as the
RFC 8058 headers that mail programs show as an "Unsubscribe" button) and the preferences page."""
from __future__ import annotations

from app.mail.compose import absolute_url
from app.mailprefs.labels import label_of
from app.mailprefs.tokens import unsubscribe_token
from models import MailKind, MailMode


def unsubscribe_url(user_id: int, kind: MailKind | MailMode) -> str:
    return absolute_url("mailprefs.unsubscribe", token=unsubscribe_token(user_id, kind))


def unsubscribe_context(user_id: int, kind: MailKind | MailMode) -> tuple[dict, dict]:
    """(template context, headers) of a mail of `kind` (or a digest) to this member."""
    url = unsubscribe_url(user_id, kind)
    context = {"unsubscribe_url": url, "kind_label": label_of(kind),
               "preferences_url": absolute_url("mailprefs.preferences")}
    headers = {"List-Unsubscribe": f"<{url}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return context, headers
