"""The mails of accounts, each queued in the caller's transaction (the caller commits), and the
rate limits of the forms that send them."""
from __future__ import annotations

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from app.auth import tokens
from app.mail import queue_mail, render_only
from app.mail.compose import absolute_url
from models import User


def within_limit(app: Flask, setting: str, *key: str) -> bool:
    """Counts one hit against the limit in `setting` for `key`; False once it is used up."""
    ext = app.extensions.setdefault("maillage.account_mail_limiter", {})
    if "limiter" not in ext:
        ext["limiter"] = MovingWindowRateLimiter(
            storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    return ext["limiter"].hit(parse(app.config[setting]), setting.lower(), *key)


def send_verification(session: Session, user: User) -> None:
    queue_mail(session, user.email, "verify_address", {
        "name": user.display_name, "address": user.email,
        "url": absolute_url("auth.verify_address", token=tokens.verify_token(user))},
        user=user)


def send_password_reset(session: Session, user: User | None, email: str) -> None:
    """The reset mail to `user`; for an address without an account, the same work and no mail
    (the answer must not tell whether the address has an account)."""
    if user is None:
        render_only("password_reset", {"name": email, "url": absolute_url(
            "auth.reset_password", token=tokens.password_token(
                User(id=0, email=email, password_hash=email), "mail"))})
        return
    queue_mail(session, user.email, "password_reset", {
        "name": user.display_name,
        "url": absolute_url("auth.reset_password", token=tokens.password_token(user, "mail"))},
        user=user)


def signup_mail_allowed(email: str) -> bool:
    """Counts one sign-up mail to this address against SIGNUP_NOTICE_ADDRESS_LIMIT (sign-up mails
    an hour to one address, whichever kind). The count may wait on Redis, a yield under gevent:
    ask before the transaction writes anything (README, "no yield between a write and its
    commit"), and hand the answer to the functions below."""
    return within_limit(current_app, "SIGNUP_NOTICE_ADDRESS_LIMIT", email)


def send_signup_link(session: Session, email: str, name: str, token: str,
                     locale: str | None, allowed: bool) -> bool:
    """The link that finishes a sign-up (`/auth/register/confirm/<token>`), to its address.
    `allowed`: `signup_mail_allowed`'s answer; past the limit the same work, no mail, and False
    (the caller then keeps no pending sign-up; the links already sent still work)."""
    context = {"name": name, "address": email, "hours": tokens.SIGNUP_MAX_AGE // 3600,
               "url": absolute_url("auth.confirm_signup", token=token)}
    if allowed:
        queue_mail(session, email, "signup_link", context, locale=locale)
        return True
    render_only("signup_link", context, locale)
    return False


def send_signup_attempt_notice(session: Session, owner: User, allowed: bool) -> None:
    """Someone signed up with the address of this account: nothing was created, its owner is
    told, with a way in (log in, or reset the password); at most SIGNUP_NOTICE_ADDRESS_LIMIT
    sign-up mails an hour to one address (then the same work, no mail: no mailbox flooding)."""
    context = {"name": owner.display_name, "login_url": absolute_url("auth.login"),
               "reset_url": absolute_url("auth.forgot_password")}
    if allowed:  # `signup_mail_allowed(owner.email)`, asked before the transaction wrote
        queue_mail(session, owner.email, "signup_attempt", context, user=owner)
    else:
        render_only("signup_attempt", context)


def send_address_change(session: Session, user: User, new_email: str, *,
                        taken: bool = False) -> None:
    """A link to the new address (the change applies when followed), a notice to the old.
    `taken`: another account has the new address: the same work, but no link is sent."""
    context = {"name": user.display_name, "address": new_email,
               "url": absolute_url("auth.confirm_address",
                                   token=tokens.change_token(user, new_email))}
    if taken:
        render_only("confirm_new_address", context)
    else:
        queue_mail(session, new_email, "confirm_new_address", context, user=user)
    queue_mail(session, user.email, "address_change_notice", {
        "name": user.display_name, "address": new_email,
        "url": absolute_url("auth.forgot_password")}, user=user)


def recovery_url(user: User) -> str:
    return absolute_url("auth.reset_password", token=tokens.password_token(user, "admin"))

