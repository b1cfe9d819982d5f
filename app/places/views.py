"""Places: list with filters, a page per place, creation (organisers), editing (animators and
organisers), follow and "I would use this place"."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from app.args import page_arg
from app.confirm import confirm_page
from app.demand.service import own_declaration
from app.forms import explain_csrf_failure
from app.images.forms import apply_picture
from app.places.access import can_edit, place_or_404
from app.places.blueprint import bp
from app.places.forms import AnimatorForm, PlaceFilterForm, PlaceForm
from app.places.queries import filtered_places
from app.places.rendering import render_place
from app.places.sources import sources_in_use
from app.security import csrf_in_form
from models import (
    Epci,
    Place,
    PlaceFollow,
    PlaceInterest,
    PricingPlan,
    User,
    db,
    place_animator,
)

PAGE_SIZE = 24


@bp.route("/")
def index():
    form = PlaceFilterForm(request.args)
    form.epci.choices = [("", _("All"))] + [
        (e.code, e.name) for e in db.session.scalars(select(Epci).order_by(Epci.name))]
    page = page_arg()
    total, places = filtered_places(db.session, form, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    interest = dict(db.session.execute(
        select(PlaceInterest.place_id, func.count()).group_by(PlaceInterest.place_id)).all())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return render_template("places/index.html", form=form, places=places, total=total,
                           page=page, pages=pages, interest=interest,
                           sources=sources_in_use(db.session),
                           can_create=current_user.is_authenticated and current_user.is_organiser)


@bp.route("/<id:place_id>")
def show(place_id: int):
    return render_place(place_or_404(place_id))


def _apply(form: PlaceForm, place: Place) -> None:
    place.name = " ".join(form.name.data.split())
    place.status = form.status.data
    place.kind = form.kind.data or None
    place.website = (form.website.data or "").strip()
    place.commune_insee = form.parsed["commune_insee"]
    place.address = " ".join((form.address.data or "").split())
    place.description = form.description.data or ""
    place.capacity_desks = form.parsed["capacity_desks"]
    place.surface_m2 = form.parsed["surface_m2"]
    place.rent_eur_month = form.parsed["rent_eur_month"]
    place.equipment = list(form.equipment.data or [])
    place.opening_hours = form.opening_hours.data or ""
    place.free_first_month = bool(form.free_first_month.data)
    place.charter = form.charter.data or ""
    place.governance_model = form.governance_model.data or ""
    place.plans = [
        PricingPlan(position=i, name=" ".join(entry.form.name.data.split()),
                    price_cents=round(entry.form.parsed["price"] * 100),
                    period=entry.form.period.data, included_days=entry.form.parsed.get("included_days"),
                    tax_included=bool(entry.form.tax_included.data))
        for i, entry in enumerate(e for e in form.plans if (e.form.name.data or "").strip())]


def _fill(form: PlaceForm, place: Place) -> None:
    form.commune.data = place.commune.label
    for name in ("capacity_desks", "surface_m2", "rent_eur_month"):
        value = getattr(place, name)
        getattr(form, name).data = "" if value is None else str(value)
    wanted = min(max(3, len(place.plans) + 1), form.plans.max_entries)
    while len(form.plans) < wanted:
        form.plans.append_entry()
    for entry, plan in zip(form.plans, place.plans, strict=False):
        entry.form.name.data = plan.name
        cents = plan.price_cents
        entry.form.price.data = f"{cents // 100},{cents % 100:02d}" if cents % 100 else str(cents // 100)
        entry.form.period.data = plan.period
        entry.form.included_days.data = "" if plan.included_days is None else str(plan.included_days)
        entry.form.tax_included.data = plan.tax_included


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
def create():
    if not current_user.is_organiser:
        abort(403)
    form = PlaceForm()
    if form.validate_on_submit():
        place = Place(created_by_id=current_user.id)
        _apply(form, place)
        place.photo_alt = " ".join((form.photo_alt.data or "").split())
        db.session.add(place)
        db.session.flush()
        apply_picture(form, place, "photo", "photo", place.id)
        db.session.commit()
        flash(_("The place is created. Appoint its animators from its page."), "success")
        return redirect(url_for("places.show", place_id=place.id))
    explain_csrf_failure(form)
    return render_template("places/edit.html", form=form, place=None), 422 if form.errors else 200


@bp.route("/<id:place_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit(place_id: int):
    place = place_or_404(place_id)
    if not can_edit(place):
        abort(403)
    form = PlaceForm(obj=place if request.method == "GET" else None)
    if request.method == "GET":
        _fill(form, place)
    if form.validate_on_submit():
        _apply(form, place)
        place.photo_alt = " ".join((form.photo_alt.data or "").split())
        apply_picture(form, place, "photo", "photo", place.id, form.photo_remove)
        place.confirm(current_user.id)  # an imported place, checked and corrected
        db.session.commit()
        flash(_("The place is saved."), "success")
        return redirect(url_for("places.show", place_id=place.id))
    explain_csrf_failure(form)
    return render_template("places/edit.html", form=form, place=place), 422 if form.errors else 200


@bp.post("/<id:place_id>/confirm")
@login_required
def confirm(place_id: int):
    """An organiser or the place's animator says an imported place is right as it stands."""
    place = place_or_404(place_id)
    if not can_edit(place):
        abort(403)
    if place.to_confirm:
        place.confirm(current_user.id)
        db.session.commit()
    flash(_("Thank you: the place's information is confirmed."), "success")
    return redirect(url_for("places.show", place_id=place.id))


@bp.route("/<id:place_id>/animators", methods=["GET", "POST"])
@login_required
@csrf_in_form
def animators(place_id: int):
    """Organisers appoint (and remove) the animators of a place."""
    place = place_or_404(place_id)
    if not current_user.is_organiser:
        abort(403)
    form = AnimatorForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(
            User.email == User.normalise_email(form.email.data)))
        if user is None:
            form.email.errors.append(_("No member has this email address."))
        else:
            if user not in place.animators:
                place.animators.append(user)
                db.session.commit()
            flash(_("%(name)s animates %(place)s.", name=user.display_name, place=place.name),
                  "success")
            return redirect(url_for("places.animators", place_id=place.id))
    explain_csrf_failure(form)
    return render_template("places/animators.html", place=place, form=form), \
        422 if form.errors else 200


@bp.route("/<id:place_id>/animators/<id:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove_animator(place_id: int, user_id: int):
    """Organisers; a GET asks first (app/confirm.py), only the POST removes."""
    place = place_or_404(place_id)
    if not current_user.is_organiser:
        abort(403)
    animator = next((a for a in place.animators if a.id == user_id), None)
    if request.method == "GET":
        if animator is None:
            abort(404)
        return confirm_page(_("Remove %(name)s from the animators of %(place)s?",
                              name=animator.display_name, place=place.name),
                            _("Remove the animator"),
                            url_for("places.animators", place_id=place.id))
    db.session.execute(place_animator.delete().where(and_(
        place_animator.c.place_id == place.id, place_animator.c.user_id == user_id)))
    db.session.commit()
    if animator is not None:
        flash(_("%(name)s no longer animates %(place)s.", name=animator.display_name,
                place=place.name), "success")
    return redirect(url_for("places.animators", place_id=place.id))


@bp.post("/<id:place_id>/<any(follow, interest):what>")
@login_required
def toggle(place_id: int, what: str):
    """Follow / unfollow; "I would use this place" / withdraw it. `on=1` sets, else clears."""
    place = place_or_404(place_id)
    model = PlaceFollow if what == "follow" else PlaceInterest
    existing = db.session.get(model, (place.id, current_user.id))
    wanted = request.form.get("on") == "1"
    if wanted and existing is None:
        row = model(place_id=place.id, user_id=current_user.id)
        if model is PlaceInterest:
            declaration = own_declaration(db.session, current_user, False)
            row.declaration_id = declaration.id if declaration else None
        db.session.add(row)
    elif not wanted and existing is not None:
        db.session.delete(existing)
    try:
        db.session.commit()
    except IntegrityError:  # a double click
        db.session.rollback()
    return redirect(url_for("places.show", place_id=place.id))
