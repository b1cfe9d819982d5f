from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select, text

from app import __version__
from app.auth.redirects import safe_next
from app.feed import onboarding, queries
from app.main.blueprint import bp
from app.pagecache import cached_page, member_page
from app.people.labels import kind_labels
from app.people.queries import directory_page, load_cards
from models import Commune, Profile, Visibility, db


@bp.route("/")
@member_page
def home():
    """Visitors: the brochure (cached). Members: their feed (app/feed/), the requests waiting
    for them and, until done, a new account's first steps."""
    if current_user.is_authenticated:
        return _member_home()
    return render_template("main/home.html", main=cached_page("home", _render_home))


def _member_home():
    user = current_user._get_current_object()
    cursor = queries.Key.parse(request.args.get("before"))
    page = queries.feed(db.session, user, cursor)
    steps = onboarding.steps(db.session, user) if cursor is None else []
    return render_template("main/feed.html", page=page, first_page=cursor is None,
                           steps=steps if not all(s.done for s in steps) else [],
                           requests=queries.pending_requests(db.session, user)
                           if cursor is None else [])


def _render_home() -> Markup:
    page = directory_page(db.session, viewer_is_member=current_user.is_authenticated,
                          per_page=6)
    # Counted like the directory counts: visitors do not learn about members-only profiles.
    visible = [] if current_user.is_authenticated else \
        [Profile.visibility == Visibility.PUBLIC]
    counts = {
        "profiles": page.total,
        "communes": db.session.scalar(
            select(func.count(func.distinct(Profile.commune_insee))).where(*visible)) or 0,
        "territory": db.session.scalar(select(func.count(Commune.insee))) or 0,
    }
    recent = load_cards(db.session, page.ids)
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
