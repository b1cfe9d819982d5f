from __future__ import annotations

import secrets
from functools import lru_cache

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.blueprint import bp
from app.auth.forms import ChangePasswordForm, LoginForm, RegisterForm
from app.auth.mails import send_verification
from app.auth.redirects import safe_next
from app.demand.claims import forget_claims
from app.extensions import limiter, login_manager
from app.forms import explain_csrf_failure
from app.offline_storage import CLEAR_SITE_DATA
from app.security import csrf_in_form
from models import Profile, User, db


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The user of an "id:token" cookie value; None when the token changed since (password
    changed on another device)."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.suspended_at is not None:
        return None
    return user if secrets.compare_digest(user.session_token, token) else None


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _login_email_key() -> str:
    """Rate-limit key for one account, whatever address the attempts come from."""
    return "login:" + User.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
@csrf_in_form
def register():
    if current_user.is_authenticated:
        return redirect(url_for("people.edit"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = _create_account(form)
        if user is None:
            form.email.errors.append(_("An account already uses this address. "
                                       "Log in, or use another address."))
        else:
            login_user(user)
            session["login_id"] = secrets.token_hex(8)  # its sockets close at logout
            flash(_("Welcome to Maillage! Tell the network what you do and where you are."),
                  "success")
            flash(_("We sent a link to %(address)s: follow it to confirm your address.",
                    address=user.email), "info")
            return redirect(url_for("people.edit"))
    explain_csrf_failure(form)
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


def _create_account(form: RegisterForm) -> User | None:
    """The new member, or None when the address is taken (also when another request took it
    between our check and our commit: the unique constraint has the last word)."""
    email = User.normalise_email(form.email.data)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    user = User(email=email, display_name=" ".join(form.display_name.data.split()))
    user.set_password(form.password.data)
    user.profile = Profile()
    db.session.add(user)
    try:
        db.session.flush()
        send_verification(db.session, user)  # queued in the same transaction as the account
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return user


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
        if user is None:
            # Hash anyway, so that the response time does not tell which addresses have an
            # account.
            check_password_hash(_unknown_user_hash(), form.password.data)
        elif user.check_password(form.password.data) and user.suspended_at is not None:
            form.email.errors.append(_("An administrator suspended this account. Write to the "
                                       "network's organisers if you think it is a mistake."))
            return render_template("auth/login.html", form=form), 403
        elif user.check_password(form.password.data):
            forget_claims()  # another person's pending census answer is not theirs
            login_user(user, remember=form.remember.data)
            session["login_id"] = secrets.token_hex(8)  # its sockets close at logout
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
    user_id = current_user.id if current_user.is_authenticated else None
    login_id = session.get("login_id")
    logout_user()
    forget_claims()
    if user_id is not None:  # sockets keep the session they had at connect: close this login's
        current_app.extensions["maillage.chat"].disconnect_user(user_id, login_id)
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
            current_user.set_password(form.new_password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # this device stays logged in
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
