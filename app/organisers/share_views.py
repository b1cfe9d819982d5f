"""Read-only links (app/organisers/share.py): made, listed and revoked by organisers under
/organisers/shared (organisers only, like every page of `bp`), opened by anyone holding one
under /shared/<token> (`shared_bp`): the overview, the map and a viability sheet, the map's SVG
file and the council report's PDF (app/organisers/report.py) for the link's filters, with no
figure under the small-cell threshold. Each goes through the same token checks (`_open`) and
is logged. A link that expired or was revoked answers 410, one we never made 404, each with a
page that says so."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.confirm import confirm_page
from app.extensions import limiter
from app.forms import explain_csrf_failure
from app.organisers.aggregates import overview
from app.organisers.blueprint import bp, shared_bp
from app.organisers.charts import shared_charts
from app.organisers.data import current_rows
from app.organisers.figures import filter_summary, map_figures, map_notes
from app.organisers.forms import PRICE_FIELDS, ShareLinkForm, ViabilityForm
from app.organisers.mapsvg import map_filename, map_legend, map_sites, map_svg, svg_response
from app.organisers.params import filters_from_request, plan_from, run_clusters, viability_for
from app.organisers.report import council, report_filename, report_html, report_pdf
from app.organisers.share import (
    LinkState,
    create_link,
    filters_of,
    find_link,
    link_state,
    listing,
    log_use,
    params_from,
    plan_form_of,
    report_args,
    revoke,
    uses,
)
from app.organisers.viability import without_small_cells
from models import Commune, SharedLink, db
from models.types import utcnow

QUERY_MAX = 2000


# --- Organisers --------------------------------------------------------------------------------

@bp.route("/shared")
def shared_links():
    return render_template("organisers/shared_links.html", links=listing(db.session, utcnow()),
                           LinkState=LinkState)


def _commune_choices(rows) -> tuple[list[tuple[str, str]], list[str]]:
    names = dict(db.session.execute(select(Commune.insee, Commune.name)).all())
    suggested = [s.commune for s in run_clusters(rows, 3, current_app.config["DESK_OCCUPANCY"],
                                                 current_app.config["CO2_KG_PER_KM"]).sites]
    return ([("", _("No viability sheet"))] + [(c, names[c]) for c in suggested] + [
        (c, names[c]) for c in sorted(names, key=lambda c: names[c]) if c not in suggested],
        suggested)


@bp.route("/shared/new", methods=["GET", "POST"])
def new_shared_link():
    """The form carries the query string of the page it was opened from (the map, the
    viability sheet): its filters, and its plan when it is the viability sheet's."""
    form = ShareLinkForm()
    raw = (form.query.data or "") if form.is_submitted() else \
        request.query_string.decode("utf-8", "replace")
    query = MultiDict(parse_qsl(raw[:QUERY_MAX]))
    filters = filters_from_request(query)
    rows = current_rows(db.session, filters)
    form.site.choices, suggested = _commune_choices(rows)
    known = {code for code, _name in form.site.choices}
    if not form.is_submitted():
        form.query.data = raw[:QUERY_MAX]
        k = query.get("k", "")
        form.k.data = int(k) if k.isdigit() and int(k) <= 20 else 3
        form.epcis.data = bool(query.get("epcis"))
        site = query.get("site", "")
        form.site.data = site if site and site in known else (suggested[0] if suggested else "")
        form.label.data = _("Demand for a tiers-lieu, %(date)s",
                            date=format_date(utcnow(), "long"))
    plan = ViabilityForm(query if query.get("site") else None)
    plan_ok = plan.validate()
    status = 200
    if form.validate_on_submit():
        params = params_from(query, form.k.data, form.epcis.data, form.site.data or "")
        if params is not None:
            link, token = create_link(db.session, current_user, form.label.data, params,
                                      form.days.data, utcnow())
            db.session.commit()
            return render_template("organisers/shared_created.html", link=link,
                                   url=url_for("shared.view", token=token, _external=True))
        form.site.errors = [*form.site.errors, _(
            "The viability plan this page was opened with is not valid: correct it on the "
            "viability page, then share from there.")]
    if form.is_submitted():
        explain_csrf_failure(form)
        status = 422
    return render_template("organisers/shared_new.html", form=form, plan=plan, plan_ok=plan_ok,
                           price_fields=PRICE_FIELDS,
                           summary=filter_summary(db.session, filters)), status


@bp.route("/shared/<id:link_id>")
def shared_link(link_id: int):
    """A link's log: each use, when, what, and whether it was shown or refused."""
    link = db.get_or_404(SharedLink, link_id)
    return render_template("organisers/shared_link.html", link=link,
                           state=link_state(link, utcnow()), uses=uses(db.session, link),
                           summary=filter_summary(db.session, filters_of(link.params)),
                           LinkState=LinkState)


@bp.route("/shared/<id:link_id>/revoke", methods=["GET", "POST"])
def revoke_shared_link(link_id: int):
    link = db.get_or_404(SharedLink, link_id)
    if request.method == "GET":
        return confirm_page(_("Revoke the link “%(label)s”? Whoever holds it will no longer see "
                              "the figures.", label=link.label), _("Revoke"),
                            url_for("organisers.shared_links"))
    if revoke(db.session, link, current_user, utcnow()):
        db.session.commit()
        flash(_("The link “%(label)s” no longer works.", label=link.label), "success")
    return redirect(url_for("organisers.shared_links"))


# --- People holding a link ---------------------------------------------------------------------

def _open(token: str, what: str):
    """(the link, None) when it may be shown, else (None, the answer); each use is logged."""
    now = utcnow()
    link = find_link(db.session, token)
    if link is None:
        return None, (render_template("shared/gone.html", state="unknown"), 404)
    state = link_state(link, now)
    log_use(db.session, link, what, state, now)
    db.session.commit()
    if state != LinkState.OK:
        return None, (render_template("shared/gone.html", state=state, link=link), 410)
    return link, None


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _figures(link: SharedLink, rows, filters, standalone: bool = False):
    params = link.params
    notes = map_notes(db.session, filters, utcnow())
    return map_figures(db.session, rows, current_app.config["ORGANISER_MIN_CELL"],
                       k=params.get("k") or None, occupancy=current_app.config["DESK_OCCUPANCY"],
                       co2=current_app.config["CO2_KG_PER_KM"],
                       epci_lines=bool(params.get("epcis")), epci=filters.epci,
                       title=link.label if standalone else _("Declared demand by home commune"),
                       notes=notes)


@shared_bp.route("/<token>")
def view(token: str):
    link, gone = _open(token, "page")
    if gone:
        return _private(make_response(*gone))
    threshold = current_app.config["ORGANISER_MIN_CELL"]
    filters = filters_of(link.params)
    rows = current_rows(db.session, filters)
    data = overview(rows)
    figures = _figures(link, rows, filters)
    form = plan_form_of(link.params)
    sheet = site_name = None
    if form is not None:
        sheet = without_small_cells(viability_for(
            db.session, rows, form.site.data, plan_from(form), bool(form.include_open.data)),
            threshold)
        commune = db.session.get(Commune, form.site.data)
        site_name = commune.name if commune else form.site.data
    svg_url = url_for("shared.map_file", token=token)
    report_url = url_for("shared.report", token=token)
    return _private(make_response(render_template(
        "shared/view.html", link=link, total=data.total, threshold=threshold,
        charts=shared_charts(data, threshold), figures=figures,
        svg=map_svg(db.session, figures.content),
        legend_lines=map_legend(db.session, figures.content),
        site_lines=map_sites(db.session, figures.content), map_title=figures.content.title,
        notes=figures.content.notes, table_links=False, svg_url=svg_url,
        png_filename=map_filename("png"), plan_form=form, sheet=sheet, site_name=site_name,
        price_fields=PRICE_FIELDS, report_url=report_url)))


@shared_bp.route("/<token>/map.svg")
def map_file(token: str):
    link, gone = _open(token, "map.svg")
    if gone:
        return _private(make_response(*gone))
    filters = filters_of(link.params)
    figures = _figures(link, current_rows(db.session, filters), filters, standalone=True)
    return _private(svg_response(map_svg(db.session, figures.content, standalone=True),
                                 map_filename("svg")))


@shared_bp.route("/<token>/report.pdf")
@limiter.limit(lambda: current_app.config["SHARED_REPORT_RATE_LIMIT"],
               key_func=lambda: f"shared-report:{request.view_args.get('token', '')[:200]}")
def report(token: str):
    """The council report (app/organisers/report.py) for the link's filters, sites (none when
    the link shows none), map options and viability sheet (none when the link has none):
    aggregates only, every figure under the small-cell rule, as the organisers' report."""
    link, gone = _open(token, "report.pdf")
    if gone:
        return _private(make_response(*gone))
    params = link.params
    found = council(db.session, filters_of(params), utcnow(), args=report_args(params),
                    k=params.get("k") or 0, sheet=bool(params.get("site")), map_events=False)
    pdf = report_pdf(report_html(db.session, found, shared_label=link.label), request.host_url)
    return _private(Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{report_filename(found.now)}"'}))
