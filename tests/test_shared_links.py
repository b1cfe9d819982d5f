"""Issue 23, must-show 5: an organiser makes a read-only link (CSRF, organisers only); anyone
holding it sees the overview, the map and the viability sheet for its filter, and downloads the
council report's PDF for it, aggregates only and nothing under the small-cell threshold
(ORGANISER_MIN_CELL); it stops working when revoked,
when it expires or when its author is no longer an organiser (410, a page that says so; 404 for
a token we never made), and every use is logged. Only the token's hash is stored."""
from __future__ import annotations

import hashlib
import html as htmllib
import io
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from pypdf import PdfReader
from sqlalchemy import select

from app.organisers.aggregates import Overview
from app.organisers.charts import shared_charts
from app.organisers.viability import Scenario, Sheet, without_small_cells
from models import SharedLink, SharedLinkUse, ShareOutcome, db
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.demand import declare

NBSP = "\u00a0"


@pytest.fixture
def world(app, make_user):
    """Rodez 6 people (5 permanent desks, 1 day pass), Millau 4, Rignac 2 (one of them with a
    name and address given for contact), Mende 1."""
    for i in range(5):
        declare(make_user(f"r{i}@example.org").id, "12202", budget_eur_month=300)
    declare(make_user("r5@example.org").id, "12202", formula="day_pass", budget_eur_month=80)
    for i in range(4):
        declare(make_user(f"m{i}@example.org").id, "12145")
    declare(None, "12199", consent=True, email="lea.secret@example.org")
    declare(None, "12199")
    declare(None, "48095")
    return make_user("claire@example.org", role="organiser", display_name="Claire Orga")


def make_link(client, query: str = "k=3", **fields) -> str:
    """Through the organiser's form: the link's path (/shared/<token>)."""
    page = client.get(f"/organisers/shared/new?{query}").get_data(as_text=True)
    carried = htmllib.unescape(re.search(r'name="query" type="hidden" value="([^"]*)"', page)[1])
    data = {"csrf_token": csrf_from(page), "query": carried, "label": "Conseil du 12 mars",
            "days": "30", "k": "3", "site": "12145", **fields}
    r = client.post("/organisers/shared/new", data=data)
    assert r.status_code == 200, r.get_data(as_text=True)
    url = re.search(r'id="shared-url" type="text" readonly value="([^"]+)"',
                    r.get_data(as_text=True))[1]
    return "/" + url.split("/", 3)[3]


def between(html: str, start: str, end: str) -> str:
    """The part of a page from `start` to the first `end` after it."""
    at = html.index(start)
    return html[at:html.index(end, at)]


def pdf_text(pdf: bytes) -> str:
    """A PDF's text on one line, spaces made plain."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def uses(link_id: int) -> list[tuple[str, str]]:
    db.session.rollback()
    return [(u.what, u.outcome) for u in db.session.scalars(
        select(SharedLinkUse).where(SharedLinkUse.link_id == link_id).order_by(SharedLinkUse.id))]


def test_a_visitor_sees_the_aggregates_and_nothing_under_the_threshold(app, client, world):
    login_as(client, world)
    path = make_link(client)
    token = path.rsplit("/", 1)[1]
    link = db.session.scalar(select(SharedLink))
    # Only the token's hash is kept: nothing in the row is the token.
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(link, c.key) for c in SharedLink.__table__.columns])
    assert link.created_by_id == world.id and link.params["k"] == 3

    visitor = app.test_client()
    r = visitor.get(path)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
    assert "Conseil du 12 mars" in html and "13 déclarations en cours pour ces filtres." in html
    # The map, its legend and its table.
    svg = between(html, '<svg class="mmap"', "</svg>")
    assert svg.count('class="commune shade-') == 437 and "<a href" not in svg
    assert f"5 personnes{NBSP}: 1 commune" not in html and f"6 personnes{NBSP}: 1 commune" in html
    assert re.search(r"<strong>Rodez</strong> — 6 personnes couvertes", html)
    assert re.search(r"<strong>Rignac</strong> — moins de 3 personnes couvertes", html)
    # Nothing under the threshold: in the table, in the charts, in the viability sheet.
    table = between(html, 'id="figures-table"', "</table>")
    figures = {name: value for name, value in re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td[^>]*>([^<]+)</td>', table)}
    assert figures == {"Rodez": "6", "Millau": "4", "Rignac": "moins de 3 personnes",
                       "Mende": "moins de 3 personnes"}
    bars = [int(v) for v in re.findall(r'<text [^>]*class="chart-value">(\d+)</text>', html)]
    assert bars and min(bars) >= 3
    # One day pass among 13: hidden, and the next smallest formula with it (else 13 − 12 = 1).
    formula = between(html, 'id="c-formula-title"', "</figure>")
    assert "Des journées à l’unité" not in formula and "Un poste permanent" not in formula
    assert "2 réponses ne sont pas affichées" in formula
    sheet = html[html.index('id="viability"'):html.index('id="method"')]
    assert "Viabilité d’un lieu à Millau" in sheet and "Hypothèses" in sheet
    assert "<dt>Personnes couvertes</dt><dd>4</dd>" in sheet
    # No name, no address, no link into the organisers' pages.
    for secret in ("lea.secret@example.org", "Claire Orga", "claire@example.org", "/organisers/"):
        assert secret not in html, secret

    svg = visitor.get(path + "/map.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Disposition"].startswith('attachment; filename="maillage-carte-')
    assert "Conseil du 12 mars" in svg.get_data(as_text=True)  # the link's name as its title
    assert uses(link.id) == [("page", ShareOutcome.SHOWN), ("map.svg", ShareOutcome.SHOWN)]


def test_revoked_expired_unknown(app, client, world):
    login_as(client, world)
    path = make_link(client)
    link = db.session.scalar(select(SharedLink))
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200

    # Revoking asks first, needs the CSRF token, then the link stops working.
    confirm = client.get(f"/organisers/shared/{link.id}/revoke")
    assert confirm.status_code == 200 and "Révoquer le lien" in confirm.get_data(as_text=True)
    assert client.post(f"/organisers/shared/{link.id}/revoke").status_code == 400
    assert visitor.get(path).status_code == 200
    r = client.post(f"/organisers/shared/{link.id}/revoke",
                    data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    assert r.status_code == 302 and r.headers["Location"].endswith("/organisers/shared")
    r = visitor.get(path)
    assert r.status_code == 410 and "Les organisateur·rices ont retiré ce lien" in r.get_data(as_text=True)
    assert visitor.get(path + "/map.svg").status_code == 410
    report = visitor.get(path + "/report.pdf")
    assert report.status_code == 410 and report.mimetype == "text/html"
    assert "Les organisateur·rices ont retiré ce lien" in report.get_data(as_text=True)
    assert uses(link.id) == [("page", ShareOutcome.SHOWN), ("page", ShareOutcome.SHOWN),
                             ("page", ShareOutcome.REVOKED), ("map.svg", ShareOutcome.REVOKED),
                             ("report.pdf", ShareOutcome.REVOKED)]
    listing = client.get("/organisers/shared").get_data(as_text=True)
    assert "Conseil du 12 mars" in listing and "révoqué" in listing and "3 refusées" in listing
    log = client.get(f"/organisers/shared/{link.id}").get_data(as_text=True)
    assert log.count("refusé") == 3 and "révoqué le" in log and "Claire Orga" in log
    assert "le rapport (PDF)" in log

    # Expired: 410 and the date it expired.
    path2 = make_link(client, label="Bureau")
    link2 = db.session.scalar(select(SharedLink).where(SharedLink.label == "Bureau"))
    link2.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = visitor.get(path2)
    assert r.status_code == 410 and "a expiré le" in r.get_data(as_text=True)
    r = visitor.get(path2 + "/report.pdf")
    assert r.status_code == 410 and "a expiré le" in r.get_data(as_text=True)
    assert uses(link2.id) == [("page", ShareOutcome.EXPIRED), ("report.pdf", ShareOutcome.EXPIRED)]

    # Tokens we never made: a wrong signature, a well-signed unknown one, junk: 404, translated.
    token = path2.rsplit("/", 1)[1]
    forged = URLSafeSerializer(app.secret_key, salt="organisers.shared-link").dumps("other")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "x", "a" * 500):
        r = visitor.get(f"/shared/{bad}")
        assert r.status_code == 404 and "Lien introuvable" in r.get_data(as_text=True), bad
    assert visitor.get(f"/shared/{forged}/map.svg").status_code == 404
    assert visitor.get(f"/shared/{forged}/report.pdf").status_code == 404


def test_a_visitor_gets_the_council_report_of_the_link(app, client, world):
    """The report's PDF for the link's filter, sites and viability sheet, through the same
    token checks, logged; aggregates only, no figure under the threshold, no name, no link
    into the organisers' pages; its map has the shared view's legend and sites."""
    login_as(client, world)
    path = make_link(client)
    link = db.session.scalar(select(SharedLink))
    visitor = app.test_client()
    html = visitor.get(path).get_data(as_text=True)
    tabs = between(html, '<ul class="tabs">', "</ul>")
    assert f'href="{path}/report.pdf"' in tabs and "Rapport (PDF)" in tabs

    r = visitor.get(path + "/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="maillage-rapport-')
    assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
    text = pdf_text(r.data)
    assert "Rapport pour le conseil" in text
    assert "Transmis par le lien en lecture seule « Conseil du 12 mars »" in text
    assert "13 déclarations actives pour ces filtres." in text
    assert "Nombre de sites (K) 3" in text and "Plus petit effectif montré 3" in text
    # The link's viability sheet (Millau, the plan's assumptions) and its map (the shared
    # view's legend and sites).
    assert "Fiche de viabilité : un lieu à Millau" in text and "Personnes couvertes 4" in text
    assert "Loyer (€ par mois)" in text and "Si les tarifs augmentent" in text
    assert "6 personnes : 1 commune" in text and "Rodez : 6 personnes couvertes" in text
    assert "Rignac : moins de 3 personnes couvertes" in text
    # Nothing under the threshold, no name, no address.
    assert re.search(r"Rignac 12199 [^0-9]*moins de 3", text)
    assert re.search(r"Mende 48095 [^0-9]*moins de 3", text)
    for secret in ("lea.secret@example.org", "Claire Orga", "claire@example.org"):
        assert secret not in text, secret
    links = [str(a.get_object().get("/A", {}).get("/URI", ""))
             for page in PdfReader(io.BytesIO(r.data)).pages for a in page.get("/Annots") or ()]
    assert not [url for url in links if "/organisers/" in url], links
    assert uses(link.id) == [("page", ShareOutcome.SHOWN), ("report.pdf", ShareOutcome.SHOWN)]

    # A link with no site and no viability sheet gives a report without them.
    bare = make_link(client, k="0", site="", label="Sans fiche")
    text = pdf_text(visitor.get(bare + "/report.pdf").data)
    assert "Aucune fiche de viabilité n’a été partagée avec ce lien." in text
    assert "site proposé" not in text and "Loyer (€ par mois)" not in text

    # Each PDF costs the server seconds and no account is behind a link: a link's reports are
    # rate-limited (SHARED_REPORT_RATE_LIMIT), its page is not.
    app.config["SHARED_REPORT_RATE_LIMIT"] = "1 per minute"
    assert visitor.get(bare + "/report.pdf").status_code == 200
    assert visitor.get(bare + "/report.pdf").status_code == 429
    assert visitor.get(path + "/report.pdf").status_code == 200  # another link: its own count
    assert visitor.get(bare).status_code == 200


def test_an_author_no_longer_organiser_takes_their_links_with_them(app, client, world, runner):
    login_as(client, world)
    path = make_link(client)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    result = runner.invoke(args=["user", "set-role", "claire@example.org", "member"])
    assert result.exit_code == 0, result.output
    assert visitor.get(path).status_code == 410


def test_only_organisers_make_and_revoke_links(app, client, world, make_user):
    login_as(client, world)
    make_link(client)
    link = db.session.scalar(select(SharedLink))
    member = app.test_client()
    login_as(member, make_user("m@example.org"))
    token = csrf_from(member.get("/").get_data(as_text=True))
    for who in (member, app.test_client()):
        assert who.get("/organisers/shared/new?k=3").status_code == 403
        assert who.post("/organisers/shared/new", data={
            "csrf_token": token, "label": "x", "days": "30", "k": "3", "site": ""}).status_code in (400, 403)
        assert who.post(f"/organisers/shared/{link.id}/revoke",
                        data={"csrf_token": token}).status_code in (400, 403)
    assert db.session.scalar(select(SharedLink.revoked_at)) is None
    assert db.session.query(SharedLink).count() == 1
    # The organiser's form without its token: refused, nothing made.
    page = client.get("/organisers/shared/new?k=3").get_data(as_text=True)
    assert client.post("/organisers/shared/new", data={
        "label": "x", "days": "30", "k": "3", "site": "", "query": "k=3"}).status_code == 400
    # A wrong value comes back with its error and what was typed.
    r = client.post("/organisers/shared/new", data={
        "csrf_token": csrf_from(page), "label": "  ", "days": "12", "k": "99", "site": "",
        "query": "k=3&epci=241200187"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="label-error"' in html and 'id="k-error"' in html
    assert 'value="99"' in html and "CA Rodez Agglomération" in html
    assert db.session.query(SharedLink).count() == 1


def test_a_link_keeps_its_filter_and_plan(app, client, world):
    login_as(client, world)
    path = make_link(client, query="epci=241200567&site=12145&rent=900&other_costs=100"
                                   "&price_permanent=100&price_days_per_quarter=100"
                                   "&price_day_pass=10&price_access_24h=100&price_meeting_room=10"
                                   "&occupancy=0,5", k="1")
    html = app.test_client().get(path).get_data(as_text=True)
    assert "Communauté de communes" in html and "CC de Millau Grands Causses" in html
    assert "4 déclarations en cours pour ces filtres." in html  # Millau's EPCI only
    sheet = html[html.index('id="viability"'):html.index('id="method"')]
    assert f"900{NBSP}€" in sheet and "0,5" in sheet  # the plan's assumptions
    table = between(html, 'id="figures-table"', "</table>")
    assert "Millau" in table and "Rodez" not in table


def test_shared_charts_leave_out_small_bars_and_what_would_give_them_away():
    from collections import Counter
    data = Overview(total=13, by={
        "track": Counter({"independent": 13}), "kind": Counter(), "formula":
        Counter({"permanent": 10, "day_pass": 1, "days_per_quarter": 2}), "days": Counter(),
        "budget": Counter(), "horizon": Counter(), "free_first_month": Counter(),
        "equipment": Counter({"kitchen": 2, "printer": 7}), "services": Counter(),
        "governance": Counter()}, trend=[("2026-01", 11), ("2026-02", 2)])
    charts = {id_: (items, hidden) for id_, _t, items, hidden in shared_charts(data, 3)}
    assert charts["c-formula"] == ([("A permanent desk, by the month", 10)], 2)  # 1 + 2 ≥ 3
    assert charts["c-equipment"] == ([("Printer", 7)], 1)  # several per person: no sum
    assert charts["c-trend"] == ([], 2)  # 2 alone would be 13 − 11
    assert shared_charts(Overview(total=2, by=data.by), 3) == []


def test_a_sheet_without_small_cells():
    def scenario(members):
        return Scenario(0.1, members, 100.0 * members, 90.0 * members, 0.0, 1)
    sheet = Sheet(people=5, costs=400, scenarios=[scenario(4), scenario(2), scenario(0)],
                  break_even_members=4, average_paid=100)
    shown = without_small_cells(sheet, 3)
    assert [s.members for s in shown.scenarios] == [4, None, 0]
    assert shown.scenarios[1].revenue is None and shown.average_paid == 100
    few = Sheet(people=5, costs=400, scenarios=[scenario(2)], break_even_members=4, average_paid=200)
    assert without_small_cells(few, 3).average_paid is None
    assert without_small_cells(few, 3).break_even_members is None
    assert without_small_cells(Sheet(2, 400, [scenario(2)], 4, 200), 3) is None
