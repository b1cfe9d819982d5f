from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select, text

from app import __version__
from app.auth.views import safe_next
from app.main import bp
from app.pagecache import cached_page
from app.people.labels import kind_labels
from app.people.queries import directory_page, load_cards
from models import Commune, Profile, db


@bp.route("/")
def home():
    return render_template("main/home.html", main=cached_page("home", _render_home))


def _render_home() -> Markup:
    recent = load_cards(db.session, directory_page(
        db.session, viewer_is_member=current_user.is_authenticated, per_page=6).ids)
    counts = {
        "profiles": db.session.scalar(select(func.count(Profile.id))) or 0,
        "communes": db.session.scalar(
            select(func.count(func.distinct(Profile.commune_insee)))) or 0,
        "territory": db.session.scalar(select(func.count(Commune.insee))) or 0,
    }
    return Markup(render_template("main/_home_main.html", recent=recent, counts=counts,
                                  kind_labels=kind_labels()))


@bp.route("/lang", methods=["POST"])
def set_language():
    """Footer language switch: kept in the session, and on the account for members."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(url_for("main.home")))


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": "ok"}
