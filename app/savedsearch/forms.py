"""The saved search form: what the search page's "Me prévenir" posts, and the edit form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.forms import BaseForm
from app.people.labels import kind_labels
from app.savedsearch.service import QUERY_MAX, WITHIN_MAX


class SavedSearchForm(BaseForm):
    q = StringField(_l("Words"), validators=[Length(max=QUERY_MAX)],
                    description=_l("What you would type in the search box: “menuisier”, "
                                   "“graphiste près de Millau”…"))
    commune = StringField(_l("Commune"), validators=[Length(max=120)])
    within_km = IntegerField(_l("Within (km)"), validators=[Optional(),
                                                            NumberRange(min=0, max=WITHIN_MAX)])
    profile_kind = SelectField(_l("Kind of profile"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile_kind.choices = [("", _l("Any"))] + [(str(k), v)
                                                          for k, v in kind_labels().items()]
