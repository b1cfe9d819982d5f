"""Form helpers shared by every feature."""
from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from wtforms.validators import Regexp

from models.types import ID_MAX

# A name made only of invisible or punctuation characters would show as nothing.
has_letters = Regexp(r"(?s).*\w", message=_l("Use at least one letter or digit."))


class BaseForm(FlaskForm):
    """Every form of the site (CSRF from Flask-WTF; NUL characters are already gone from the
    request, see app/request.py). Forms read HTML form bodies only: Flask-WTF would also read a
    JSON body as the form (a list, a nested object or a thousand `[` there was a 500); a form
    route sent JSON sees an empty form and answers with the form's errors."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and _is_submitted() and not request.form and not request.files \
                    and request.is_json:
                return None
            return super().wrap_formdata(form, formdata)


_INT = re.compile(r"-?[0-9]{1,18}")


def int_or_none(raw: str | None) -> int | None:
    """A query argument as an int: ASCII digits only ("²".isdigit() is true), at most ID_MAX
    (a database integer on PostgreSQL too), else None."""
    if not raw or not _INT.fullmatch(raw):
        return None
    number = int(raw)
    return number if number <= ID_MAX else None


def explain_csrf_failure(form: FlaskForm) -> None:
    """Replace WTForms' technical CSRF message with one a person understands; the rest of the
    form is re-rendered with what they typed."""
    field = getattr(form, "csrf_token", None)
    if field is not None and field.errors:
        field.errors[:] = [_("This form had expired. Check what you entered, then send it again.")]
