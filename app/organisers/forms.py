from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import ValidationError

from app.demand.forms import parse_number
from app.forms import BaseForm

PRICE_FIELDS = {
    "permanent": _l("Permanent desk (€ per month)"),
    "days_per_quarter": _l("Days per quarter (€ per quarter)"),
    "day_pass": _l("Day pass (€ per day)"),
    "access_24h": _l("24 h access (€ per month)"),
    "meeting_room": _l("Meeting room (€ per month)"),
}


class ViabilityForm(BaseForm):
    """GET parameters of the viability sheet (nothing is stored: no CSRF)."""

    class Meta:
        csrf = False

    site = SelectField(_l("Candidate site"), choices=[], validate_choice=False)
    rent = StringField(_l("Rent (€ per month)"), default="1500")
    other_costs = StringField(_l("Other costs (€ per month)"), default="400",
                              description=_l("Energy, insurance, internet, cleaning, animation…"))
    price_permanent = StringField(PRICE_FIELDS["permanent"], default="250")
    price_days_per_quarter = StringField(PRICE_FIELDS["days_per_quarter"], default="100")
    price_day_pass = StringField(PRICE_FIELDS["day_pass"], default="12")
    price_access_24h = StringField(PRICE_FIELDS["access_24h"], default="280")
    price_meeting_room = StringField(PRICE_FIELDS["meeting_room"], default="40")
    free_first_month = BooleanField(_l("First month free"), default=True)
    occupancy = StringField(_l("Target desk occupancy"), default="0,7",
                            description=_l("From 0,1 to 1."))
    include_open = BooleanField(_l("Count people an open place already covers"))

    parsed: dict

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.parsed = {}
        specs = {"rent": (0, 1_000_000), "other_costs": (0, 1_000_000), "occupancy": (0.1, 1)}
        specs.update({f"price_{f}": (0, 100_000) for f in PRICE_FIELDS})
        for name, (low, high) in specs.items():
            field = getattr(self, name)
            try:
                self.parsed[name] = parse_number(field, low, high, required=True)
            except ValidationError as error:
                field.errors = list(field.errors) + [str(error.args[0])]
                ok = False
        return ok
