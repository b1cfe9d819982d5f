"""The steps of joining a network that the join button (membership.py) and an invitation link
(invitations.py) share: the charter accepted must be the current one; a request to join is
sent, and the person is told so."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.forms import explain_csrf_failure
from app.networks.access import Access
from app.networks.forms import JoinForm, RequestForm
from app.networks.service import request_to_join
from models import Invitation, Network, db


def read_current_charter(form: JoinForm, network: Network) -> bool:
    """The charter accepted must be the one the person read: if it changed meanwhile, they
    read the new one first."""
    if form.version.data != str(network.charter_version):
        form.accept.errors = list(form.accept.errors) + [
            _("The charter has just changed: read this version, then accept it.")]
        return False
    return True


def send_request(access: Access, invitation: Invitation | None = None):
    """Ask to join (through `invitation` for a private network); the form again when refused."""
    form = RequestForm()
    network = access.network
    if not form.validate_on_submit():
        explain_csrf_failure(form)
        template = "networks/invitation.html" if invitation else "networks/charter.html"
        return render_template(template, access=access, network=network, invitation=invitation,
                               join_form=JoinForm(), request_form=form), 422
    try:
        request_to_join(db.session, network, current_user, form.message.data or "")
        db.session.commit()
    except IntegrityError:  # sent twice
        db.session.rollback()
    flash(_("Your request is sent. An animator of %(name)s will answer it.", name=network.name),
          "success")
    if network.is_private:
        return redirect(url_for("networks.invitation", token=invitation.token))
    return redirect(url_for("networks.show", network_id=network.id))
