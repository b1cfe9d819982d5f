"""/searches/: the member's saved searches (list, save, edit, delete), and where an alert's
link leads (the matching person's profile)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.confirm import confirm_page
from app.people.labels import kind_labels
from app.savedsearch.access import own_search_or_404
from app.savedsearch.blueprint import bp
from app.savedsearch.forms import SavedSearchForm
from app.savedsearch.service import Refused, criteria, describe, save, search_args
from app.social.notify import blocked_between
from models import Profile, SavedSearch, User, db


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """GET: the list. POST: save a search (the search page's "Me prévenir")."""
    form = SavedSearchForm()
    if form.is_submitted():
        return _save(form, None)
    searches = list(db.session.scalars(select(SavedSearch).where(
        SavedSearch.user_id == current_user.id).order_by(SavedSearch.id.desc())))
    return render_template("savedsearch/index.html", searches=searches, describe=describe,
                           search_args=search_args, kind_labels=kind_labels())


@bp.route("/<id:search_id>/edit", methods=["GET", "POST"])
@login_required
def edit(search_id: int):
    saved = own_search_or_404(db.session, search_id, current_user.id)
    form = SavedSearchForm(data={"q": saved.query, "commune": saved.commune,
                                 "within_km": saved.within_km,
                                 "profile_kind": str(saved.profile_kind or "")})
    if form.is_submitted():
        return _save(form, saved)
    return render_template("savedsearch/edit.html", form=form, saved=saved)


def _save(form: SavedSearchForm, saved: SavedSearch | None):
    if form.validate():
        try:
            found = save(db.session, current_user.id,
                         criteria(form.q.data, form.commune.data, form.within_km.data,
                                  form.profile_kind.data), saved)
        except Refused as refused:
            db.session.rollback()
            form.q.errors = [*form.q.errors, str(refused)]
        else:
            db.session.commit()
            flash(_("Saved: we will tell you when someone new matches “%(search)s”.",
                    search=describe(found)), "success")
            return redirect(url_for("saved_searches.index"))
    return render_template("savedsearch/edit.html", form=form, saved=saved), 422


@bp.route("/<id:search_id>/delete", methods=["GET", "POST"])
@login_required
def delete(search_id: int):
    saved = own_search_or_404(db.session, search_id, current_user.id)
    if request.method == "GET":
        return confirm_page(_("Delete the saved search “%(search)s”? You will not be told of "
                              "new matches any more.", search=describe(saved)), _("Delete"),
                            url_for("saved_searches.index"))
    db.session.delete(saved)
    db.session.commit()
    flash(_("The saved search is deleted."), "success")
    return redirect(url_for("saved_searches.index"))


@bp.route("/person/<id:user_id>")
@login_required
def person(user_id: int):
    """An alert's link: the person's profile (404 if gone, suspended, or across a block)."""
    profile_id = db.session.scalar(select(Profile.id).join(User, User.id == Profile.user_id)
                                   .where(User.id == user_id, User.suspended_at.is_(None)))
    if profile_id is None or user_id in blocked_between(db.session, current_user.id):
        abort(404)
    return redirect(url_for("people.profile", profile_id=profile_id))
