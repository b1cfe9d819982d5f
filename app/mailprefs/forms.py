"""The preferences form: one group of radio buttons per kind of mail."""
from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import InputRequired

from app.forms import BaseForm
from app.mailprefs.labels import KIND_HINTS, KIND_LABELS, MODE_LABELS
from models import NOT_AT_ONCE, MailKind, MailMode


class PreferencesForm(BaseForm):
    pass


for _kind in MailKind:
    setattr(PreferencesForm, str(_kind), RadioField(
        KIND_LABELS[_kind], choices=[(str(m), MODE_LABELS[m]) for m in MailMode
                                     if not (m == MailMode.NOW and _kind in NOT_AT_ONCE)],
        description=KIND_HINTS.get(_kind, ""), validators=[InputRequired()]))

