"""The translated names of event kinds, audiences and registration statuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import EventAudience, EventKind, RegistrationStatus

KIND_LABELS = {
    EventKind.OPEN_DAY: _l("Open day"),
    EventKind.DISCOVERY_DAY: _l("Discovery day"),
    EventKind.TRAINING: _l("Training session"),
    EventKind.MEETUP: _l("Meet-up"),
    EventKind.PERMANENCE: _l("Permanence"),
    EventKind.GOVERNANCE: _l("Users' meeting"),
    EventKind.OTHER: _l("Other"),
}
AUDIENCE_LABELS = {
    EventAudience.PUBLIC: _l("Everyone"),
    EventAudience.MEMBERS: _l("Members of Maillage"),
    EventAudience.NETWORK: _l("Members of the network"),
}
STATUS_LABELS = {
    RegistrationStatus.REGISTERED: _l("Registered"),
    RegistrationStatus.WAITING: _l("On the waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}
DISTANCES = (5, 10, 20, 30, 50)


def repeat_label(rule: str | None):
    """How an event repeats, in words (the forms' choices: app/events/forms.py)."""
    if not rule:
        return None
    if "MONTHLY" in rule:
        return _l("Every month, the same weekday")
    if "INTERVAL=2" in rule:
        return _l("Every two weeks")
    return _l("Every week")
