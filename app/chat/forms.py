"""The chat pages' forms: a message (the page without JavaScript) and a new group."""
from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.chat.messages import BODY_MAX, CLIENT_ID_MAX
from app.demand.forms import MultiCheckboxField
from app.forms import BaseForm


class MessageForm(BaseForm):
    """The page's own form: sends without JavaScript (the page reloads); with JavaScript the
    socket takes over. `client_id` is fresh per rendered form, so a resubmitted form is not a
    second message."""
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)],
                         description=_l("**bold**, *italics*, [link](https://…), `code`. "
                                        "Enter sends, Shift+Enter goes to the line."))
    client_id = HiddenField(validators=[DataRequired(), Length(max=CLIENT_ID_MAX)])

    def fresh(self) -> MessageForm:
        self.client_id.data = "form-" + uuid.uuid4().hex
        return self


class GroupForm(BaseForm):
    name = StringField(_l("Name of the conversation"), validators=[DataRequired(), Length(max=80)])
    people = MultiCheckboxField(_l("People"), coerce=int,
                                description=_l("Up to 19 of your connections."))
