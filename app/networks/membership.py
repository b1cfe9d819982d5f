"""Joining and leaving a network (the charter accepted, or a request sent), and the animators'
decisions on members: approve a request, decline it, take someone out."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from app.confirm import confirm_page
from app.forms import explain_csrf_failure
from app.networks.access import Access, load_network, membership_of
from app.networks.blueprint import bp
from app.networks.forms import JoinForm, RequestForm
from app.networks.joining import read_current_charter, send_request
from app.networks.service import MembershipError, accept_charter, approve, join_open, remove_membership
from app.security import csrf_in_form
from models import Membership, MemberStatus, NetworkVisibility, db

MEMBERSHIP_ERRORS = {
    "last_animator": lambda: _("A network needs an animator: appoint another one first."),
    "not_requested": lambda: _("This request was already handled."),
    "not_approved": lambda: _("An animator must approve your request first."),
    "not_member": lambda: _("This person is not a member."),
    "banned": lambda: _("An animator removed you from this network: you cannot join it again."),
    "banned_stays": lambda: _("This person is banned: a ban stays in place."),
}


def _membership_error(error: MembershipError, network_id: int):
    flash(MEMBERSHIP_ERRORS.get(str(error), lambda: str(error))(), "error")
    return redirect(url_for("networks.show", network_id=network_id))


@bp.post("/<id:network_id>/join")
@login_required
@csrf_in_form
def join(network_id: int):
    """Open network: join with the charter accepted. On request: send a request. Private
    networks are entered through an invitation link (a request there too)."""
    access = load_network(network_id)
    network = access.network
    if access.banned:
        return _membership_error(MembershipError("banned"), network.id)
    if access.is_member and not access.must_accept_charter:
        return redirect(url_for("networks.show", network_id=network.id))
    if network.visibility == NetworkVisibility.OPEN or access.must_accept_charter \
            or (access.status == MemberStatus.APPROVED):
        form = JoinForm()
        if not form.validate_on_submit() or not read_current_charter(form, network):
            explain_csrf_failure(form)
            return render_template("networks/charter.html", access=access, network=network,
                                   join_form=form, request_form=RequestForm()), 422
        try:
            if access.membership is not None:
                if access.membership.status == MemberStatus.REQUESTED:
                    # Asked while the network was on request; it is open now.
                    access.membership.status = MemberStatus.APPROVED
                accept_charter(db.session, network, access.membership)
            else:
                join_open(db.session, network, current_user, None)
            db.session.commit()
        except MembershipError as error:
            db.session.rollback()
            return _membership_error(error, network.id)
        except IntegrityError:  # a double click: the first one joined
            db.session.rollback()
        flash(_("Welcome to %(name)s.", name=network.name), "success")
        return redirect(url_for("networks.show", network_id=network.id))
    if access.membership is not None:  # requested, or approved (handled above)
        flash(_("Your request is waiting for an animator."), "info")
        return redirect(url_for("networks.show", network_id=network.id))
    if network.is_private:
        abort(404)  # unreachable: a private network is 404 without a membership
    return send_request(access)


@bp.route("/<id:network_id>/leave", methods=["GET", "POST"])
@login_required
def leave(network_id: int):
    access = load_network(network_id)
    if access.membership is None:
        return redirect(url_for("networks.show", network_id=network_id))
    network = access.network
    if request.method == "GET":
        if access.status == "requested":
            return confirm_page(_("Withdraw your request to join %(name)s?", name=network.name),
                                _("Withdraw my request"),
                                url_for("networks.show", network_id=network_id))
        return confirm_page(_("Leave %(name)s?", name=network.name), _("Leave the network"),
                            url_for("networks.show", network_id=network_id))
    try:
        remove_membership(db.session, network, access.membership)
        db.session.commit()
    except MembershipError as error:
        db.session.rollback()
        return _membership_error(error, network_id)
    flash(_("You left %(name)s.", name=network.name), "success")
    if network.is_private:
        return redirect(url_for("networks.index"))
    return redirect(url_for("networks.show", network_id=network_id))


def _target_membership(access: Access, user_id: int) -> Membership:
    membership = membership_of(access.network.id, user_id)
    if membership is None:
        abort(404)
    return membership


def _animator_action(network_id: int, user_id: int, change, done_message):
    """An animator's change to someone's membership: `change(access, membership)`, commit, then
    `done_message(name)` flashed; a refused change is explained instead."""
    access = load_network(network_id, animator=True)
    membership = _target_membership(access, user_id)
    name = membership.user.display_name
    try:
        change(access, membership)
        db.session.commit()
    except MembershipError as error:
        db.session.rollback()
        return _membership_error(error, network_id)
    flash(done_message(name), "success")
    return redirect(url_for("networks.member_list", network_id=network_id))


@bp.post("/<id:network_id>/members/<id:user_id>/approve")
@login_required
def approve_member(network_id: int, user_id: int):
    return _animator_action(
        network_id, user_id,
        lambda access, m: approve(db.session, access.network, m, current_user),
        lambda name: _("%(name)s may now join, once they accept the charter.", name=name))


@bp.route("/<id:network_id>/members/<id:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(network_id: int, user_id: int):
    """Decline a request, or take a member out of the network (animators; in the audit log).
    A ban is not lifted this way. A GET asks first (app/confirm.py); only the POST acts."""
    if request.method == "GET":
        access = load_network(network_id, animator=True)
        membership = _target_membership(access, user_id)
        if membership.status == MemberStatus.BANNED:
            return _membership_error(MembershipError("banned_stays"), network_id)
        name, network = membership.user.display_name, access.network.name
        back = url_for("networks.member_list", network_id=network_id)
        if membership.status == MemberStatus.REQUESTED:
            return confirm_page(_("Decline the request of %(name)s to join %(network)s?",
                                  name=name, network=network), _("Decline the request"), back)
        return confirm_page(_("Remove %(name)s from %(network)s?", name=name, network=network),
                            _("Remove from the network"), back)

    def change(access, membership):
        if membership.status == MemberStatus.BANNED:
            raise MembershipError("banned_stays")
        if membership.status == MemberStatus.ACTIVE:
            from app.moderation.audit import audit
            audit(db.session, current_user, "remove", "profile",
                  membership.user.profile.id if membership.user.profile else None,
                  label=membership.user.display_name, network_id=access.network.id)
        remove_membership(db.session, access.network, membership)
    return _animator_action(
        network_id, user_id, change,
        lambda name: _("%(name)s is no longer in the network.", name=name))
