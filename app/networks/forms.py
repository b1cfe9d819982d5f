from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms import BaseForm, has_letters
from app.images import forms as pictures
from app.people.forms import SKILL_LENGTH_MAX, commune_error, commune_suggestions, split_skills
from models import Epci, NetworkVisibility, Scope, db
from models.textkey import fold

TEXT_MAX = 20_000
POST_MAX = 10_000
NETWORK_SKILLS_MAX = 10

VISIBILITY_LABELS = {
    NetworkVisibility.OPEN: _l("Open: anyone can join after accepting the charter"),
    NetworkVisibility.REQUEST: _l("On request: an animator approves each member"),
    NetworkVisibility.PRIVATE: _l("Private: invisible to non-members, joined through an invitation link"),
}
SCOPE_LABELS = {
    Scope.TERRITORY: _l("The whole territory"),
    Scope.EPCI: _l("A community of communes"),
    Scope.COMMUNE: _l("A commune"),
}


class NetworkForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), has_letters])
    description = TextAreaField(_l("Description"), validators=[Length(max=TEXT_MAX)],
                                description=_l("Markdown: **bold**, *italics*, lists, links."))
    skills = StringField(_l("Skills"), validators=[Length(max=1000)],
                         description=_l("Separated by commas, e.g. “joinery, eco-building”."))
    scope = SelectField(_l("Territory"), choices=list(SCOPE_LABELS.items()))
    epci = SelectField(_l("Community of communes"), choices=[], validate_choice=False)
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)],
                          description=_l("Type a name or a postcode, e.g. “Rignac” or “12390”."))
    visibility = RadioField(_l("Who can join"), choices=list(VISIBILITY_LABELS.items()),
                            default=NetworkVisibility.OPEN)
    charter = TextAreaField(_l("Charter"), validators=[Length(max=TEXT_MAX)],
                            description=_l("The rules members accept before joining (Markdown). "
                                           "Every change is a new version, kept and audited."))
    material = BooleanField(_l("Material change: members accept the new version before they "
                               "post again"), default=True,
                            description=_l("Untick for a minor fix (a typo, a link): members "
                                           "then see the new version without accepting it."))

    logo = pictures.file_field(_l("Logo"), "logo")
    logo_remove = pictures.remove_field(_l("Remove the logo"))
    crop_x, crop_y, crop_size = (pictures.crop_field() for _ in range(3))

    scope_code = ""  # set by validate_scope
    picture = None  # set by validate_logo: the processed upload

    def validate_logo(self, field) -> None:
        pictures.check_picture(self, field, "logo")
    commune_candidates: list = []

    def fill_epci_choices(self) -> None:
        from sqlalchemy import select
        self.epci.choices = [("", "—")] + [
            (e.code, e.name) for e in db.session.scalars(select(Epci).order_by(Epci.name))]

    def validate_skills(self, field) -> None:
        names = split_skills(field.data)
        if len(names) > NETWORK_SKILLS_MAX:
            raise ValidationError(_l("At most %(n)d skills.", n=NETWORK_SKILLS_MAX))
        if any(max(len(n), len(fold(n))) > SKILL_LENGTH_MAX for n in names):
            raise ValidationError(_l("Each skill fits in %(n)d characters.", n=SKILL_LENGTH_MAX))

    def validate_scope(self, field) -> None:
        if field.data == Scope.EPCI:
            if self.epci.data not in {code for code, _ in self.epci.choices if code}:
                self.epci.errors = [str(_l("Choose the community of communes."))]
                raise ValidationError(_l("Choose the community of communes below."))
            self.scope_code = self.epci.data
        elif field.data == Scope.COMMUNE:
            from app.territory.gazetteer import match_communes
            typed = (self.commune.data or "").strip()
            found = match_communes(db.session, typed) if typed else []
            error = commune_error(typed, found) if typed else str(_l("Type the commune."))
            if error:
                self.commune_candidates = commune_suggestions(typed, found)
                self.commune.errors = [error]
                raise ValidationError(_l("Check the commune below."))
            self.scope_code = found[0].insee


class JoinForm(BaseForm):
    version = HiddenField()  # the charter version the person read
    accept = BooleanField(_l("I have read the charter and I accept it"),
                          validators=[InputRequired(message=_l("Accept the charter to join."))])


class RequestForm(BaseForm):
    message = TextAreaField(_l("A word for the animators (optional)"),
                            validators=[Length(max=500)])


class PostForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=POST_MAX), has_letters],
                         description=_l("Markdown. Write @ and a member's name to mention them."))


class CommentForm(BaseForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=POST_MAX), has_letters])


class InvitationForm(BaseForm):
    days = IntegerField(_l("Valid for (days)"), default=14,
                        validators=[InputRequired(), NumberRange(min=1, max=90)])


class NetworkFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name"))
    scope = SelectField(_l("Territory"), choices=[("", _l("All"))] + list(SCOPE_LABELS.items()),
                        validate_choice=False)
    epci = SelectField(_l("Community of communes"), choices=[], validate_choice=False)
    skill = StringField(_l("Skill"))


class MemberFilterForm(BaseForm):
    class Meta:
        csrf = False

    skill = StringField(_l("Skill"))
    commune = StringField(_l("Commune"))
