from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.demand.forms import parse_number
from app.forms import BaseForm, has_letters

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


class ShareLinkForm(BaseForm):
    """A read-only link for people without an account (app/organisers/share.py)."""

    label = StringField(_l("Name of the link"), validators=[DataRequired(), Length(max=140),
                                                            has_letters],
                        description=_l("Who it is for, or which meeting: shown on the page it "
                                       "opens and in your list of links."))
    days = SelectField(_l("Valid for"), coerce=int, default=30, choices=[
        (7, _l("7 days")), (30, _l("30 days")), (90, _l("90 days"))])
    k = IntegerField(_l("Proposed sites on the map"), default=3,
                     validators=[InputRequired(), NumberRange(min=0, max=20)],
                     description=_l("From 0 (none) to 20."))
    epcis = BooleanField(_l("Show the boundaries of the communities of communes"))
    site = SelectField(_l("Viability sheet for"), choices=[])
    # The query string of the page it was made from: its filters (and viability plan).
    query = HiddenField()
