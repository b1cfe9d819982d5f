"""The member's mail preferences page, and the one-click unsubscribe links of mails."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.mailprefs.blueprint import bp
from app.mailprefs.forms import PreferencesForm
from app.mailprefs.labels import MODE_LABELS, label_of
from app.mailprefs.preferences import modes_of, set_mode, set_modes
from app.mailprefs.tokens import read_unsubscribe_token
from app.security import signed_link
from models import MailKind, MailMode, User, db


@bp.route("/people/me/mail", methods=["GET", "POST"])
@login_required
def preferences():
    current = modes_of(db.session, current_user.id)
    form = PreferencesForm(data={str(k): str(m) for k, m in current.items()})
    if form.validate_on_submit():
        set_modes(db.session, current_user.id,
                  {kind: MailMode(getattr(form, str(kind)).data) for kind in MailKind})
        db.session.commit()
        flash(_("Your mail preferences are saved."), "success")
        return redirect(url_for("mailprefs.preferences"))
    status = 422 if form.is_submitted() else 200
    return render_template("mailprefs/preferences.html", form=form, kinds=list(MailKind),
                           verified=current_user.email_verified_at is not None), status


def _invalid():
    return render_template("mailprefs/unsubscribe_invalid.html"), 400


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@signed_link
def unsubscribe(token: str):
    """GET: a confirmation page with a button (a link scanner must not unsubscribe anyone).
    POST (the button, or a mail program's RFC 8058 `List-Unsubscribe=One-Click`): that kind
    becomes "in the app only". No login: the signed token names the member and the kind."""
    found = read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        return _invalid()
    kind = found[1]
    if request.method == "POST":
        if isinstance(kind, MailMode):  # a digest: every kind in it
            for each, mode in modes_of(db.session, user.id).items():
                if mode == kind:
                    set_mode(db.session, user.id, each, MailMode.APP)
        else:
            set_mode(db.session, user.id, kind, MailMode.APP)
        db.session.commit()
        return render_template("mailprefs/unsubscribed.html", kind_label=label_of(kind),
                               app_label=MODE_LABELS[MailMode.APP])
    return render_template("mailprefs/unsubscribe.html", kind_label=label_of(kind),
                           token=token)
