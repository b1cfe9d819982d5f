from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from app.forms import BaseForm


class ConnectForm(BaseForm):
    message = TextAreaField(_l("A message (optional)"), validators=[Length(max=500)],
                            description=_l("Say who you are and why you would like to connect."))
