"""Uploading SIRENE extracts (imported in a background thread, progress on the page) and the
potential users they reveal: per commune and NAF division, with the share already on Maillage."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import case, func, select, update

from app.demand.naf import naf_divisions
from app.forms import BaseForm, explain_csrf_failure
from app.organisers.blueprint import bp
from app.organisers.sirene import SireneFormatError, run_import
from app.security import csrf_in_form
from models import Commune, Declaration, DeclarationVersion, SireneEstablishment, SireneImport, db
from models.types import utcnow

STALE_MINUTES = 10  # a running import reports progress every batch, i.e. every few seconds


class UploadForm(BaseForm):
    file = FileField(_l("StockEtablissement extract (CSV)"),
                     validators=[FileRequired(message=_l("Choose a CSV file."))],
                     description=_l("As downloaded from INSEE (the national file, or an extract "
                                    "of it). Unknown extra columns are fine."))


@bp.before_app_request
def _allow_big_uploads():
    # Extracts are large: this one route accepts more than the site-wide limit (it is for
    # organisers only, checked before anything is read: see views.require_organiser).
    if request.endpoint == "organisers.sirene" and request.method == "POST":
        request.max_content_length = current_app.config["SIRENE_UPLOAD_MAX"]


def _import_in_background(app, path: Path, import_id: int) -> None:
    """Whatever happens, the import ends as done or failed and its file is deleted."""
    with app.app_context():
        status, error = "failed", ""
        try:
            record = db.session.get(SireneImport, import_id)
            communes = set(db.session.scalars(select(Commune.insee)))
            run_import(db.session, path, communes, record=record)
            status = "done"
        except SireneFormatError as exc:
            error = str(exc)
        except Exception as exc:  # reported on the page, never a silent stop
            current_app.logger.exception("SIRENE import %s failed", import_id)
            error = type(exc).__name__
        finally:
            path.unlink(missing_ok=True)
            _finish(import_id, status, error)
            db.session.remove()


def _finish(import_id: int, status: str, error: str = "") -> None:
    db.session.rollback()
    db.session.execute(update(SireneImport).where(SireneImport.id == import_id).values(
        status=status, error=error[:2000], finished_at=utcnow()))
    db.session.commit()


def running_import() -> SireneImport | None:
    """The import under way, if any; one left "running" by a stopped server (no progress for
    STALE_MINUTES) is marked failed first."""
    stale = utcnow() - timedelta(minutes=STALE_MINUTES)
    for record in db.session.scalars(select(SireneImport).where(SireneImport.status == "running")):
        if (record.progress_at or record.started_at) < stale:
            _finish(record.id, "failed", "interrupted")
        else:
            return record
    return None


@bp.route("/sirene", methods=["GET", "POST"])
@csrf_in_form
def sirene():
    form = UploadForm()
    busy = running_import()
    if busy is not None and form.is_submitted():
        # One import at a time: two would race on the same SIRET numbers.
        form.file.errors = [_("An import is already under way: wait for it to finish.")]
    elif form.validate_on_submit():
        upload = form.file.data
        folder = Path(current_app.instance_path) / "uploads"
        folder.mkdir(exist_ok=True)
        name = (upload.filename or "extract.csv").replace("\x00", "")[:200]
        record = SireneImport(filename=name)
        db.session.add(record)
        db.session.commit()
        path = folder / f"sirene-{record.id}.csv"
        try:
            upload.save(path)
        except OSError:
            _finish(record.id, "failed", "the file could not be saved")
            raise
        record.size_bytes = path.stat().st_size
        db.session.commit()
        thread = threading.Thread(target=_import_in_background, daemon=True,
                                  args=(current_app._get_current_object(), path, record.id))
        thread.start()
        flash(_("Import started: this page shows its progress."), "info")
        return redirect(url_for("organisers.sirene_import", import_id=record.id))
    explain_csrf_failure(form)
    imports = db.session.scalars(select(SireneImport).order_by(SireneImport.id.desc())
                                 .limit(20)).all()
    return render_template("organisers/sirene.html", form=form, imports=imports, busy=busy), \
        422 if form.errors else 200


@bp.route("/sirene/<id:import_id>")
def sirene_import(import_id: int):
    record = db.session.get(SireneImport, import_id)
    if record is None:
        abort(404)
    return render_template("organisers/sirene_import.html", record=record)


@bp.route("/prospects")
def prospects():
    """Active establishments per commune and per NAF division, and how many are on Maillage
    (a declaration with their SIRET). Non-diffusible ones are counted, never listed."""
    active = SireneEstablishment.active
    on_maillage = (select(DeclarationVersion.siret)
                   .join(Declaration, Declaration.id == DeclarationVersion.declaration_id)
                   .where(DeclarationVersion.is_current, DeclarationVersion.siret != "",
                          Declaration.withdrawn_at.is_(None)).scalar_subquery())
    joined = func.sum(case((SireneEstablishment.siret.in_(on_maillage), 1), else_=0))
    per_commune = db.session.execute(
        select(Commune.insee, Commune.name, func.count(), joined)
        .join(Commune, Commune.insee == SireneEstablishment.commune_insee)
        .where(active).group_by(Commune.insee, Commune.name)
        .order_by(func.count().desc()).limit(100)).all()
    division = func.substr(SireneEstablishment.naf_code, 1, 2)
    per_division = db.session.execute(
        select(division, func.count(), joined).where(active).group_by(division)
        .order_by(func.count().desc())).all()
    total = db.session.scalar(select(func.count()).select_from(SireneEstablishment)
                              .where(active)) or 0
    return render_template("organisers/prospects.html", per_commune=per_commune,
                           per_division=per_division, divisions=naf_divisions(), total=total)
