"""Form helpers shared by every feature."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Regexp

# A name made only of invisible or punctuation characters would show as nothing.
has_letters = Regexp(r"(?s).*\w", message=_l("Use at least one letter or digit."))


def _strip_nul(value):
    """NUL characters are never meant, and PostgreSQL refuses them in text."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Every form of the site: CSRF from Flask-WTF, and text cleaned of NUL characters."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (*(unbound_field.kwargs.get("filters") or ()), _strip_nul)
            return unbound_field.bind(form=form, **options)


def explain_csrf_failure(form: FlaskForm) -> None:
    """Replace WTForms' technical CSRF message with one a person understands; the rest of the
    form is re-rendered with what they typed."""
    field = getattr(form, "csrf_token", None)
    if field is not None and field.errors:
        field.errors[:] = [_("This form had expired. Check what you entered, then send it again.")]
