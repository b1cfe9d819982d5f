"""Translated labels for stored codes."""
from flask_babel import lazy_gettext as _l

from models import DirectMessages, ProfileKind, Visibility

KIND_LABELS = {
    ProfileKind.INDEPENDENT.value: _l("Independent / freelancer"),
    ProfileKind.COMPANY.value: _l("Company"),
    ProfileKind.ASSOCIATION.value: _l("Association"),
    ProfileKind.ARTIST.value: _l("Artist or cultural worker"),
    ProfileKind.EMPLOYEE.value: _l("Teleworking employee"),
    ProfileKind.PROJECT.value: _l("Project holder"),
}
DIRECT_MESSAGE_LABELS = {
    DirectMessages.CONNECTIONS.value: _l("Only people I am connected with"),
    DirectMessages.MEMBERS.value: _l("Any member of Maillage"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC.value: _l("Public: anyone can see my profile"),
    Visibility.MEMBERS.value: _l("Members only: visible to logged-in members"),
}


def kind_labels() -> dict[str, str]:
    """The kind labels translated once for this request (lazy strings re-translate on every use)."""
    return {code: str(label) for code, label in KIND_LABELS.items()}
