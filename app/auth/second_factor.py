"""Two-factor sign-in pages: setting it up from one's account, the login's second step, turning
it off; and the gate that keeps organisers and admins without it out of staff pages when
STAFF_2FA_REQUIRED (app/auth/two_factor.py)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.auth import sessions, two_factor
from app.auth.blueprint import bp
from app.auth.forms import TwoFactorDisableForm, TwoFactorLoginForm, TwoFactorSetupForm
from app.auth.mails import within_limit
from app.demand.claims import forget_claims
from app.forms import explain_csrf_failure
from app.security import csrf_in_form, safe_local_path
from models import db


@bp.before_app_request
def staff_need_two_factor():
    """An organiser or admin without two-factor sign-in, when it is required: staff pages send
    them to set it up; the staff JSON API answers 403 `two_factor_required`."""
    if request.blueprint not in two_factor.STAFF_BLUEPRINTS \
            and not request.path.startswith(two_factor.STAFF_API_PREFIXES):
        return None
    if not two_factor.staff_blocked(current_user):
        return None
    message = _("Organisers and administrators set up two-step login before using the staff "
                "pages.")
    if request.path.startswith("/api/"):
        return {"ok": False, "error": {"code": "two_factor_required", "message": message}}, 403
    flash(message, "info")
    return redirect(url_for("auth.two_factor_setup", next=request.full_path.rstrip("?")))


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@csrf_in_form
def two_factor_setup():
    user = current_user._get_current_object()
    if two_factor.enabled(user):
        return render_template("auth/two_factor_status.html", form=TwoFactorDisableForm(),
                               left=two_factor.recovery_codes_left(db.session, user),
                               required=_required(user))
    if request.method == "GET":
        if _unverified(user):
            return _verify_first()
        user.totp_secret = None  # a new key on each visit: one seen before is not kept
    two_factor.start_setup(user)
    db.session.commit()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        if _unverified(user):  # after the CSRF check, as every POST
            return _verify_first()
        codes = two_factor.confirm_setup(db.session, user, form.code.data)
        if codes is not None:
            # Logins made with the password alone end; this device stays, in a new session.
            user.sign_out_everywhere()
            sessions.keep_logged_in(user)
            db.session.commit()
            return render_template("auth/two_factor_codes.html", codes=codes,
                                   next=safe_local_path(request.args.get("next") or "")
                                   or url_for("main.home"))
        db.session.rollback()
        form.code.errors.append(_("This code is not the one the app shows now. Check the "
                                  "phone's time, wait for a new code and try again."))
    explain_csrf_failure(form)
    return render_template("auth/two_factor_setup.html", form=form,
                           qr=two_factor.qr_svg(user), secret=two_factor.grouped(user.totp_secret),
                           required=_required(user)), 422 if form.errors else 200


def _unverified(user) -> bool:
    """Someone who signed up with another person's address must not be able to put a second
    factor of theirs on the account before its owner claims it by a reset: an address not
    confirmed yet cannot turn it on (staff, who must, are not held back)."""
    return user.email_verified_at is None and not _required(user)


def _verify_first():
    flash(_("Confirm your address first (the link we mailed you, or send it again from your "
            "profile): two-step login protects an account whose address is yours."), "info")
    return redirect(url_for("people.me"))


def _required(user) -> bool:
    return bool(current_app.config.get("STAFF_2FA_REQUIRED")) and user.is_organiser


@bp.post("/two-factor/disable")
@login_required
@csrf_in_form
def two_factor_disable():
    user = current_user._get_current_object()
    form = TwoFactorDisableForm()
    valid = form.validate_on_submit()  # the CSRF token first, whatever the account's state
    if not two_factor.enabled(user):
        if not valid:
            abort(400)
        return redirect(url_for("auth.two_factor_setup"))
    status = 422
    if _required(user):
        form.code.errors.append(_("Two-step login is required for organisers and "
                                  "administrators: it stays on."))
        status = 403
    elif valid:
        if two_factor.check_totp(user, form.code.data):
            two_factor.disable(db.session, user)
            db.session.commit()
            flash(_("Two-step login is off."), "info")
            return redirect(url_for("auth.two_factor_setup"))
        db.session.rollback()
        form.code.errors.append(_("This code is not the one the app shows now. Check the "
                                  "phone's time, wait for a new code and try again."))
    explain_csrf_failure(form)
    return render_template("auth/two_factor_status.html", form=form,
                           left=two_factor.recovery_codes_left(db.session, user),
                           required=_required(user)), status


@bp.route("/two-factor", methods=["GET", "POST"])
@csrf_in_form
def two_factor_login():
    """The login's second step: the login session is made only here, after a right code."""
    found = two_factor.pending(db.session)
    form = TwoFactorLoginForm()
    if found is None:
        if request.method == "POST" and not form.validate_on_submit() \
                and "csrf_token" in form.errors:
            abort(400)  # the CSRF token first, whatever the state of the login
        flash(_("Your login has expired or was not started: log in again."), "info")
        return redirect(url_for("auth.login"))
    user, state = found
    status = 200
    if form.validate_on_submit():
        if not (within_limit(current_app, "TWO_FACTOR_RATE_LIMIT", f"user:{user.id}")
                and within_limit(current_app, "TWO_FACTOR_RATE_LIMIT", get_remote_address())):
            form.code.errors.append(_("Too many codes tried. Wait a minute, then try again."))
            return render_template("auth/two_factor_login.html", form=form), 429
        if two_factor.second_factor(db.session, user, form.code.data):
            session.pop(two_factor.PENDING, None)
            forget_claims()
            sessions.log_in(user, remember=state.get("remember", False))
            db.session.commit()
            return redirect(safe_local_path(state.get("next") or "") or url_for("main.home"))
        db.session.rollback()
        form.code.errors.append(_("This code is not right, or was already used. Type the code "
                                  "the app shows now, or an unused recovery code."))
    explain_csrf_failure(form)
    if form.errors:
        status = 422
    return render_template("auth/two_factor_login.html", form=form), status

