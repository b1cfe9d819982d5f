"""Form helpers shared by every feature."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm


def explain_csrf_failure(form: FlaskForm) -> None:
    """Replace WTForms' technical CSRF message with one a person understands; the rest of the
    form is re-rendered with what they typed."""
    field = getattr(form, "csrf_token", None)
    if field is not None and field.errors:
        field.errors[:] = [_("This form had expired. Check what you entered, then send it again.")]
