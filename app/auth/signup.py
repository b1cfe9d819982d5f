"""Signing up: the form, then a link mailed to the address; following it makes the account.

The form's answer is the same whether the address is new or taken (issue 20: sign-up does not
tell which addresses have an account): a 302 to "look in your mailbox", the same session cookie,
the same work (one password hash, one mail rendered). A new address gets a `PendingSignup` and
the link that finishes it; the owner of a taken one gets "someone tried to sign up with your
address" (`notify_owner_of_signup_attempt`). Nobody is logged in by the form.

The link's page has a button (a mail scanner opening the link creates nothing); its POST makes
the account from the pending sign-up (the address confirmed: the link came through that
mailbox), drops every pending sign-up of the address, and logs in through `sessions.log_in`.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth import sessions, tokens
from app.auth.blueprint import bp
from app.auth.forms import RegisterForm
from app.auth.mails import send_signup_attempt_notice, send_signup_link, signup_mail_allowed
from app.demand.claims import forget_claims
from app.extensions import limiter
from app.forms import BaseForm, explain_csrf_failure
from app.mail.compose import recipient_locale
from app.security import csrf_in_form
from models import PendingSignup, Profile, User, db
from models.types import utcnow
from models.user import hash_password

# A link in the address bar must not travel further (Referer) nor stay in a cache.
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
SENT_TO = "signup_sent_to"  # the session key of the address the last sign-up wrote to


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
@csrf_in_form
def register():
    """A valid form gets the same answer whether its address is new or taken: a 302 to
    `register_sent`, no message, the same session cookie (it remembers the address, for that
    page), the same work (one password hash; one mail rendered and, within the address's limit,
    queued; one DELETE of the expired pending sign-ups). A new address gets a pending sign-up
    and its link; the owner of a taken one is told (`notify_owner_of_signup_attempt`). Nobody
    is logged in here: the mailed link finishes the sign-up (`confirm_signup`)."""
    if current_user.is_authenticated:
        return redirect(url_for("people.edit"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        _sign_up(email, " ".join(form.display_name.data.split()), form.password.data)
        session[SENT_TO] = email
        return redirect(url_for("auth.register_sent"))
    explain_csrf_failure(form)
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/register/sent")
def register_sent():
    """Shows the address the session's last sign-up wrote to: kept by no cache."""
    return render_template("auth/register_sent.html", email=session.get(SENT_TO),
                           hours=tokens.SIGNUP_MAX_AGE // 3600), 200, PRIVATE_HEADERS


def notify_owner_of_signup_attempt(owner: User, allowed: bool = True) -> None:
    """Someone tried to sign up with the address of this existing account: tell its owner (with
    a link to log in and one to reset the password), queued in the caller's transaction;
    `allowed`: within the address's sign-up mail limit (`signup_mail_allowed`)."""
    send_signup_attempt_notice(db.session, owner, allowed)


def _sign_up(email: str, display_name: str, password: str) -> None:
    """The form's work, committed: the same for a new and a taken address."""
    password_hash = hash_password(password)
    # Counted first: the count may yield to other greenlets (Redis under gevent), which must
    # not happen while this transaction holds SQLite's write lock (README).
    allowed = signup_mail_allowed(email)
    db.session.execute(delete(PendingSignup).where(
        PendingSignup.created_at < utcnow() - timedelta(seconds=tokens.SIGNUP_MAX_AGE)))
    owner = db.session.scalar(select(User).where(User.email == email))
    if owner is not None:
        notify_owner_of_signup_attempt(owner, allowed)
    else:
        token, token_hash = tokens.new_signup_token()
        locale = recipient_locale()
        # The row and its mail in one transaction; past the address's mail limit, neither.
        if send_signup_link(db.session, email, display_name, token, locale, allowed):
            db.session.add(PendingSignup(email=email, display_name=display_name,
                                         password_hash=password_hash, token_hash=token_hash,
                                         locale=locale, created_at=utcnow()))
    db.session.commit()


def _pending(token: str) -> PendingSignup | None:
    token_hash = tokens.signup_token_hash(token)
    if token_hash is None:
        return None
    return db.session.scalar(select(PendingSignup).where(PendingSignup.token_hash == token_hash))


def _link_answer(reason: str, status: int):
    """The link does not (or no longer) finish a sign-up: why, and what to do instead."""
    return render_template("auth/signup_link_invalid.html", reason=reason,
                           hours=tokens.SIGNUP_MAX_AGE // 3600), status, PRIVATE_HEADERS


def _forget_pending(email: str) -> None:
    db.session.execute(delete(PendingSignup).where(PendingSignup.email == email))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@csrf_in_form
def confirm_signup(token: str):
    """GET shows a button (following or prefetching the link creates nothing); its POST makes
    the account. Unknown (or already used) link: 404; expired: 410; the address got an account
    meanwhile (another of its links was followed first, or a race): 409, no second account."""
    pending = _pending(token)
    if pending is None:
        return _link_answer("unknown", 404)
    if pending.created_at < utcnow() - timedelta(seconds=tokens.SIGNUP_MAX_AGE):
        return _link_answer("expired", 410)
    email = pending.email
    taken = db.session.scalar(select(User.id).where(User.email == email)) is not None
    form = BaseForm()
    if form.validate_on_submit():
        user = None if taken else _create_account(pending)
        if user is None:
            db.session.rollback()
            _forget_pending(email)  # none of them can make an account any more
            db.session.commit()
            return _link_answer("taken", 409)
        flash(_("Welcome to Maillage, %(name)s! Your account is ready and your address "
                "confirmed. Fill in your profile so that others can find you.",
                name=user.display_name), "success")
        return redirect(url_for("people.edit"))
    if taken:
        return _link_answer("taken", 409)
    status = 200
    if form.is_submitted():
        explain_csrf_failure(form)
        status = 422
    return render_template("auth/confirm_signup.html", form=form, pending=pending), status, \
        PRIVATE_HEADERS


def _create_account(pending: PendingSignup) -> User | None:
    """The new member, logged in on this device (whoever was logged in on it is logged out);
    None when the address has an account: the unique constraint on user.email has the last
    word (another request may have made it between our check and our write)."""
    user = User(email=pending.email, display_name=pending.display_name,
                password_hash=pending.password_hash, locale=pending.locale,
                email_verified_at=utcnow())  # the link came through that mailbox
    user.profile = Profile()
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        return None
    _forget_pending(user.email)
    if current_user.is_authenticated:  # another account's login on this device ends
        if current_user.login_session_id is not None:
            sessions.end_session(db.session, current_user, current_user.login_session_id)
        logout_user()
        forget_claims()
    sessions.log_in(user)
    db.session.commit()
    session.pop(SENT_TO, None)
    return user
