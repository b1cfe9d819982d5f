"""The census's forms (CSRF on). Errors are translated and the page comes back with everything
typed (422)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.census.labels import REASON_LABELS, STATUS_LABELS
from app.census.sample import SIZE_MAX
from app.demand.forms import CampaignAnswerForm, MultiCheckboxField, parse_number
from app.demand.naf import naf_divisions
from app.demand.validators import clean_siret, siret_ok
from app.forms import BaseForm
from app.people.forms import listed_communes
from models import User, db

COMMUNES_MAX = 200
ANSWERS_MAX = 100_000
_SEED = re.compile(r"[A-Za-z0-9-]{1,40}")


def split_list(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").replace(";", ",").split(",") if p.strip()]


class FrameForm(BaseForm):
    epci_codes = MultiCheckboxField(_l("Communities of communes surveyed"), choices=[],
                                    description=_l("With the communes below; none of either: "
                                                   "the whole territory."))
    communes = StringField(_l("Other communes surveyed"), validators=[Length(max=6000)],
                           description=_l("Separated by commas, e.g. “Rignac, Belcastel”."))
    deadline = DateField(_l("Deadline"), validators=[DataRequired(message=_l("Give a date."))],
                         description=_l("Answers are collected until this date, when the "
                                        "results are due; it is the campaign's closing date."))
    letter_text = TextAreaField(_l("Text of the letters"), validators=[Length(max=3000)],
                                description=_l("Markdown. Empty: a standard text. The link, "
                                               "its QR code and how to refuse are added to "
                                               "each letter."))
    flyer_text = TextAreaField(_l("Text of the flyer"), validators=[Length(max=1500)],
                               description=_l("Markdown. Empty: the campaign's introduction."))

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.commune_codes: list[str] = []

    def validate_deadline(self, field) -> None:
        starts = self.campaign.starts_on if self.campaign is not None else None
        if starts is None or field.data is None:
            return
        if field.data < starts:
            raise ValidationError(_l("The deadline cannot be before the campaign opens "
                                     "(%(date)s).", date=starts.strftime("%d/%m/%Y")))
        if field.data - starts > timedelta(days=730):
            raise ValidationError(_l("Two years at most."))

    def validate_communes(self, field) -> None:
        parts = split_list(field.data)
        if len(parts) > COMMUNES_MAX:
            raise ValidationError(_l("At most %(n)d communes.", n=COMMUNES_MAX))
        self.commune_codes, error = listed_communes(parts)
        if error:
            raise ValidationError(error)


def epci_form(epcis, tracks) -> type:
    """A form with, for each EPCI of the territory, its referent's e-mail address and the
    answers aimed at per questionnaire (fields `referent_<code>`, `<track>_<code>`)."""
    fields = {}
    for epci in epcis:
        fields[f"referent_{epci.code}"] = StringField(
            _l("Referent (their e-mail address on Maillage)"),
            validators=[Optional(), Length(max=254)])
        for track, label in tracks:
            fields[f"{track}_{epci.code}"] = StringField(label)
    form = type("EpciForm", (_EpciForm,), fields)
    form.epcis = list(epcis)
    form.tracks = [track for track, _label in tracks]
    return form


class _EpciForm(BaseForm):
    epcis: list = []
    tracks: list = []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.parsed: dict[str, tuple[User | None, dict[str, int]]] = {}
        for epci in self.epcis:
            referent = None
            field = self[f"referent_{epci.code}"]
            typed = (field.data or "").strip()
            if typed:
                referent = db.session.scalar(db.select(User).where(
                    User.email == User.normalise_email(typed)))
                if referent is None or referent.suspended_at is not None:
                    field.errors = list(field.errors) + [str(_l(
                        "No account with this address: the referent must be a member of "
                        "Maillage."))]
                    ok = False
            answers = {}
            for track in self.tracks:
                number = self[f"{track}_{epci.code}"]
                try:
                    answers[track] = parse_number(number, 0, ANSWERS_MAX, integer=True) or 0
                except ValidationError as error:
                    number.errors = list(number.errors) + [str(error.args[0])]
                    ok = False
            self.parsed[epci.code] = (referent, answers)
        return ok


def _divisions(field) -> list[str]:
    codes = [c.strip() for c in split_list(field.data)]
    known = naf_divisions()
    wrong = [c for c in codes if c not in known]
    if wrong:
        raise ValidationError(_l("Unknown NAF divisions: %(codes)s. Give two-digit codes, "
                                 "e.g. “62, 90”.", codes=", ".join(wrong[:5])))
    return list(dict.fromkeys(codes))


class DrawForm(BaseForm):
    size = StringField(_l("Number of targets"), description=_l("e.g. 20"))
    seed = StringField(_l("Seed"), validators=[Length(max=40)],
                       description=_l("Empty: one is chosen and shown. The same seed over the "
                                      "same data draws the same sample."))
    naf_include = StringField(_l("Only these NAF divisions"), validators=[Length(max=400)],
                              description=_l("Two-digit codes separated by commas, e.g. "
                                             "“62, 70, 90”. Empty: every activity."))
    naf_exclude = StringField(_l("Except these NAF divisions"), validators=[Length(max=400)],
                              description=_l("e.g. “01, 84” (farming, public administration)."))
    include_members = BooleanField(_l("Also draw among members who have not declared"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.parsed: dict = {}
        try:
            self.parsed["size"] = parse_number(self.size, 1, SIZE_MAX, integer=True,
                                               required=True)
        except ValidationError as error:
            self.size.errors = list(self.size.errors) + [str(error.args[0])]
            ok = False
        seed = (self.seed.data or "").strip()
        if seed and not _SEED.fullmatch(seed):
            self.seed.errors = list(self.seed.errors) + [str(_l(
                "Letters, digits and hyphens only."))]
            ok = False
        self.parsed["seed"] = seed
        for name in ("naf_include", "naf_exclude"):
            field = getattr(self, name)
            try:
                self.parsed[name] = _divisions(field)
            except ValidationError as error:
                field.errors = list(field.errors) + [str(error.args[0])]
                ok = False
        return ok


class StatusForm(BaseForm):
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    note = StringField(_l("Short note"), validators=[Length(max=280)],
                       description=_l("Facts only (“call back after 14 May”): nothing about the "
                                      "person beyond what they agreed to give."))


class SwapForm(BaseForm):
    reason = StringField(_l("Why swap this target"),
                         validators=[DataRequired(message=_l("Give a reason: it is kept in the "
                                                             "log.")), Length(max=280)])
    siret = StringField(_l("Replace with this establishment (SIRET, optional)"),
                        validators=[Length(max=30)],
                        description=_l("Empty: the next one of the same stratum, in the draw's "
                                       "order."))

    def validate_siret(self, field) -> None:
        siret = clean_siret(field.data)
        if siret and not siret_ok(siret):
            raise ValidationError(_l("This SIRET is not valid: check its 14 digits."))
        self.clean = siret or None


class SuppressForm(BaseForm):
    siret = StringField(_l("SIRET"), validators=[DataRequired(message=_l("Give the SIRET.")),
                                                 Length(max=30)])
    reason = SelectField(_l("Reason"), choices=list(REASON_LABELS.items()))
    note = StringField(_l("Short note"), validators=[Length(max=280)])

    def validate_siret(self, field) -> None:
        siret = clean_siret(field.data)
        if not siret_ok(siret):
            raise ValidationError(_l("This SIRET is not valid: check its 14 digits."))
        self.clean = siret


class UnsuppressForm(BaseForm):
    reason = StringField(_l("Why take it off the list"),
                         validators=[DataRequired(message=_l("Give a reason: it is kept in the "
                                                             "log.")), Length(max=280)],
                         description=_l("e.g. “agreed on the phone on 3 March to be contacted "
                                        "again”."))


class FieldAnswerForm(CampaignAnswerForm):
    """An answer entered in the field: the campaign's questions, the person's optional contact,
    the consent they give (required; its text is shown beside the box and stored), and the
    target it answers for, if any (organisers and referents)."""

    consent = BooleanField(_l("The person agrees"), validators=[DataRequired(
        message=_l("Tick this box once the person has agreed: without their consent, their "
                   "answers cannot be entered."))])
    target = SelectField(_l("Target of the sample (optional)"), choices=[("", "")], default="",
                         description=_l("If the person is one of the sample's targets, it is "
                                        "marked answered."))
