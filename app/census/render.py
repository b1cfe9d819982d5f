"""Pages rendered by more than one view module (a view module never imports another)."""
from __future__ import annotations

from flask import render_template

from app.census.access import CensusAccess
from app.census.forms import StatusForm, SwapForm
from app.census.queries import history, target_rows
from app.census.suppression import find
from models import CensusTarget, db


def target_page(access: CensusAccess, found: CensusTarget, form: StatusForm | None,
                swap_form: SwapForm) -> str:
    """A target's page: what may be shown of it, its status form (a fresh one filled from the
    target when `form` is None), the swap form, whether it is on the do-not-contact list, and
    its history."""
    if form is None:
        form = StatusForm(formdata=None)
        form.status.data = found.status
        form.note.data = found.note
    row = target_rows(db.session, access, in_sample=found.swapped_out_at is None,
                      ids=[found.id])[0]
    suppressed = find(db.session, siret=found.siret, user_id=found.user_id)
    replaced_by = db.session.get(CensusTarget, found.replaced_by_id) \
        if found.replaced_by_id else None
    return render_template("census/target.html", access=access, c=access.campaign, row=row,
                           t=found, form=form, swap_form=swap_form, suppressed=suppressed,
                           history=history(db.session, found), replaced_by=replaced_by)
