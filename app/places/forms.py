from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.demand import labels as L
from app.demand.forms import MultiCheckboxField, parse_number
from app.forms import BaseForm, has_letters
from app.images import forms as pictures
from app.people.forms import commune_error, commune_suggestions
from models import db

PLANS_MAX = 5


class PlanForm(BaseForm):
    class Meta:
        csrf = False  # inside the place form, which has the token

    name = StringField(_l("Plan"), validators=[Length(max=80)],
                       description=_l("e.g. “Permanent”, “20 days per quarter”."))
    price = StringField(_l("Price (€)"))
    period = SelectField(_l("Period"), choices=list(L.PERIOD_LABELS.items()),
                         validate_choice=False)
    included_days = StringField(_l("Days included"),
                                description=_l("Empty: unlimited in the period."))
    tax_included = BooleanField(_l("Tax included (TTC)"), default=True)

    parsed: dict

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.parsed = {}
        if not (self.name.data or "").strip():
            if (self.price.data or "").strip() or (self.included_days.data or "").strip():
                self.name.errors = list(self.name.errors) + [str(_l("Name this plan."))]
                return False
            return ok  # an empty row: no plan
        for name, low, high, options in (("price", 0, 100_000, {"required": True}),
                                         ("included_days", 1, 366, {"integer": True})):
            field = getattr(self, name)
            try:
                self.parsed[name] = parse_number(field, low, high, **options)
            except ValidationError as error:
                field.errors = list(field.errors) + [str(error.args[0])]
                ok = False
        if self.period.data not in L.PERIOD_LABELS:
            self.period.errors = list(self.period.errors) + [str(_l("Choose a period."))]
            ok = False
        return ok


class PlaceForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), has_letters])
    status = SelectField(_l("Status"), choices=list(L.PLACE_STATUS_LABELS.items()))
    # Not said ("") or one of PlaceKind; checked in validate_kind, so that a form without it
    # (an older page, a script) still saves.
    kind = SelectField(_l("Kind of place"), choices=[("", _l("Not said"))]
                       + list(L.PLACE_KIND_LABELS.items()), validate_choice=False)
    website = StringField(_l("Website"), validators=[Length(max=300)],
                          description=_l("Starting with https:// or http://"))
    commune = StringField(_l("Commune"), validators=[DataRequired(), Length(max=120)],
                          description=_l("Type a name or a postcode, e.g. “Rignac” or “12390”."))
    address = StringField(_l("Address (optional)"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)],
                                description=_l("Markdown."))
    capacity_desks = StringField(_l("Desks"))
    surface_m2 = StringField(_l("Surface (m²)"))
    rent_eur_month = StringField(_l("Rent of the premises (€ per month, optional)"))
    equipment = MultiCheckboxField(_l("Equipment"), choices=list(L.EQUIPMENT_LABELS.items()))
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Length(max=500)])
    free_first_month = BooleanField(_l("First month free"))
    plans = FieldList(FormField(PlanForm), min_entries=3, max_entries=PLANS_MAX)
    charter = TextAreaField(_l("Charter"), validators=[Length(max=20_000)],
                            description=_l("Markdown."))
    governance_model = TextAreaField(_l("Governance"), validators=[Length(max=5000)],
                                     description=_l("Who decides what, and how users take part "
                                                    "(Markdown)."))

    photo = pictures.file_field(_l("Photo"), "photo")
    photo_alt = StringField(_l("What the photo shows"), validators=[Length(max=200)],
                            description=_l("For people who cannot see it, e.g. “The open-plan "
                                           "room, six desks by the windows”."))
    photo_remove = pictures.remove_field(_l("Remove the photo"))

    parsed: dict
    commune_candidates: list = []
    picture = None  # set by validate_photo: the processed upload

    def validate_photo(self, field) -> None:
        pictures.check_picture(self, field, "photo")

    def validate_kind(self, field) -> None:
        if field.data and field.data not in L.PLACE_KIND_LABELS:
            raise ValidationError(_l("Choose a kind of place."))

    def validate_website(self, field) -> None:
        url = (field.data or "").strip()
        if not url:
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(
                c.isspace() or ord(c) < 32 for c in url):
            raise ValidationError(_l("Give a full address starting with https:// or http://."))

    def validate(self, extra_validators=None) -> bool:
        self.parsed = {}
        ok = super().validate(extra_validators)
        for name, high in (("capacity_desks", 1000), ("surface_m2", 100_000),
                           ("rent_eur_month", 1_000_000)):
            field = getattr(self, name)
            try:
                self.parsed[name] = parse_number(field, 0, high, integer=True)
            except ValidationError as error:
                field.errors = list(field.errors) + [str(error.args[0])]
                ok = False
        from app.territory.gazetteer import match_communes
        typed = (self.commune.data or "").strip()
        found = match_communes(db.session, typed) if typed else []
        error = commune_error(typed, found)
        if error:
            self.commune_candidates = commune_suggestions(typed, found)
            self.commune.errors = list(self.commune.errors) + [error]
            ok = False
        elif found:
            self.parsed["commune_insee"] = found[0].insee
        return ok


class AnimatorForm(BaseForm):
    email = StringField(_l("Email of the member to appoint"),
                        validators=[DataRequired(), Length(max=254)])


class PlaceFilterForm(BaseForm):
    class Meta:
        csrf = False

    commune = StringField(_l("Commune"))
    epci = SelectField(_l("Community of communes"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[("", _l("All"))] + list(L.PLACE_STATUS_LABELS.items()),
                         validate_choice=False)
    equipment = MultiCheckboxField(_l("With"), choices=list(L.EQUIPMENT_LABELS.items()),
                                   validate_choice=False)


class PollForm(BaseForm):
    kind = SelectField(_l("About"), choices=[("name", _l("The place's name")),
                                             ("theme", _l("The place's theme"))])
    question = StringField(_l("Question"), validators=[DataRequired(), Length(max=200), has_letters])
    days = StringField(_l("Open for (days)"), default="21")

    def validate_days(self, field) -> None:
        self.days_open = parse_number(field, 1, 90, integer=True, required=True)


class ProposalForm(BaseForm):
    text = StringField(_l("Your proposal"), validators=[DataRequired(), Length(max=120), has_letters])


