"""Network pages: the list, creating and editing a network, a network's page, its charter and
its members."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.args import page_arg
from app.forms import explain_csrf_failure, int_or_none
from app.images.forms import apply_picture
from app.networks.access import load_network
from app.networks.blueprint import bp
from app.networks.forms import (
    VISIBILITY_LABELS,
    JoinForm,
    MemberFilterForm,
    NetworkFilterForm,
    NetworkForm,
    PostForm,
    RequestForm,
)
from app.networks.labels import scope_label
from app.networks.queries import members, mute_notice, pinned_posts, post_stream, visible_networks
from app.networks.service import create_network, set_charter
from app.people.forms import split_skills
from app.security import csrf_in_form
from app.territory.gazetteer import match_communes
from models import Commune, Epci, Membership, MemberStatus, Scope, Skill, db

PAGE_SIZE = 24


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
            Membership.user_id == current_user.id, Membership.status == MemberStatus.ACTIVE,
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
        db.session.flush()
        apply_picture(form, network, "logo", "logo", network.id)
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
        if network.scope == Scope.EPCI:
            form.epci.data = network.scope_code
        elif network.scope == Scope.COMMUNE:
            commune = db.session.get(Commune, network.scope_code)
            form.commune.data = commune.label if commune else ""
    if form.validate_on_submit():
        _apply_network_form(form, network)
        apply_picture(form, network, "logo", "logo", network.id, form.logo_remove)
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
                           mute_notice=mute_notice(db.session, access)
                           if access.is_member and access.is_muted else None,
                           join_form=JoinForm(), request_form=RequestForm())


@bp.route("/<id:network_id>/charter")
def charter(network_id: int):
    access = load_network(network_id)
    return render_template("networks/charter.html", access=access, network=access.network,
                           join_form=JoinForm(), request_form=RequestForm())


@bp.route("/<id:network_id>/members")
def member_list(network_id: int):
    access = load_network(network_id, read=True)
    form = MemberFilterForm(request.args)
    communes = None
    if (form.commune.data or "").strip():
        communes = [c.insee for c in match_communes(db.session, form.commune.data[:120])]
    rows = members(db.session, network_id, skill=(form.skill.data or "")[:60], communes=communes)
    pending = (members(db.session, network_id, status=MemberStatus.REQUESTED)
               if access.is_animator else [])
    return render_template("networks/members.html", access=access, network=access.network,
                           rows=rows, pending=pending, form=form)
