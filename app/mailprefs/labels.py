"""The translated names of mail kinds and modes (the preferences page, the mails' footers)."""
from __future__ import annotations

from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l

from models import MailKind, MailMode

KIND_LABELS = {
    MailKind.REQUESTS: _l("Requests to connect or to join my networks, and their answers"),
    MailKind.MESSAGES: _l("Direct and group messages"),
    MailKind.REPLIES: _l("Mentions and replies"),
    MailKind.NETWORK_POSTS: _l("New posts in my networks, new members near me"),
    MailKind.MODERATION: _l("Moderation decisions about me"),
    MailKind.REPORTS: _l("Reports to handle (animators)"),
    MailKind.EVENTS: _l("Events: reminders and changes of those I registered for, discovery "
                        "days near where I would cowork"),
    MailKind.SAVED_SEARCHES: _l("Someone new matches a search I saved (at most daily)"),
}


def _messages_hint() -> str:
    minutes = max(1, round(float(current_app.config["CHAT_UNREAD_MAIL_DELAY"]) / 60))
    return ngettext("“An e-mail at once”: when a conversation has stayed unread for %(num)d "
                    "minute, one e-mail, then none for it until you have read it.",
                    "“An e-mail at once”: when a conversation has stayed unread for %(num)d "
                    "minutes, one e-mail, then none for it until you have read it.", minutes)


# Under a kind on the preferences page (app/mailprefs/forms.py), said when the page is shown.
KIND_HINTS = {MailKind.MESSAGES: LazyString(_messages_hint)}
MODE_LABELS = {
    MailMode.APP: _l("In the app only"),
    MailMode.NOW: _l("An e-mail at once"),
    MailMode.DAILY: _l("In a daily digest"),
    MailMode.WEEKLY: _l("In a weekly digest"),
}
DIGEST_LABELS = {
    MailMode.DAILY: _l("the daily digest"),
    MailMode.WEEKLY: _l("the weekly digest"),
}


def label_of(kind: MailKind | MailMode):
    """A kind's name, or a digest's."""
    return DIGEST_LABELS[kind] if isinstance(kind, MailMode) else KIND_LABELS[kind]
