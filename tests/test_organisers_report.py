"""Issue 23, the report to take to the council and the exports people open: the PDF of the demo
territory read back with pypdf (assumptions, date, filters, sources) and its first page rendered
to PNG (pdftoppm); the XLSX read with openpyxl (French headers, labels, numbers as numbers); the
French CSV opened by LibreOffice into its columns; the small-cell rule in every output; and
organisers only."""
from __future__ import annotations

import csv
import html as htmllib
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from app.demand.service import add_version, new_claim_token
from models import Declaration, db
from models.types import utcnow
from tests.helpers.apps import login_as

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-artefacts"
FEWER = "moins de 3"
# Every field of the viability form (a plan given in the query string must give them all).
PLAN = {"rent": "1800", "other_costs": "350", "price_permanent": "230",
        "price_days_per_quarter": "95", "price_day_pass": "11", "price_access_24h": "260",
        "price_meeting_room": "35", "occupancy": "0,6", "free_first_month": "y"}
PEOPLE_HEADERS = {"Personnes", "Personnes couvertes", "Membres", "Inscriptions",
                  "Demande déclarée à proximité"}


def lines_of(pdf: bytes) -> list[str]:
    """The PDF's lines of text, spaces made plain (French typography puts no-break spaces)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [re.sub(r"[ \u00a0\u202f]+", " ", line).strip() for line in text.splitlines()]


def text_of(pdf: bytes) -> str:
    """The PDF's text on one line: phrases are found wherever the layout broke them."""
    return " ".join(lines_of(pdf))


def query(**args) -> str:
    return "&".join(f"{k}={v}" for k, v in args.items())


def french_today(app) -> set[str]:
    """Today in Paris, as the report writes it (either side of midnight while the test runs)."""
    from flask_babel import format_date

    from app.organisers.tables import paris_today
    with app.test_request_context():
        return {format_date(paris_today(utcnow() + timedelta(seconds=s)), "long").replace(
            "\u00a0", " ") for s in (-60, 0, 60)}


def declare(commune: str, *, formula="permanent", budget=120, days=2.0, equipment=(),
            consent=False, name="", email="", acceptable=None) -> None:
    declaration = Declaration(contact_consent=consent, contact_name=name, contact_email=email,
                              claim_token=new_claim_token())
    add_version(db.session, declaration, {
        "track": "independent", "activity": "x", "home_commune_insee": commune,
        "acceptable_communes": [commune] if acceptable is None else acceptable,
        "days_per_week": days, "formula": formula, "budget_eur_month": budget, "horizon": "now",
        "equipment": list(equipment)})


@pytest.fixture
def organiser(app, client, make_user):
    login_as(client, make_user("orga@example.org", role="organiser"))
    return client


@pytest.fixture
def small_world(app):
    """Rodez 5 people, Rignac 2 (one of them with a contact whose name looks like a formula),
    Millau 1: two small cells, no open place."""
    for i in range(5):
        declare("12202", budget=150 + i, days=2.5, formula="days_per_quarter",
                equipment=("fibre_wifi", "kitchen"))
    declare("12199", consent=True, name='=HYPERLINK("http://evil.example")',
            email="lea@example.org", budget=110)
    declare("12199", budget=130)
    declare("12145", budget=90)
    db.session.commit()


# --- Must show 2: the PDF of the demo territory ----------------------------------------------

def test_report_pdf_of_the_demo_territory(app, runner, organiser):
    assert runner.invoke(args=["demo", "--profiles", "340"]).exit_code == 0
    app.config["ORGANISATION_NAME"] = "PETR du Lévézou"
    url = "/organisers/report.pdf?" + query(since="2020-01-01", k=4, site="12300", **PLAN)
    response = organiser.get(url)
    ARTEFACTS.mkdir(exist_ok=True)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.data
    text = text_of(pdf)
    (ARTEFACTS / "council-report.txt").write_text(text)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert reader.metadata.author == "PETR du Lévézou"
    # The organisation, the date, the filters and the settings.
    assert "PETR du Lévézou" in text and "Rapport pour le conseil" in text
    assert any(day in text for day in french_today(app)), french_today(app)
    for words in ("Communauté de communes Toutes", "Campagne Toutes", "Questionnaire Toutes",
                  "Déclarées à partir du 1 janvier 2020", "Nombre de sites (K) 4",
                  "Plus petit effectif montré 3"):
        assert words in text, words
    # Every assumption of the viability sheet, as given, and the price-rise scenarios.
    for words in ("Fiche de viabilité : un lieu à Villefranche-de-Rouergue", "Loyer (€ par mois) 1 800 €",
                  "Autres charges (€ par mois) 350 €", "Poste permanent (€ par mois) 230 €",
                  "Jours par trimestre (€ par trimestre) 95 €",
                  "Journée à l’unité (€ par jour) 11 €", "Accès 24 h/24 (€ par mois) 260 €",
                  "Salle de réunion (€ par mois) 35 €", "Premier mois offert oui",
                  "Taux d’occupation visé 0,6", "Si les tarifs augmentent", "+10 %", "+20 %",
                  "+30 %"):
        assert words in text, words
    # The demand, the sites, the gaps, the method, the sources and the small-cell rule.
    for words in ("La demande déclarée", "La carte", "Sites proposés", "Zones blanches",
                  "Méthode et sources", "INSEE", "CGET, aujourd’hui ANCT, 2019",
                  "ADEME, Base Carbone", "La règle des petits effectifs"):
        assert words in text, words
    assert "days_per_quarter" not in text and "fibre_wifi" not in text

    (ARTEFACTS / "council-report.pdf").write_bytes(pdf)
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is missing (Debian's poppler-utils; `make test` installs it as "
                    "root): page 1 not rendered to PNG")
    target = ARTEFACTS / "council-report-page-1"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(ARTEFACTS / "council-report.pdf"), str(target)], check=True, timeout=60)
    png = target.with_suffix(".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def _map_parts(svg: str) -> dict:
    """What a drawing of the map shows: each commune's classes (shade, small, site, selected),
    the names placed for a desktop (text, position, anchor, kind), the legend's lines and the
    sites' list, whitespace aside (the standalone file wraps them into lines)."""
    wide = svg[svg.index('class="map-labels map-labels-wide"'):]
    wide = wide[:wide.index("</g>")]
    return {
        "communes": re.findall(r'<path d="[^"]*" class="(commune [^"]*)"', svg),
        "labels": re.findall(r'<text x="([^"]+)" y="([^"]+)" text-anchor="(\w+)" '
                             r'class="label label-(\w+)">([^<]*)</text>', wide),
    }


def _squeezed(text: str) -> str:
    return "".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_the_map_in_the_pdf_is_the_map_pages_drawing(app, organiser, small_world):
    """The PDF's map is `mapsvg.map_svg`'s drawing of the map page's figures
    (`figures.map_figures`), standalone: the same outlines shaded the same way, the same
    commune selected, the same names at the same places, the same legend and numbered sites,
    with the map's own style inside and no link."""
    from app.organisers.data import Filters
    from app.organisers.report import council, map_figure
    plan = query(k=2, site="12202", **PLAN)
    page = organiser.get("/organisers/map?k=2&commune=12202").get_data(as_text=True)
    inline = page[page.index('<svg class="mmap"'):]
    inline = inline[:inline.index("</svg>")]
    with app.test_request_context(f"/organisers/report.pdf?{plan}"):
        figure = str(map_figure(db.session, council(db.session, Filters(), utcnow())))

    # The standalone drawing of map.svg (the SVG download's), with its own style: every rule
    # under .mmap, nothing of the site's stylesheet; no link out of the PDF.
    assert figure.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="mmap mmap-file"')
    style = figure[figure.index("<style>") + 7:figure.index("</style>")]
    assert style.count(".mmap") > 10 and "body {" not in style and ".site-header" not in style
    assert "<a " not in figure
    drawn, shown = _map_parts(figure), _map_parts(inline)
    assert len(drawn["communes"]) == 437 and drawn == shown
    assert "commune shade-1 site selected" in drawn["communes"]  # Rodez: a site, selected
    assert drawn["communes"].count("commune shade-small site") == 1  # Rignac: small, a site
    assert {label[4] for label in drawn["labels"]} >= {"Rodez", "Rignac", "Millau", "AVEYRON"}

    # The same legend and sites' list as the page's, line for line.
    legend = re.findall(r"</svg>([^<]+)</li>", page[page.index('id="map-legend"'):
                                                   page.index("</ul>", page.index('id="map-legend"'))])
    sites = re.findall(r'<span class="site-number">(\d+)</span> <span><strong>([^<]+)</strong>'
                       r' — ([^<]+)</span>', page)
    assert len(legend) >= 5 and [n for n, _name, _p in sites] == ["1", "2"]
    for line in legend:
        assert _squeezed(line) in _squeezed(figure), line
    for _number, name, covered in sites:
        assert _squeezed(f"{name} : {covered}") in _squeezed(figure), name

    # And that drawing is what the PDF prints: its legend, its sites and its names.
    text = _squeezed(text_of(organiser.get(f"/organisers/report.pdf?{plan}").data))
    for line in legend:
        assert _squeezed(line) in text, line
    for _number, name, covered in sites:
        assert _squeezed(f"{name} : {covered}") in text, name
    for *_xy, _anchor, _kind, name in drawn["labels"]:
        assert _squeezed(name) in text, name


# --- the small-cell rule everywhere -----------------------------------------------------------

def test_no_small_cell_in_the_report_nor_the_exports(app, organiser, small_world):
    plan = query(site="12199", **{**PLAN, "price_permanent": "100"})  # Rignac: its 2 pay
    pdf = organiser.get(f"/organisers/report.pdf?{plan}").data
    text = text_of(pdf)
    rignac = [line for line in lines_of(pdf) if line.startswith("Rignac 12199")]
    assert rignac and all(FEWER in line and not re.search(r"\b[12]\b", line.split(FEWER)[0])
                          for line in rignac), rignac
    assert "Personnes couvertes moins de 3" in text
    # What the two pay is not shown, nor how many would break even: no figure about them.
    assert "Montant moyen payé par membre non montré (moins de 3 personnes)" in text
    assert "Membres nécessaires à l’équilibre non montré (moins de 3 personnes)" in text
    assert "comme prévu moins de 3 — — — —" in text and "+30 % moins de 3 — — — —" in text
    assert "Millau 12145" in text and "lea@example.org" not in text

    book = openpyxl.load_workbook(io.BytesIO(organiser.get(
        f"/organisers/export/tables.xlsx?{plan}").data))
    assert [r[0].value for r in book["Communes"].iter_rows(min_row=2)
            if r[0].value and r[0].value.isdigit()] == ["12202"]
    gaps = {r[0].value: r[3].value for r in book["Zones blanches, communes"].iter_rows(min_row=2)}
    assert gaps["Rodez"] == 5 and gaps["Rignac"] == FEWER and gaps["Millau"] == FEWER
    for sheet in book.worksheets:  # every count of people: 0, at least 3, or words
        header = [c.value for c in sheet[1]]
        for c, name in enumerate(header):
            if name in PEOPLE_HEADERS:
                for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
                    value = row[c].value
                    assert value in (None, 0, FEWER) or isinstance(value, str) \
                        and "ou plus" in value or value >= 3, (sheet.title, name, value)

    french = organiser.get("/organisers/export/communes-fr.csv").get_data(as_text=True)
    assert [line.split(";")[0] for line in french.lstrip("\ufeff").splitlines()[1:]] == ["12202"]
    viability = organiser.get(f"/organisers/viability?{plan}").get_data(as_text=True)
    assert "moins de 3" in viability and ">2<" not in viability


# --- XLSX and French CSV ----------------------------------------------------------------------

def test_xlsx_has_french_headers_labels_and_numbers(app, organiser, small_world):
    response = organiser.get("/organisers/export/declarations.xlsx")
    assert response.mimetype == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["Code INSEE", "Commune", "Questionnaire", "Formule",
                          "Jours par semaine", "Budget (€ par mois)"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2) if r[0].value == "12202"]
    assert len(rows) == 5
    first = dict(zip(header, rows[0], strict=True))
    assert first["Formule"].value == "Un nombre de jours par trimestre"  # not days_per_quarter
    assert first["Équipements"].value == "Wifi fibre, Cuisine"  # not "fibre_wifi kitchen"
    assert first["Jours par semaine"].data_type == "n" and first["Jours par semaine"].value == 2.5
    assert first["Budget (€ par mois)"].data_type == "n" and first["Budget (€ par mois)"].value == 150
    assert first["Déclarée le"].is_date
    names = [r[header.index("Nom du contact")].value for r in sheet.iter_rows(min_row=2)]
    # A formula-like name stays text, neutralised as in the machine CSV.
    assert "'=HYPERLINK(\"http://evil.example\")" in names
    # The machine CSV is kept as it was: codes, commas, dots.
    machine = organiser.get("/organisers/export/declarations.csv").get_data(as_text=True)
    assert "days_per_quarter" in machine and "fibre_wifi kitchen" in machine

    book = openpyxl.load_workbook(io.BytesIO(organiser.get(
        "/organisers/export/tables.xlsx").data))
    assert {"Filtres", "Demande", "Communes", "Sites", "Hypothèses", "Viabilité",
            "Hausses de prix", "Zones blanches, communes", "Zones blanches, EPCI",
            "Événements"} <= set(book.sheetnames)
    sites = book["Sites"]
    assert [c.value for c in sites[1]][:4] == ["Rang", "Site", "Code INSEE", "Personnes couvertes"]
    assert sites["A2"].data_type == "n" and sites["D2"].value == 5 and sites["B2"].value == "Rodez"
    assumptions = {r[0].value: r[1] for r in book["Hypothèses"].iter_rows(min_row=2)}
    assert assumptions["Loyer (€ par mois)"].value == 1500
    assert assumptions["Loyer (€ par mois)"].data_type == "n"
    assert assumptions["Taux d’occupation visé"].value == 0.7


def test_french_csv_convention(organiser, small_world):
    response = organiser.get("/organisers/export/declarations-fr.csv")
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff") and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Code INSEE", "Commune", "Questionnaire", "Formule"]
    rodez = [r for r in rows if r[0] == "12202"][0]
    assert rodez[4] == "2,5" and rodez[5] == "150"  # decimal comma, a plain number
    assert rodez[3] == "Un nombre de jours par trimestre" and rodez[7] == "Wifi fibre, Cuisine"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", rodez[11])
    assert any(r[12] == "'=HYPERLINK(\"http://evil.example\")" for r in rows)
    assert all(len(r) == len(rows[0]) for r in rows)
    events = organiser.get("/organisers/export/events-fr.csv").get_data(as_text=True)
    assert events.lstrip("\ufeff").startswith("Lieu;Statut du lieu;Code INSEE;Commune")


def test_french_csv_opens_in_columns_in_libreoffice(organiser, small_world, tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("soffice is missing (Debian's libreoffice-calc; `make test` installs it as "
                    "root)")
    files = {"declarations-fr.csv": "/organisers/export/declarations-fr.csv",
             "communes-fr.csv": "/organisers/export/communes-fr.csv",
             # The machine CSV, opened the same way: what a French spreadsheet did with it.
             "communes-machine.csv": "/organisers/export/communes.csv"}
    for name, url in files.items():
        (tmp_path / name).write_bytes(organiser.get(url).data)
    # French Calc's CSV import: separator ";", quote '"', UTF-8, from line 1, French locale.
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--infilter=CSV:59,34,76,1,,1036", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "out"),
                    *[str(tmp_path / name) for name in files]],
                   check=True, timeout=240, capture_output=True)

    def opened(name: str):
        sheet = openpyxl.load_workbook(tmp_path / "out" / name.replace(".csv", ".xlsx")).active
        return [[c.value for c in row] for row in sheet.iter_rows()]

    declarations = opened("declarations-fr.csv")
    assert len(declarations[0]) == 14 and declarations[0][0] == "Code INSEE"
    assert all(len(row) == 14 for row in declarations)
    rodez = [r for r in declarations if r[0] in ("12202", 12202)][0]
    assert rodez[4] == 2.5 and rodez[5] == 150  # numbers, read with the decimal comma
    communes = opened("communes-fr.csv")
    assert communes[0] == ["Code INSEE", "Commune", "Communauté de communes", "Personnes",
                           "Jours-postes par semaine", "Budget médian (€ par mois)"]
    assert communes[1][3] == 5 and communes[1][4] == 12.5
    assert max(len(row) for row in opened("communes-machine.csv")) == 1  # one column


# --- who may ---------------------------------------------------------------------------------

NEW_URLS = ["/organisers/report.pdf", "/organisers/export/tables.xlsx",
            "/organisers/export/declarations.xlsx", "/organisers/export/communes-fr.csv",
            "/organisers/export/events-fr.csv", "/organisers/export/declarations-fr.csv"]


def test_report_and_exports_are_for_organisers_only(app, make_user, small_world):
    anonymous, member = app.test_client(), app.test_client()
    login_as(member, make_user("m@example.org"))
    for url in NEW_URLS:
        # The organisers' blueprint answers 403 to everyone else, visitors included.
        assert member.get(url).status_code == 403, url
        assert anonymous.get(url).status_code == 403, url
    admin = app.test_client()
    login_as(admin, make_user("a@example.org", role="admin"))
    for url in NEW_URLS:
        assert admin.get(url).status_code == 200, url


def test_a_plan_with_errors_goes_back_to_the_viability_page(organiser):
    plan = query(site="12202", **{**PLAN, "rent": "abc"})
    response = organiser.get(f"/organisers/report.pdf?{plan}")
    assert response.status_code == 302 and "/organisers/viability?" in response.location
    page = organiser.get(response.location)
    assert page.status_code == 422 and 'value="abc"' in page.get_data(as_text=True)


def test_the_viability_sheet_shows_its_assumptions_date_and_filters(app, organiser, small_world):
    plan = query(site="12202", epci="241200187", **PLAN)
    html = organiser.get(f"/organisers/viability?{plan}").get_data(as_text=True)
    sheet = html[html.index('<section class="card sheet"'):]
    for words in ("Fiche de viabilité", "Hypothèses", "Loyer (€ par mois)", "1\u202f800\u00a0€",
                  "Taux d’occupation visé", "0,6", "Premier mois offert", "Demande prise en compte",
                  "Rodez Agglomération", "print-heading", "Rapport pour le conseil (PDF)"):
        assert words in sheet, words
    assert any(day.replace(" ", "\u00a0") in sheet or day in sheet for day in french_today(app))
