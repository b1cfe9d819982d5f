"""The declaration of interest, shared by members and by campaign respondents."""
from __future__ import annotations

import re

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.demand import labels as L
from app.demand.naf import naf_labels, normalise_code, search_naf
from app.demand.validators import clean_siret, siret_ok
from app.forms import BaseForm
from app.people.forms import commune_error, commune_suggestions, listed_communes
from models import Formula, Track, db

ACCEPTABLE_MAX = 30
_NUMBER = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,6})?")
MAX_DISTANCE_KM = 200


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_number(field, low: float, high: float, *, step: float | None = None,
                 integer: bool = False, required: bool = False) -> float | None:
    """A number typed the French or English way ("2,5", "2.5", "1 500"), checked against a
    range; the error says the range. Empty: None (or an error when required)."""
    raw = (field.data or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not raw:
        if required:
            raise ValidationError(_l("This field is required."))
        return None
    # Plain ASCII digits only: float() would also take "٣", "１２", "1_000", "inf" or "1e9".
    if not _NUMBER.fullmatch(raw):
        raise ValidationError(_l("Type a number, e.g. %(example)s.",
                                 example=("2" if integer else "2,5")))
    value = float(raw.replace(",", "."))
    if not (low <= value <= high):
        raise ValidationError(_l("Between %(low)s and %(high)s.", low=_fmt(low), high=_fmt(high)))
    if integer and value != int(value):
        raise ValidationError(_l("A whole number, please."))
    if step and abs(value / step - round(value / step)) > 1e-9:
        raise ValidationError(_l("In steps of %(step)s.", step=_fmt(step)))
    return int(value) if integer else value


def _fmt(x: float) -> str:
    return format_decimal(x)  # "1 000 000", "0,5" in French


class DeclarationForm(BaseForm):
    track = HiddenField()
    # Company track
    company_name = StringField(_l("Company or organisation name"), validators=[Length(max=120)])
    siret = StringField(_l("SIRET (optional)"), validators=[Length(max=30)],
                        description=_l("14 digits, e.g. 123 456 789 00012."))
    naf = StringField(_l("Activity (NAF code)"), validators=[Length(max=200)],
                      description=_l("A code such as 62.01Z, or words: “menuiserie”."))
    headcount = StringField(_l("How many people would use the space"))
    telework = SelectField(_l("Teleworking today"), choices=list(L.TELEWORK_LABELS.items()),
                           validate_choice=False)
    # Non-salaried / cultural / artistic track
    activity = StringField(_l("Your activity"), validators=[Length(max=200)],
                           description=_l("e.g. “Illustrator”, “Theatre company”, “Joiner”."))
    dynamics = TextAreaField(_l("The collaboration you are looking for"),
                             validators=[Length(max=5000)],
                             description=_l("Meeting others, sharing tools, working together on "
                                            "projects… (Markdown)"))
    # Both tracks
    home_commune = StringField(_l("Your commune"), validators=[DataRequired(), Length(max=120)],
                               description=_l("Type a name or a postcode, e.g. “Rignac” or "
                                              "“12390”."))
    acceptable_communes = StringField(
        _l("Communes where you would go"), validators=[Length(max=2000)],
        description=_l("Separated by commas, e.g. “Rodez, Rignac”. Or give a distance below."))
    max_distance_km = StringField(_l("Or at most this far from home (km)"))
    days_per_week = StringField(_l("Days per week in the place"),
                                description=_l("From 0,5 to 7, in half days."))
    formula = RadioField(_l("Preferred formula"), choices=list(L.FORMULA_LABELS.items()),
                         validators=[DataRequired(message=_l("Choose a formula."))])
    days_per_quarter = StringField(_l("Days per quarter"),
                                   description=_l("For the “days per quarter” formula."))
    budget_eur_month = StringField(_l("Budget per month (€)"))
    horizon = SelectField(_l("When would you start"), choices=list(L.HORIZON_LABELS.items()),
                          validate_choice=False)
    equipment = MultiCheckboxField(_l("Equipment you need"),
                                   choices=list(L.EQUIPMENT_LABELS.items()))
    services = MultiCheckboxField(_l("Services you would like"),
                                  choices=list(L.SERVICE_LABELS.items()))
    free_first_month = BooleanField(_l("A free first month would help me try"))
    governance = MultiCheckboxField(_l("I would take part in the place's governance"),
                                    choices=list(L.GOVERNANCE_LABELS.items()))
    commute_km = StringField(_l("Today's commute: distance one way (km)"))
    commute_minutes = StringField(_l("Today's commute: minutes one way"))
    commute_days_per_week = StringField(_l("Today's commute: days per week"))

    # Set by validation: what the model stores.
    parsed: dict
    commune_candidates: list = []

    def validate_track(self, field) -> None:
        if field.data not in L.TRACK_LABELS:
            raise ValidationError(_l("Choose a track."))

    @property
    def is_company(self) -> bool:
        return self.track.data == Track.COMPANY

    def validate(self, extra_validators=None) -> bool:
        self.parsed = {}
        ok = super().validate(extra_validators)
        if self.track.data not in L.TRACK_LABELS:
            return False
        ok = self._check_track_fields() and ok
        ok = self._check_numbers() and ok
        ok = self._check_places() and ok
        choices = [("horizon", L.HORIZON_LABELS)]
        if self.is_company:
            choices.append(("telework", L.TELEWORK_LABELS))
        for name, allowed in choices:
            field = getattr(self, name)
            if field.data not in allowed:
                field.errors = list(field.errors) + [str(_l("Choose one of the options."))]
                ok = False
        return ok

    def _error(self, field, message) -> bool:
        field.errors = list(field.errors) + [str(message)]
        return False

    def _check_track_fields(self) -> bool:
        ok = True
        if self.is_company:
            if not (self.company_name.data or "").strip():
                ok = self._error(self.company_name, _l("Give the company's name."))
            siret = clean_siret(self.siret.data)
            if siret and not siret_ok(siret):
                ok = self._error(self.siret, _l("This SIRET is not valid: check its 14 digits."))
            self.parsed["siret"] = siret
            typed = (self.naf.data or "").strip()
            code = normalise_code(typed.split("—")[0]) if typed else None
            if typed and code not in naf_labels():
                found = search_naf(typed, limit=6)
                if len(found) == 1:
                    code = found[0][0]
                else:
                    ok = self._error(self.naf, _l(
                        "Pick one activity: %(options)s.",
                        options="; ".join(f"{c} {label}" for c, label in found))
                        if found else _l("Unknown NAF code: type it as 62.01Z, or a word."))
            self.parsed["naf_code"] = code or ""
        elif not (self.activity.data or "").strip():
            ok = self._error(self.activity, _l("Say what your activity is."))
        return ok

    def _check_numbers(self) -> bool:
        ok = True
        specs = [("days_per_week", 0.5, 7, {"step": 0.5, "required": True}),
                 ("budget_eur_month", 0, 5000, {"integer": True, "required": True}),
                 ("max_distance_km", 1, MAX_DISTANCE_KM, {"integer": True}),
                 ("days_per_quarter", 1, 92, {"integer": True,
                                              "required": self.formula.data == Formula.DAYS_PER_QUARTER}),
                 ("commute_km", 0, 500, {}),
                 ("commute_minutes", 0, 600, {"integer": True}),
                 ("commute_days_per_week", 0, 7, {"step": 0.5})]
        if self.is_company:
            specs.append(("headcount", 1, 1000, {"integer": True, "required": True}))
        for name, low, high, options in specs:
            field = getattr(self, name)
            try:
                self.parsed[name] = parse_number(field, low, high, **options)
            except ValidationError as error:
                ok = self._error(field, error.args[0])
        return ok

    def _check_places(self) -> bool:
        from app.territory.gazetteer import match_communes
        ok = True
        typed = (self.home_commune.data or "").strip()
        found = match_communes(db.session, typed) if typed else []
        error = commune_error(typed, found)
        if error:
            self.commune_candidates = commune_suggestions(typed, found)
            ok = self._error(self.home_commune, error)
        elif found:
            self.parsed["home_commune_insee"] = found[0].insee
        parts = [p.strip() for p in (self.acceptable_communes.data or "").replace(";", ",").split(",")]
        parts = [p for p in parts if p]
        codes, unknown = listed_communes(parts[:ACCEPTABLE_MAX + 1])
        if len(parts) > ACCEPTABLE_MAX:
            ok = self._error(self.acceptable_communes,
                             _l("At most %(n)d communes.", n=ACCEPTABLE_MAX))
        elif unknown:
            ok = self._error(self.acceptable_communes, unknown)
        self.parsed["acceptable_communes"] = codes
        if ok and not codes and self.parsed.get("max_distance_km") is None \
                and not self.max_distance_km.errors:
            ok = self._error(self.acceptable_communes,
                             _l("Give the communes where you would go, or a distance."))
        return ok


class CampaignAnswerForm(DeclarationForm):
    """The same questions, plus optional contact details for people without an account."""

    contact_name = StringField(_l("Your name (optional)"), validators=[Length(max=80)])
    contact_email = EmailField(_l("Your email (optional)"),
                               validators=[Optional(), Email(), Length(max=254)])
    contact_consent = BooleanField(_l("I agree that the organisers contact me about this "
                                      "census and coworking projects near me"))

    def validate_contact_consent(self, field) -> None:
        if (self.contact_email.data or self.contact_name.data) and not field.data:
            raise ValidationError(_l("Tick this box if you leave contact details, or leave "
                                     "them empty."))
