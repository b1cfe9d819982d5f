from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from app.auth import sessions, two_factor
from app.auth.blueprint import bp
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.redirects import safe_next
from app.demand.claims import forget_claims
from app.extensions import limiter, login_manager
from app.forms import explain_csrf_failure
from app.offline_storage import CLEAR_SITE_DATA
from app.security import csrf_in_form
from models import User, db
from models.user import dummy_password_hash, verify_password


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The user of an "id:account token:login secret" cookie value (app/auth/sessions.py); None
    once the login session ended or the account token changed."""
    return sessions.load(cookie_id)


def _login_email_key() -> str:
    """Rate-limit key for one account, whatever address the attempts come from."""
    return "login:" + User.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"],
               key_func=_login_email_key)
@csrf_in_form
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("main.home")))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(User.email == User.normalise_email(form.email.data)))
        # Exactly one password check whatever the address: an unknown one is checked against a
        # hash made with the same method, so neither the time nor the work tells which
        # addresses have an account.
        correct = verify_password(user.password_hash if user is not None
                                  else dummy_password_hash(), form.password.data)
        if user is not None and correct and user.suspended_at is not None:
            form.email.errors.append(_("An administrator suspended this account. Write to the "
                                       "network's organisers if you think it is a mistake."))
            return render_template("auth/login.html", form=form), 403
        if user is not None and correct:
            forget_claims()  # another person's pending census answer is not theirs
            second_step = two_factor.login_or_second_step(user, form.remember.data)
            if second_step is not None:
                return second_step  # no login session until the code (app/auth/two_factor.py)
            db.session.commit()
            return redirect(safe_next(url_for("main.home")))
        form.password.errors.append(_("Wrong email address or password."))
    explain_csrf_failure(form)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks for confirmation (a link must not log anyone out); POST, with CSRF, does it."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("main.home"))
        return render_template("auth/logout.html")
    if current_user.is_authenticated and current_user.login_session_id is not None:
        # The login session ends: this cookie and its remember-me cookie no longer work, even
        # copied elsewhere, and its sockets close at the commit (realtime/hooks.py).
        sessions.end_session(db.session, current_user, current_user.login_session_id)
        db.session.commit()
    logout_user()
    forget_claims()
    flash(_("You are logged out."), "info")
    response = redirect(url_for("main.home"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA  # saved pages, outbox: gone
    return response


@bp.route("/password", methods=["GET", "POST"])
@login_required
@csrf_in_form
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        else:
            user = current_user._get_current_object()
            user.set_password(form.new_password.data)  # every login session ends
            sessions.keep_logged_in(user)  # this device stays logged in, in a new one
            db.session.commit()
            flash(_("Your password has been changed. Your other devices are logged out."),
                  "success")
            return redirect(url_for("people.edit"))
    explain_csrf_failure(form)
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422


def login_rate_limited():
    """429 on the login form: the form again, with the address kept and a clear message."""
    form = LoginForm()
    form.password.errors = [_("Too many login attempts from your connection. "
                              "Wait a minute, then try again.")]
    return render_template("auth/login.html", form=form), 429
