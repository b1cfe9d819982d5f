"""Forms sent once: a POST carrying `idempotency_key` (a hidden field made when the form page is
rendered, `idempotency_field()` in templates) is acted on the first time only. A second request
with the same key, from the same person (a double click, or the browser's outbox sending again
what was written offline because the first answer was lost), is sent where the first one went.

The key is claimed (a committed row) before the view runs, so two copies racing each other
cannot both act: the second gets 409 (with Retry-After) while the first is being handled. A view
that did not succeed (a form error, no redirect) releases the key, so that the corrected form
can be sent with the same key. The same key with other fields (a page shown again by the Back
button, edited and sent) is a new request, not a duplicate. Keys are kept KEEP_DAYS days.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import Flask, g, redirect, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from models import IdempotencyKey, db
from models.types import utcnow

FIELD = "idempotency_key"
KEEP_DAYS = 7


def fingerprint() -> str:
    fields = sorted((k, v) for k, values in request.form.lists() for v in values
                    if k not in ("csrf_token", FIELD))
    return hashlib.sha256(repr(fields).encode()).hexdigest()


def idempotency_field() -> Markup:
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(16)}">')


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.form.get(FIELD, "") if request.method == "POST" else ""
        if not key or len(key) > 64 or not current_user.is_authenticated \
                or g.get("idempotency_claimed"):  # (a view calling another: claimed already)
            return view(*args, **kwargs)
        g.idempotency_claimed = True
        user_id, printed = current_user.id, fingerprint()
        db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at < utcnow() - timedelta(days=KEEP_DAYS)))
        db.session.add(IdempotencyKey(user_id=user_id, key=key, fingerprint=printed))
        try:
            db.session.commit()
        except IntegrityError:  # sent before
            db.session.rollback()
            first = db.session.execute(select(IdempotencyKey.location, IdempotencyKey.fingerprint)
                                       .where(IdempotencyKey.user_id == user_id,
                                              IdempotencyKey.key == key)).first()
            if first is None or first.fingerprint != printed:
                return view(*args, **kwargs)  # other fields: not a copy of the first request
            if not first.location:  # the first copy is still being handled: try again soon
                from app.errors import _render
                body, _code = _render(409)
                return body, 409, {"Retry-After": "2"}
            return redirect(first.location, 303)
        try:
            response = view(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            _release(user_id, key)
            raise
        if response is not None and getattr(response, "status_code", 200) in (301, 302, 303) \
                and response.location:
            db.session.execute(update(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                .values(location=response.location[:500]))
        else:
            db.session.rollback()
            db.session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
        db.session.commit()
        return response
    return wrapper


def _release(user_id: int, key: str) -> None:
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                    IdempotencyKey.key == key))
    db.session.commit()


def init_app(app: Flask) -> None:
    app.jinja_env.globals["idempotency_field"] = idempotency_field
