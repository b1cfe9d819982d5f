"""A member's declarations of interest: declare, edit (a new version), withdraw, history."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.confirm import confirm_page
from app.demand import labels as L
from app.demand.blueprint import bp
from app.demand.claims import pending_claims
from app.demand.forms import DeclarationForm
from app.demand.naf import naf_label
from app.demand.service import add_version, may_declare_for_company, own_declaration, version_fields, withdraw
from app.forms import explain_csrf_failure
from app.idempotency import idempotent
from app.security import csrf_in_form
from app.territory.gazetteer import commune_labels
from models import Declaration, db


@bp.app_context_processor
def _labels():
    return {"demand_labels": L, "naf_label": naf_label}


def typed_number(value) -> str:
    """A stored number as a person types it back, exactly: 2.5 -> "2,5", 12.345678 -> "12,345678"."""
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",")


def fill_form_from(form: DeclarationForm, version) -> None:
    """Show a stored version in the form, as a person would type it."""
    for name in ("company_name", "telework", "activity", "dynamics", "formula", "horizon",
                 "equipment", "services", "free_first_month", "governance"):
        getattr(form, name).data = getattr(version, name)
    form.track.data = version.track
    form.siret.data = version.siret
    form.naf.data = f"{version.naf_code} — {naf_label(version.naf_code)}" if version.naf_code else ""
    names = commune_labels(db.session, [version.home_commune_insee, *version.acceptable_communes])
    form.home_commune.data = names.get(version.home_commune_insee, "")
    form.acceptable_communes.data = ", ".join(names.get(c, c) for c in version.acceptable_communes)
    for name in ("headcount", "max_distance_km", "days_per_week", "days_per_quarter",
                 "budget_eur_month", "commute_km", "commute_minutes", "commute_days_per_week"):
        getattr(form, name).data = typed_number(getattr(version, name))


@bp.route("/")
@login_required
def index():
    mine = db.session.scalars(select(Declaration).where(
        Declaration.user_id == current_user.id).order_by(Declaration.for_company)).all()
    codes = {c for d in mine for c in [d.current.home_commune_insee, *d.current.acceptable_communes]}
    return render_template("demand/index.html", declarations=mine, claims=pending_claims(),
                           communes=commune_labels(db.session, list(codes)),
                           may_company=may_declare_for_company(current_user))


def _declaration_or_404(declaration_id: int) -> Declaration:
    found = db.session.get(Declaration, declaration_id)
    # Someone else's declaration is "not found": ids are not a way to learn who declared.
    if found is None or found.user_id != current_user.id:
        abort(404)
    return found


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
@idempotent
def new():
    for_company = request.args.get("for") == "company"
    if for_company and not may_declare_for_company(current_user):
        abort(403)
    existing = own_declaration(db.session, current_user, for_company)
    if existing is not None:  # one declaration each: edit it (even withdrawn)
        if request.method == "POST":  # sent from an older page: it updates the declaration
            return edit(existing.id)
        return redirect(url_for("demand.edit", declaration_id=existing.id))
    form = DeclarationForm()
    if request.method == "GET":
        form.track.data = "company" if request.args.get("track") == "company" or for_company \
            else "independent"
    if form.validate_on_submit():
        declaration = Declaration(user_id=current_user.id, for_company=for_company)
        add_version(db.session, declaration, version_fields(form))
        try:
            db.session.commit()
        except IntegrityError:  # sent twice: the first one stands
            db.session.rollback()
            existing = own_declaration(db.session, current_user, for_company)
            return redirect(url_for("demand.edit", declaration_id=existing.id))
        flash(_("Thank you: your interest is recorded. Organisers of the territory see it "
                "(without your name) when they plan places."), "success")
        return redirect(url_for("demand.index"))
    explain_csrf_failure(form)
    return render_template("demand/form.html", form=form, declaration=None,
                           for_company=for_company), 422 if form.errors else 200


@bp.route("/<id:declaration_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
@idempotent
def edit(declaration_id: int):
    declaration = _declaration_or_404(declaration_id)
    form = DeclarationForm()
    if request.method == "GET":
        fill_form_from(form, declaration.current)
        if request.args.get("track") in L.TRACK_LABELS:
            form.track.data = request.args["track"]
    if form.validate_on_submit():
        add_version(db.session, declaration, version_fields(form))
        try:
            db.session.commit()
        except IntegrityError:  # sent twice at once: the first one made this version
            db.session.rollback()
        flash(_("Your declaration is updated (the earlier version is kept)."), "success")
        return redirect(url_for("demand.index"))
    explain_csrf_failure(form)
    return render_template("demand/form.html", form=form, declaration=declaration,
                           for_company=declaration.for_company), 422 if form.errors else 200


@bp.route("/<id:declaration_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_declaration(declaration_id: int):
    declaration = _declaration_or_404(declaration_id)
    if request.method == "GET":
        return confirm_page(_("Withdraw this declaration? Organisers will no longer count it. Its "
                              "history is kept; you can declare again at any time."),
                            _("Withdraw the declaration"), url_for("demand.index"))
    withdraw(declaration)
    db.session.commit()
    flash(_("Your declaration is withdrawn. Its history is kept; you can declare again at "
            "any time."), "success")
    return redirect(url_for("demand.index"))


@bp.route("/<id:declaration_id>/history")
@login_required
def history(declaration_id: int):
    declaration = _declaration_or_404(declaration_id)
    codes = {c for v in declaration.versions for c in [v.home_commune_insee, *v.acceptable_communes]}
    return render_template("demand/history.html", declaration=declaration,
                           communes=commune_labels(db.session, list(codes)))
