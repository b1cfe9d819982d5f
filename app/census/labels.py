"""What the census's codes read as (French first, through the catalogue)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import CensusUnit, OutreachStatus, SuppressionReason

STATUS_LABELS = {
    OutreachStatus.TO_CONTACT: _l("To contact"),
    OutreachStatus.LETTER: _l("Contacted by letter"),
    OutreachStatus.PHONE: _l("Contacted by phone"),
    OutreachStatus.VISIT: _l("Contacted by a visit"),
    OutreachStatus.EMAIL: _l("Contacted by e-mail"),
    OutreachStatus.ANSWERED: _l("Answered"),
    OutreachStatus.DECLINED: _l("Declined"),
    OutreachStatus.UNREACHABLE: _l("Unreachable"),
    OutreachStatus.DO_NOT_CONTACT: _l("Do not contact"),
}
UNIT_LABELS = {CensusUnit.ESTABLISHMENT: _l("Establishment (SIRENE)"),
               CensusUnit.MEMBER: _l("Member who has not declared")}
SIZE_LABELS = {"rural": _l("Rural commune (under 2,000 inhabitants)"),
               "small_town": _l("Small town (2,000 to 9,999)"),
               "town": _l("Town (10,000 or more)")}
# In lists, where the long labels above would crowd a phone's screen.
SIZE_SHORT = {"rural": _l("rural commune"), "small_town": _l("small town"), "town": _l("town")}
REASON_LABELS = {SuppressionReason.DECLINED: _l("Declined"),
                 SuppressionReason.DO_NOT_CONTACT: _l("Asked not to be contacted")}


def readable_detail(detail: str) -> str:
    """An audit entry's detail with status codes as words: "to_contact -> answered" reads
    "To contact → Answered"."""
    parts = (detail or "").split(" -> ")
    if len(parts) == 2 and all(p in OutreachStatus._value2member_map_ for p in parts):
        return " → ".join(str(STATUS_LABELS[OutreachStatus(p)]) for p in parts)
    return detail
