"""What people read for each coded answer (lazy: translated when shown)."""
from flask_babel import lazy_gettext as _l

from models import Formula, PlaceKind, PlaceStatus, PlanPeriod, Track

TRACK_LABELS = {
    Track.COMPANY: _l("A company or an organisation"),
    Track.INDEPENDENT: _l("Self-employed, cultural or artistic activity"),
}
FORMULA_LABELS = {
    Formula.PERMANENT: _l("A permanent desk, by the month"),
    Formula.DAYS_PER_QUARTER: _l("A number of days per quarter"),
    Formula.DAY_PASS: _l("Day passes, when needed"),
    Formula.ACCESS_24H: _l("Access 24 hours a day"),
    Formula.MEETING_ROOM: _l("A meeting room only"),
}
EQUIPMENT_LABELS = {
    "fibre_wifi": _l("Fibre wifi"),
    "video_room": _l("Video-conference room"),
    "meeting_room": _l("Meeting room"),
    "printer": _l("Printer"),
    "lockers": _l("Lockers"),
    "kitchen": _l("Kitchen"),
    "step_free": _l("Step-free access"),
}
SERVICE_LABELS = {
    "events": _l("Events"),
    "training": _l("Training"),
    "adviser": _l("An accountant or adviser on site"),
    "domiciliation": _l("Business domiciliation"),
}
GOVERNANCE_LABELS = {
    "name_theme": _l("Choose the place's name and theme"),
    "run_events": _l("Run events"),
}
HORIZON_LABELS = {
    "now": _l("Now"),
    "3_months": _l("Within 3 months"),
    "6_months": _l("Within 6 months"),
    "1_year": _l("Within a year"),
    "later": _l("Later"),
}
TELEWORK_LABELS = {
    "none": _l("No teleworking"),
    "occasional": _l("Occasional"),
    "regular": _l("One to three days a week"),
    "full": _l("Full time"),
}
PLACE_STATUS_LABELS = {
    PlaceStatus.OPEN: _l("Open"),
    PlaceStatus.PROJECT: _l("Project"),
    PlaceStatus.CLOSED: _l("Closed"),
}
PLACE_KIND_LABELS = {
    PlaceKind.COWORKING: _l("Mostly coworking"),
    PlaceKind.FABLAB: _l("Mostly a fablab"),
    PlaceKind.OTHER: _l("Another kind of third place"),
}
PERIOD_LABELS = {
    PlanPeriod.DAY: _l("per day"),
    PlanPeriod.MONTH: _l("per month"),
    PlanPeriod.QUARTER: _l("per quarter"),
    PlanPeriod.YEAR: _l("per year"),
}
