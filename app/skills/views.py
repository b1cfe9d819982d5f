"""Organisers curate skills: rename one, merge a duplicate into the right one."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.args import page_arg
from app.forms import BaseForm, explain_csrf_failure, has_letters
from app.security import csrf_in_form
from app.skills.blueprint import bp
from app.skills.service import SkillError, merge_skills, rename_skill, skill_rows
from models import Skill, db
from models.textkey import skill_key

PAGE_SIZE = 50


class RenameForm(BaseForm):
    name = StringField(_l("French name"), validators=[DataRequired(), Length(max=60), has_letters])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=60)])

    def validate_name(self, field) -> None:
        if len(skill_key(field.data)) > 60:  # folding may lengthen ("ﬃ" -> "ffi")
            raise ValidationError(_l("Each skill fits in %(n)d characters.", n=60))


class MergeForm(BaseForm):
    into = StringField(_l("Merge into"), validators=[DataRequired(), Length(max=60)],
                       description=_l("The name of the skill that stays, e.g. “Menuiserie”."))


def _require_curator() -> None:
    if not current_user.is_organiser:
        abort(403)


def _skill_or_404(skill_id: int) -> Skill:
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        abort(404)
    return skill


@bp.route("/")
@login_required
def manage():
    _require_curator()
    return _render_manage()


def _render_manage(failed_id: int | None = None, failed_form=None, status: int = 200):
    q = request.args.get("q", "")[:60]
    page = page_arg()
    total, rows = skill_rows(db.session, q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return render_template("skills/manage.html", rows=rows, q=q, total=total, page=page,
                           pages=pages, failed_id=failed_id, failed_form=failed_form,
                           rename_form=RenameForm, merge_form=MergeForm), status


@bp.post("/<id:skill_id>/rename")
@login_required
@csrf_in_form
def rename(skill_id: int):
    _require_curator()
    skill = _skill_or_404(skill_id)
    form = RenameForm(prefix=f"r{skill_id}")  # one form per skill on the page: unique ids
    if form.validate_on_submit():
        try:
            rename_skill(db.session, skill, form.name.data, form.name_en.data)
        except SkillError:
            form.name.errors.append(_("Another skill already has this name: merge them instead."))
        else:
            db.session.commit()
            flash(_("Skill renamed: %(name)s.", name=skill.name), "success")
            return redirect(url_for("skills.manage", q=request.args.get("q") or None))
    explain_csrf_failure(form)
    return _render_manage(skill_id, form, 422)


@bp.post("/<id:skill_id>/merge")
@login_required
@csrf_in_form
def merge(skill_id: int):
    _require_curator()
    source = _skill_or_404(skill_id)
    form = MergeForm(prefix=f"m{skill_id}")
    if form.validate_on_submit():
        target = Skill.lookup(db.session, [form.into.data]).get(skill_key(form.into.data))
        if target is None:
            form.into.errors.append(_("No skill has this name. Type it as listed on this page."))
        elif target.id == source.id:
            form.into.errors.append(_("This is the same skill."))
        else:
            name, into = source.name, target.name
            moved = merge_skills(db.session, target=target, source=source,
                                 actor=current_user._get_current_object())
            db.session.commit()
            flash(_("“%(name)s” merged into “%(into)s” (%(n)d profiles moved).",
                    name=name, into=into, n=moved), "success")
            return redirect(url_for("skills.manage", q=request.args.get("q") or None))
    explain_csrf_failure(form)
    return _render_manage(skill_id, form, 422)
