from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from app.args import page_arg
from app.forms import explain_csrf_failure
from app.pagecache import cached_page, member_page
from app.people.blueprint import bp
from app.people.editing import save_profile
from app.people.forms import DirectoryFilterForm, ProfileForm
from app.people.labels import KIND_LABELS, kind_labels
from app.people.queries import directory_page, load_cards, load_profiles
from app.security import csrf_in_form
from app.territory.gazetteer import match_communes
from models import Epci, User, db


@bp.route("/")
@member_page
def directory():
    main = cached_page("directory", _render_directory)
    return render_template("people/directory.html", main=main)


def _render_directory() -> Markup:
    form = DirectoryFilterForm(request.args)
    epcis = db.session.scalars(select(Epci).order_by(Epci.name)).all()
    form.epci.choices = [("", _("All"))] + [(e.code, e.name) for e in epcis]
    form.kind.choices = [("", _("All"))] + list(KIND_LABELS.items())
    # A postcode or a name shared by several communes filters on all of them.
    communes = match_communes(db.session, form.commune.data) if form.commune.data else []
    unknown_commune = bool(form.commune.data) and not communes
    page = directory_page(
        db.session, viewer_is_member=current_user.is_authenticated,
        communes=[c.insee for c in communes] if form.commune.data else None,
        epci=form.epci.data or None, kind=form.kind.data or None,
        skill=(form.skill.data or "").strip() or None,
        page=page_arg(), per_page=current_app.config["DIRECTORY_PAGE_SIZE"])
    return Markup(render_template(
        "people/_directory_main.html", form=form, page=page,
        cards=load_cards(db.session, page.ids), unknown_commune=unknown_commune,
        communes=communes if len(communes) > 1 else [],
        kind_labels=kind_labels()))


@bp.route("/<id:profile_id>")
@member_page
def profile(profile_id: int):
    shown = cached_page("profile", lambda: _render_profile(profile_id))
    if shown is None:
        # Unknown, or members-only seen by a visitor: the same 404 either way, so that visitors
        # cannot tell which members exist (the error page invites them to log in).
        abort(404)
    title, user_id, main = shown
    # The owner's own tools, and a member's connect/block tools, sit outside the shared part.
    owner = current_user.is_authenticated and current_user.id == user_id
    relation = None
    if current_user.is_authenticated and not owner:
        from app.social.connections import connection_between
        from models import Block
        relation = {
            "user_id": user_id,
            "connection": connection_between(db.session, current_user.id, user_id),
            "blocked": db.session.scalar(select(Block.id).where(
                Block.blocker_id == current_user.id, Block.blocked_id == user_id)) is not None,
        }
        from app.chat.rooms import has_direct_room, may_message
        from app.social.connections import is_blocked
        other = db.session.get(User, user_id)
        relation["may_message"] = other is not None and not relation["blocked"] and (
            may_message(db.session, current_user, other)
            or (has_direct_room(db.session, current_user.id, user_id)
                and not is_blocked(db.session, current_user.id, user_id)))
    return render_template("people/profile.html", title=title, main=main, owner=owner,
                           relation=relation, profile_id=profile_id)


def _render_profile(profile_id: int) -> tuple[str, int, Markup] | None:
    """(title, owner's user id, main HTML) of a profile page; None when there is no such
    profile for this audience."""
    profile = next(iter(load_profiles(db.session, [profile_id])), None)
    if profile is None or (not profile.is_public and not current_user.is_authenticated):
        return None
    return profile.user.display_name, profile.user_id, Markup(render_template(
        "people/_profile_main.html", profile=profile, kind_labels=kind_labels()))


@bp.route("/me/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit():
    profile = current_user.profile
    # The stored profile fills the form on GET only: on POST a field missing from the request
    # must not fall back to the stored value (and its type).
    form = ProfileForm(obj=profile if request.method == "GET" else None)
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.commune.data = profile.commune.label if profile.commune else ""
        form.skills.data = ", ".join(s.name for s in profile.skills)
    if form.validate_on_submit():
        save_profile(current_user, form)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("people.profile", profile_id=profile.id))
    explain_csrf_failure(form)
    return render_template("people/edit.html", form=form), 200 if not form.errors else 422


@bp.route("/me")
@login_required
def me():
    return redirect(url_for("people.profile", profile_id=current_user.profile.id))
