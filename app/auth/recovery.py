"""Getting back in: "Mot de passe oublié ?" (a mail with a link valid one hour, once) and the
link an admin issues to hand over by phone (app/admin/). Following either sets a new password
and signs every other device out."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select, update

from app.auth import two_factor
from app.auth.blueprint import bp
from app.auth.forms import ForgotPasswordForm, ResetPasswordForm
from app.auth.mails import send_password_reset, within_limit
from app.auth.tokens import password_token_user
from app.demand.claims import forget_claims
from app.forms import explain_csrf_failure
from app.moderation.audit import audit
from app.security import csrf_in_form
from models import User, db
from models.types import utcnow

# A link in the address bar must not travel further (Referer) nor stay in a cache.
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.route("/forgot", methods=["GET", "POST"])
@csrf_in_form
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not within_limit(current_app, "PASSWORD_RESET_RATE_LIMIT", get_remote_address()):
            form.email.errors.append(_("Too many requests from your connection. Wait a few "
                                       "minutes, then try again."))
            return render_template("auth/forgot.html", form=form), 429
        email = User.normalise_email(form.email.data)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None and user.suspended_at is not None:
            user = None  # a suspended account gets no link (and the answer is the same)
        # Past a few mails an hour to one address, none: the answer stays the same.
        if within_limit(current_app, "PASSWORD_RESET_ADDRESS_LIMIT", email):
            send_password_reset(db.session, user, email)
            db.session.commit()
        return render_template("auth/forgot_sent.html", email=email)
    explain_csrf_failure(form)
    return render_template("auth/forgot.html", form=form), 200 if not form.errors else 422


@bp.route("/reset/<token>", methods=["GET", "POST"])
@csrf_in_form
def reset_password(token: str):
    found = password_token_user(db.session, token)
    if found is None:
        return render_template("auth/link_invalid.html", retry=url_for("auth.forgot_password")), \
            400, PRIVATE_HEADERS
    user, via = found
    form = ResetPasswordForm()
    if form.validate_on_submit():
        # The link is good while the password it was made for is: take that password's row
        # first (a second request with the same link waits for this one's commit, then finds
        # the password changed, as a link followed twice in turn does).
        if db.session.execute(update(User).where(
                User.id == user.id, User.password_hash == user.password_hash)
                .values(password_hash=User.password_hash)
                .execution_options(synchronize_session=False)).rowcount != 1:
            db.session.rollback()
            return render_template("auth/link_invalid.html",
                                   retry=url_for("auth.forgot_password")), 400, PRIVATE_HEADERS
        user.set_password(form.new_password.data)  # a new session token: other devices out
        if via == "mail" and user.email_verified_at is None:
            user.email_verified_at = utcnow()  # the link came through that mailbox
        if via == "admin":
            audit(db.session, user, "recovery_used", "profile",
                  user.profile.id if user.profile else None, label=user.display_name,
                  reason="recovery link followed, new password set")
        db.session.commit()
        if user.suspended_at is not None:
            flash(_("Your password has been changed. An administrator suspended this account: "
                    "you cannot log in."), "info")
            return redirect(url_for("auth.login"))
        forget_claims()
        # A login session of its own (every other one ended above), after the second factor
        # for an account that has one: a reset link is no way around it.
        second_step = two_factor.login_or_second_step(user, False)
        if second_step is not None:
            flash(_("Your new password is set. Every other device is logged out."), "success")
            return second_step
        db.session.commit()
        flash(_("Your new password is set. Every other device is logged out."), "success")
        return redirect(url_for("main.home"))
    explain_csrf_failure(form)
    return render_template("auth/reset.html", form=form, user=user, via=via), \
        200 if not form.errors else 422, PRIVATE_HEADERS
