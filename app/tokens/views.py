"""/people/me/tokens: a member's personal access tokens."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.api.token_service import create_token, revoke_token
from app.security import csrf_in_form
from app.tokens.blueprint import bp
from app.tokens.forms import SCOPE_LABELS, token_form
from models import AccessToken, db


def _page(form, secret: str | None = None, status: int = 200):
    tokens = list(db.session.scalars(select(AccessToken).where(
        AccessToken.user_id == current_user.id).order_by(AccessToken.id.desc())))
    return render_template("tokens/tokens.html", form=form, tokens=tokens, secret=secret,
                           scope_labels=SCOPE_LABELS), status


@bp.route("/people/me/tokens", methods=["GET", "POST"])
@login_required
@csrf_in_form
def tokens():
    form = token_form(current_user)
    if form.validate_on_submit():
        _token, secret = create_token(db.session, current_user, form.name.data, form.scopes.data,
                                      int(form.expires.data) or None)
        db.session.commit()
        # Shown once, on this answer only (no redirect: the secret is never stored anywhere).
        return _page(token_form(current_user, fresh=True), secret=secret, status=201)
    return _page(form, status=422 if form.is_submitted() else 200)


@bp.post("/people/me/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not revoke_token(db.session, current_user, token_id):
        abort(404)
    db.session.commit()
    flash(_("The token is revoked: it no longer opens anything."), "success")
    return redirect(url_for("tokens.tokens"))
