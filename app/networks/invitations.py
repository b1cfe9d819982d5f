"""Invitation links: animators create and revoke them; a link opens the network (a private one
too) to the person who has it, who joins or asks to join through it."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.confirm import confirm_page
from app.extensions import login_manager
from app.forms import explain_csrf_failure
from app.networks.access import Access, load_network, membership_of
from app.networks.blueprint import bp
from app.networks.forms import InvitationForm, JoinForm, RequestForm
from app.networks.joining import read_current_charter, send_request
from app.networks.service import join_open
from app.security import csrf_in_form
from models import Invitation, MemberStatus, NetworkVisibility, db
from models.types import utcnow


@bp.route("/<id:network_id>/invitations", methods=["GET", "POST"])
@login_required
@csrf_in_form
def invitations(network_id: int):
    access = load_network(network_id, animator=True)
    form = InvitationForm()
    if form.validate_on_submit():
        invitation = Invitation(network_id=network_id, created_by_id=current_user.id,
                                expires_at=utcnow() + timedelta(days=form.days.data))
        db.session.add(invitation)
        db.session.commit()
        flash(_("Invitation link created: share it with the people you invite."), "success")
        return redirect(url_for("networks.invitations", network_id=network_id))
    explain_csrf_failure(form)
    rows = db.session.scalars(select(Invitation).where(Invitation.network_id == network_id)
                              .order_by(Invitation.id.desc())).all()
    return render_template("networks/invitations.html", access=access, network=access.network,
                           form=form, rows=rows, now=utcnow()), 422 if form.errors else 200


@bp.route("/<id:network_id>/invitations/<id:invitation_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_invitation(network_id: int, invitation_id: int):
    """A GET asks first (app/confirm.py); only the POST revokes."""
    load_network(network_id, animator=True)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.network_id != network_id:
        abort(404)
    if request.method == "GET":
        return confirm_page(_("Revoke this invitation link? Whoever has it will no longer be "
                              "able to use it."), _("Revoke the link"),
                            url_for("networks.invitations", network_id=network_id))
    invitation.revoked = True
    db.session.commit()
    flash(_("The invitation link no longer works."), "success")
    return redirect(url_for("networks.invitations", network_id=network_id))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@csrf_in_form
def invitation(token: str):
    """An invitation link: shows the network (even a private one) and lets one ask to join,
    or join at once if it is open. An expired or revoked link is a plain 404."""
    found = db.session.scalar(select(Invitation).where(Invitation.token == token[:64]))
    if found is None or not found.is_valid():
        abort(404)
    network = found.network
    membership = (membership_of(network.id, current_user.id)
                  if current_user.is_authenticated else None)
    access = Access(network, membership)
    if membership is not None and membership.status == MemberStatus.BANNED:
        abort(404)  # a banned person's invitation no longer opens the network
    if request.method == "POST":
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if membership is not None:
            return redirect(url_for("networks.show", network_id=network.id))
        if network.visibility == NetworkVisibility.OPEN:
            form = JoinForm()
            if not form.validate_on_submit() or not read_current_charter(form, network):
                explain_csrf_failure(form)
                return render_template("networks/invitation.html", access=access, network=network,
                                       invitation=found, join_form=form,
                                       request_form=RequestForm()), 422
            try:
                join_open(db.session, network, current_user, None)
                db.session.commit()
            except IntegrityError:  # a double click: the first one joined
                db.session.rollback()
            flash(_("Welcome to %(name)s.", name=network.name), "success")
            return redirect(url_for("networks.show", network_id=network.id))
        return send_request(access, found)
    return render_template("networks/invitation.html", access=access, network=network,
                           invitation=found, join_form=JoinForm(), request_form=RequestForm())
