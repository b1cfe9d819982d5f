"""The do-not-contact list (organisers only): who is on it, adding an establishment by SIRET,
taking an entry off with a reason."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.census.blueprint import bp
from app.census.forms import SuppressForm, UnsuppressForm
from app.census.suppression import suppress, unsuppress
from app.forms import explain_csrf_failure
from app.security import csrf_in_form
from models import CensusSuppression, SireneEstablishment, SuppressionReason, User, db

LIST_MAX = 2_000


def _require_organiser() -> None:
    if not current_user.is_organiser:
        abort(403)


def _page(form: SuppressForm, status: int = 200):
    entries = db.session.execute(
        select(CensusSuppression, SireneEstablishment.name, SireneEstablishment.diffusible,
               User.display_name)
        .outerjoin(SireneEstablishment, SireneEstablishment.siret == CensusSuppression.siret)
        .outerjoin(User, User.id == CensusSuppression.user_id)
        .order_by(CensusSuppression.id.desc()).limit(LIST_MAX)).all()
    return render_template("census/suppressions.html", form=form, entries=entries), status


@bp.route("/do-not-contact", methods=["GET", "POST"])
@login_required
@csrf_in_form
def suppressions():
    _require_organiser()
    form = SuppressForm()
    if form.validate_on_submit():
        suppress(db.session, current_user, SuppressionReason(form.reason.data),
                 siret=form.clean, note=form.note.data or "")
        db.session.commit()
        flash(_("This establishment will not be offered by any draw again."), "success")
        return redirect(url_for("census.suppressions"))
    explain_csrf_failure(form)
    return _page(form, 422 if form.errors else 200)


@bp.route("/do-not-contact/<id:entry_id>/remove", methods=["GET", "POST"])
@login_required
@csrf_in_form
def unsuppress_entry(entry_id: int):
    _require_organiser()
    entry = db.session.get(CensusSuppression, entry_id)
    if entry is None:
        abort(404)
    form = UnsuppressForm()
    if form.validate_on_submit():
        unsuppress(db.session, current_user, entry, form.reason.data)
        db.session.commit()
        flash(_("Taken off the do-not-contact list."), "success")
        return redirect(url_for("census.suppressions"))
    explain_csrf_failure(form)
    return render_template("census/unsuppress.html", form=form, entry=entry), \
        422 if form.errors else 200
