"""Network pages: list, create, edit, charter, join, members, invitations."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import login_manager
from app.forms import explain_csrf_failure, int_or_none
from app.networks import bp
from app.networks.access import Access, load_network, membership_of
from app.networks.forms import (
    VISIBILITY_LABELS,
    InvitationForm,
    JoinForm,
    MemberFilterForm,
    NetworkFilterForm,
    NetworkForm,
    PostForm,
    RequestForm,
)
from app.networks.queries import members, pinned_posts, post_stream, visible_networks
from app.networks.service import (
    MembershipError,
    accept_charter,
    approve,
    create_network,
    join_open,
    remove_membership,
    request_to_join,
    set_charter,
)
from app.people.forms import split_skills
from app.people.views import page_arg
from app.security import csrf_in_form
from app.territory.gazetteer import match_communes
from models import (
    Commune,
    Epci,
    Invitation,
    Membership,
    MemberStatus,
    NetworkVisibility,
    Scope,
    Skill,
    db,
)
from models.types import utcnow

PAGE_SIZE = 24
MEMBERSHIP_ERRORS = {
    "last_animator": lambda: _("A network needs an animator: appoint another one first."),
    "not_requested": lambda: _("This request was already handled."),
    "not_approved": lambda: _("An animator must approve your request first."),
    "not_member": lambda: _("This person is not a member."),
    "banned": lambda: _("An animator removed you from this network: you cannot join it again."),
    "banned_stays": lambda: _("This person is banned: a ban stays in place."),
}


def scope_label(network) -> str:
    if network.scope == Scope.EPCI.value:
        epci = db.session.get(Epci, network.scope_code)
        return epci.name if epci else ""
    if network.scope == Scope.COMMUNE.value:
        commune = db.session.get(Commune, network.scope_code)
        return commune.label if commune else ""
    return _("Whole territory")


@bp.app_context_processor
def _helpers():
    return {"network_scope_label": scope_label, "network_visibility_labels": VISIBILITY_LABELS}


@bp.route("/")
def index():
    form = NetworkFilterForm(request.args)
    form.epci.choices = [("", _("All"))] + [
        (e.code, e.name) for e in db.session.scalars(select(Epci).order_by(Epci.name))]
    page = page_arg()
    total, networks = visible_networks(
        db.session, current_user.id if current_user.is_authenticated else None,
        q=(form.q.data or "")[:100], scope=form.scope.data or "", epci=form.epci.data or "",
        skill=(form.skill.data or "")[:60], limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    mine = set()
    if current_user.is_authenticated and networks:
        mine = set(db.session.scalars(select(Membership.network_id).where(
            Membership.user_id == current_user.id, Membership.status == MemberStatus.ACTIVE.value,
            Membership.network_id.in_([n.id for n in networks]))))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return render_template("networks/index.html", form=form, networks=networks, total=total,
                           page=min(page, pages), pages=pages, mine=mine)


def _apply_network_form(form: NetworkForm, network) -> None:
    network.name = " ".join(form.name.data.split())
    network.description = form.description.data or ""
    network.scope = form.scope.data
    network.scope_code = form.scope_code
    network.visibility = form.visibility.data
    with db.session.no_autoflush:
        network.skills = Skill.get_or_create(db.session, split_skills(form.skills.data))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
def create():
    form = NetworkForm()
    form.fill_epci_choices()
    if form.validate_on_submit():
        network = create_network(db.session, current_user, form.charter.data or "",
                                 name=" ".join(form.name.data.split()))
        _apply_network_form(form, network)
        db.session.commit()
        flash(_("Your network is created. You are its animator."), "success")
        return redirect(url_for("networks.show", network_id=network.id))
    explain_csrf_failure(form)
    return render_template("networks/edit.html", form=form, network=None), 422 if form.errors else 200


@bp.route("/<id:network_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit(network_id: int):
    access = load_network(network_id, animator=True)
    network = access.network
    form = NetworkForm(obj=network if request.method == "GET" else None)
    form.fill_epci_choices()
    if request.method == "GET":
        form.skills.data = ", ".join(s.name for s in network.skills)
        form.charter.data = network.charter.body if network.charter else ""
        if network.scope == Scope.EPCI.value:
            form.epci.data = network.scope_code
        elif network.scope == Scope.COMMUNE.value:
            commune = db.session.get(Commune, network.scope_code)
            form.commune.data = commune.label if commune else ""
    if form.validate_on_submit():
        _apply_network_form(form, network)
        material = bool(form.material.data)
        if set_charter(db.session, network, form.charter.data or "", current_user, material):
            # The editor accepts their own text; everyone else is asked again if it is material.
            access.membership.accepted_charter_version = network.charter_version
            flash(_("The charter changed: members will be asked to accept it again.")
                  if material else _("The charter changed (minor change): members see the new "
                                     "version but need not accept it again."), "info")
        db.session.commit()
        flash(_("The network is saved."), "success")
        return redirect(url_for("networks.show", network_id=network.id))
    explain_csrf_failure(form)
    return render_template("networks/edit.html", form=form, network=network), \
        422 if form.errors else 200


@bp.route("/<id:network_id>")
def show(network_id: int):
    access = load_network(network_id)
    network = access.network
    posts, next_before, pinned = [], None, []
    if access.can_read:
        before = int_or_none(request.args.get("before"))
        posts, next_before = post_stream(db.session, network.id, before)
        pinned = pinned_posts(db.session, network.id) if before is None else []
    return render_template("networks/show.html", access=access, network=network, posts=posts,
                           pinned=pinned, next_before=next_before,
                           post_form=PostForm() if access.can_post else None,
                           join_form=JoinForm(), request_form=RequestForm())


@bp.route("/<id:network_id>/charter")
def charter(network_id: int):
    access = load_network(network_id)
    return render_template("networks/charter.html", access=access, network=access.network,
                           join_form=JoinForm(), request_form=RequestForm())


def _read_current_charter(form: JoinForm, network) -> bool:
    """The charter accepted must be the one the person read: if it changed meanwhile, they
    read the new one first."""
    if form.version.data != str(network.charter_version):
        form.accept.errors = list(form.accept.errors) + [
            _("The charter has just changed: read this version, then accept it.")]
        return False
    return True


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
    if network.visibility == NetworkVisibility.OPEN.value or access.must_accept_charter \
            or (access.status == MemberStatus.APPROVED.value):
        form = JoinForm()
        if not form.validate_on_submit() or not _read_current_charter(form, network):
            explain_csrf_failure(form)
            return render_template("networks/charter.html", access=access, network=network,
                                   join_form=form, request_form=RequestForm()), 422
        try:
            if access.membership is not None:
                if access.membership.status == MemberStatus.REQUESTED.value:
                    # Asked while the network was on request; it is open now.
                    access.membership.status = MemberStatus.APPROVED.value
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
    return _send_request(access)


def _send_request(access: Access, invitation=None):
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


@bp.post("/<id:network_id>/leave")
@login_required
def leave(network_id: int):
    access = load_network(network_id)
    if access.membership is None:
        return redirect(url_for("networks.show", network_id=network_id))
    network = access.network
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


@bp.route("/<id:network_id>/members")
def member_list(network_id: int):
    access = load_network(network_id, read=True)
    form = MemberFilterForm(request.args)
    communes = None
    if (form.commune.data or "").strip():
        communes = [c.insee for c in match_communes(db.session, form.commune.data[:120])]
    rows = members(db.session, network_id, skill=(form.skill.data or "")[:60], communes=communes)
    pending = (members(db.session, network_id, status=MemberStatus.REQUESTED.value)
               if access.is_animator else [])
    return render_template("networks/members.html", access=access, network=access.network,
                           rows=rows, pending=pending, form=form)


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


@bp.post("/<id:network_id>/members/<id:user_id>/remove")
@login_required
def remove_member(network_id: int, user_id: int):
    """Decline a request, or take a member out of the network (animators; in the audit log).
    A ban is not lifted this way."""
    def change(access, membership):
        if membership.status == MemberStatus.BANNED.value:
            raise MembershipError("banned_stays")
        if membership.status == MemberStatus.ACTIVE.value:
            from app.moderation.audit import audit
            audit(db.session, current_user, "remove", "profile",
                  membership.user.profile.id if membership.user.profile else None,
                  label=membership.user.display_name, network_id=access.network.id)
        remove_membership(db.session, access.network, membership)
    return _animator_action(
        network_id, user_id, change,
        lambda name: _("%(name)s is no longer in the network.", name=name))


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


@bp.post("/<id:network_id>/invitations/<id:invitation_id>/revoke")
@login_required
def revoke_invitation(network_id: int, invitation_id: int):
    load_network(network_id, animator=True)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.network_id != network_id:
        abort(404)
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
    if membership is not None and membership.status == MemberStatus.BANNED.value:
        abort(404)  # a banned person's invitation no longer opens the network
    if request.method == "POST":
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if membership is not None:
            return redirect(url_for("networks.show", network_id=network.id))
        if network.visibility == NetworkVisibility.OPEN.value:
            form = JoinForm()
            if not form.validate_on_submit() or not _read_current_charter(form, network):
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
        return _send_request(access, found)
    return render_template("networks/invitation.html", access=access, network=network,
                           invitation=found, join_form=JoinForm(), request_form=RequestForm())
