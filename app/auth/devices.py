"""The account's login sessions: the list (device, since, last seen), ending one, and "log out
everywhere"."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.auth import sessions
from app.auth.blueprint import bp
from app.demand.claims import forget_claims
from app.offline_storage import CLEAR_SITE_DATA
from models import db


@bp.route("/sessions")
@login_required
def devices():
    found = sessions.active_sessions(db.session, current_user)
    return render_template("auth/sessions.html", sessions=found,
                           current_id=current_user.login_session_id,
                           device_label=sessions.device_label)


@bp.post("/sessions/<id:login_id>/end")
@login_required
def end_device(login_id: int):
    """End another device's session (this device's is the "Log out" button)."""
    if login_id == current_user.login_session_id:
        return redirect(url_for("auth.logout"))
    if not sessions.end_session(db.session, current_user, login_id):
        abort(404)
    db.session.commit()
    flash(_("This device is logged out."), "success")
    return redirect(url_for("auth.devices"))


@bp.post("/sessions/end-all")
@login_required
def end_everywhere():
    """Every session of the account ends, this one too: copied cookies, remember-me cookies and
    open chat connections stop working everywhere."""
    sessions.end_everywhere(current_user._get_current_object())
    db.session.commit()
    logout_user()
    forget_claims()
    flash(_("You are logged out everywhere, on this device too. Log in again here if you wish."),
          "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
