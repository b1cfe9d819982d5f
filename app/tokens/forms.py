"""The form that creates a personal access token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from app.api.contract import ORGANISER_READ, READ, WRITE_POSTS, WRITE_PROFILE
from app.forms import BaseForm

SCOPE_LABELS = {
    READ: _l("Read what I can see (profiles, networks, places, events, my conversations)"),
    WRITE_PROFILE: _l("Change my profile"),
    WRITE_POSTS: _l("Post and reply in my networks"),
    ORGANISER_READ: _l("Read the organisers' figures (every use is in the audit log)"),
}
EXPIRY_CHOICES = [("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("1 year")),
                  ("0", _l("Never"))]


class TokenForm(BaseForm):
    name = StringField(_l("Name"), description=_l("What it is for, e.g. “Town hall website”."),
                       validators=[DataRequired(), Length(max=80)])
    scopes = SelectMultipleField(_l("What it may do"), validators=[DataRequired()],
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput())
    expires = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, default="90")


def token_form(user, fresh: bool = False) -> TokenForm:
    """The form for this member (the organiser scope for organisers only); `fresh`: empty,
    whatever was posted."""
    form = TokenForm(formdata=None) if fresh else TokenForm()
    form.scopes.choices = [(scope, label) for scope, label in SCOPE_LABELS.items()
                           if scope != ORGANISER_READ or user.is_organiser]
    return form
