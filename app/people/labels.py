"""Translated labels for stored codes."""
from flask_babel import lazy_gettext as _l

from models import DirectMessages, ProfileKind, Visibility

KIND_LABELS = {
    ProfileKind.INDEPENDENT: _l("Independent / freelancer"),
    ProfileKind.COMPANY: _l("Company"),
    ProfileKind.ASSOCIATION: _l("Association"),
    ProfileKind.ARTIST: _l("Artist or cultural worker"),
    ProfileKind.EMPLOYEE: _l("Teleworking employee"),
    ProfileKind.PROJECT: _l("Project holder"),
}
DIRECT_MESSAGE_LABELS = {
    DirectMessages.CONNECTIONS: _l("Only people I am connected with"),
    DirectMessages.MEMBERS: _l("Any member of Maillage"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public: anyone can see my profile"),
    Visibility.MEMBERS: _l("Members only: visible to logged-in members"),
}


def kind_labels() -> dict[str, str]:
    """The kind labels translated once for this request (lazy strings re-translate on every use)."""
    return {code: str(label) for code, label in KIND_LABELS.items()}
