"""The account's address: confirming it (the link mailed at sign-up, sent again on request) and
changing it (password asked; a link to the new address, which applies the change, and a notice
to the old one)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.blueprint import bp
from app.auth.forms import ChangeEmailForm
from app.auth.mails import send_address_change, send_verification, within_limit
from app.auth.tokens import change_token_user, verify_token_user
from app.forms import BaseForm, explain_csrf_failure
from app.security import csrf_in_form
from models import User, db
from models.types import utcnow

PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.route("/verify/<token>")
def verify_address(token: str):
    """Following the link is the proof (a second visit changes nothing)."""
    user = verify_token_user(db.session, token)
    if user is None:
        retry = url_for("people.me") if current_user.is_authenticated else url_for("auth.login")
        return render_template("auth/link_invalid.html", retry=retry), 400, PRIVATE_HEADERS
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    flash(_("Thank you: your address %(address)s is confirmed.", address=user.email), "success")
    return redirect(url_for("main.home"))


@bp.post("/verify-again")
@login_required
def resend_verification():
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_("Your address is already confirmed."), "info")
    elif not within_limit(current_app, "VERIFY_RESEND_RATE_LIMIT", "resend", str(user.id)):
        flash(_("We already sent several links this hour. Look in your spam folder, or try "
                "again later."), "error")
    else:
        send_verification(db.session, user)
        db.session.commit()
        flash(_("We sent a new link to %(address)s.", address=user.email), "success")
    return redirect(url_for("people.me"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
@csrf_in_form
def change_email():
    form = ChangeEmailForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        new_email = User.normalise_email(form.new_email.data)
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        elif new_email == user.email:
            form.new_email.errors.append(_("This is already your address."))
        elif not within_limit(current_app, "VERIFY_RESEND_RATE_LIMIT", "change", str(user.id)):
            form.new_email.errors.append(_("Too many changes asked this hour. Try again later."))
            status = 429
        else:
            # An address another account has gets the same answer (no way to learn who has an
            # account here): its link is not sent, the notice to the old address is.
            taken = db.session.scalar(select(User.id).where(User.email == new_email)) is not None
            send_address_change(db.session, user, new_email, taken=taken)
            db.session.commit()
            flash(_("We sent a link to %(new)s: your address changes when you follow it. A "
                    "notice went to %(old)s.", new=new_email, old=user.email), "success")
            return redirect(url_for("people.me"))
    explain_csrf_failure(form)
    if form.errors and status == 200:
        status = 422
    return render_template("auth/email.html", form=form), status


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@csrf_in_form
def confirm_address(token: str):
    """GET shows what will change and a button (a mail scanner opening the link changes
    nothing); the POST applies it."""
    found = change_token_user(db.session, token)
    if found is None:
        retry = url_for("auth.change_email") if current_user.is_authenticated \
            else url_for("auth.login")
        return render_template("auth/link_invalid.html", retry=retry), 400, PRIVATE_HEADERS
    user, new_email = found
    form = BaseForm()
    status = 200
    if form.validate_on_submit():
        user.email = new_email
        user.email_verified_at = utcnow()
        try:
            db.session.commit()
        except IntegrityError:  # another account took the address since the link was sent
            db.session.rollback()
            return render_template("auth/link_invalid.html", taken=True,
                                   retry=url_for("auth.change_email")), 409, PRIVATE_HEADERS
        flash(_("Your address is now %(address)s.", address=new_email), "success")
        return redirect(url_for("main.home"))
    if form.is_submitted():
        explain_csrf_failure(form)
        status = 422
    return render_template("auth/confirm_address.html", form=form, user=user,
                           new_email=new_email), status, PRIVATE_HEADERS
