"""Issue 23, the map for an elected official: the SVG file an organiser downloads (and the PDF
report embeds) names the towns and the communes that matter without overlapping, draws the
boundary between Aveyron and Lozère, EPCI boundaries on demand, a legend whose classes give
their limits and counts, numbered and named sites, the selected commune; the page has the same
legend, the sites' list, a figures table with a skip link, and keeps the 437 communes out of the
Tab order."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from sqlalchemy import select

from app.organisers.mapcontent import MapContent, MapSite
from app.organisers.maplabels import _box, _overlaps, place_labels
from app.organisers.mapshape import map_shape
from app.organisers.mapsvg import demand_classes
from models import Commune, Place, PlaceStatus, db
from tests.helpers.apps import login_as
from tests.helpers.demand import declare

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"


@pytest.fixture
def organiser_client(app, client, make_user):
    """Rodez 5 people, Millau 4, Rignac 2 (under the threshold), an open place at Mende."""
    for i in range(5):
        declare(make_user(f"r{i}@example.org").id, "12202")
    for i in range(4):
        declare(make_user(f"m{i}@example.org").id, "12145")
    declare(None, "12199")
    declare(None, "12199")
    db.session.add(Place(name="Le Quai", commune_insee="48095", status=PlaceStatus.OPEN))
    db.session.commit()
    login_as(client, make_user("o@example.org", role="organiser"))
    return client


def _texts(root, *classes: str) -> list[str]:
    """The texts having all these classes (a name's white halo is a "halo", not a "label")."""
    return [" ".join(t.itertext()) for t in root.iter(f"{SVG}text")  # lines, in <tspan>s
            if set(classes) <= set((t.get("class") or "").split())]


def test_the_svg_file(organiser_client):
    r = organiser_client.get("/organisers/map.svg?k=3&commune=12145&epcis=1")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.headers["Content-Disposition"] == \
        f'attachment; filename="maillage-carte-demande-{date.today().isoformat()}.svg"'
    text = r.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(r.data)  # well-formed, standalone: its own style inside
    assert root.find(f"{SVG}style").text.count(".mmap") > 10

    # Names: the communes of highest demand, the place's, most of the 20 main towns (by
    # population; a name with no room left is left out), the départements.
    labels = _texts(root, "label")
    for name in ("Rodez", "Millau", "Rignac", "Mende", "Saint-Affrique", "Marvejols"):
        assert name in labels, name
    towns = sorted(db.session.scalars(select(Commune)), key=lambda c: -c.population)[:20]
    assert sum(c.name in labels for c in towns) >= 15
    assert {"AVEYRON", "LOZÈRE"} <= set(labels)

    # The boundary between the départements, and each one's outline, from data/boundaries.json.
    paths = {}  # the longest path of each class (the legend draws a short one of some)
    for p in root.iter(f"{SVG}path"):
        if len(p.get("d")) > len(paths.get(p.get("class"), "")):
            paths[p.get("class")] = p.get("d")
    assert len(paths["line-departement"]) > 100
    assert sum(1 for p in root.iter(f"{SVG}path") if p.get("class") == "departement-outline") == 2
    assert paths["line-epci"].count("M") >= 30  # the 30 EPCI, asked for with ?epcis=1
    without = organiser_client.get("/organisers/map.svg?k=3").get_data(as_text=True)
    assert 'class="line-epci"' not in without and 'class="line-departement"' in without

    # Numbered sites: Rodez covers its 5, Millau its 4, Rignac its 2, shown without the figure.
    sites = [g for g in root.iter(f"{SVG}g") if g.get("class") == "marker-site"
             and g.get("data-site")]
    assert [g.find(f"{SVG}text").text for g in sites] == ["1", "2", "3"]
    legend = " | ".join(_texts(root, "legend-text"))
    assert f"Rodez{NBSP}: 5 personnes couvertes" in legend
    assert f"Millau{NBSP}: 4 personnes couvertes" in legend
    assert f"Rignac{NBSP}: moins de 3 personnes couvertes" in legend
    assert "2 personnes" not in text

    # The legend: classes with their limits and their number of communes, which add up.
    assert f"3 à 4 personnes{NBSP}: 1 commune" in legend  # Millau
    assert f"5 personnes{NBSP}: 1 commune" in legend  # Rodez
    assert f"moins de 3 personnes (chiffre non publié){NBSP}: 1 commune" in legend  # Rignac
    assert f"aucune déclaration{NBSP}: 434 communes" in legend
    assert "limite entre départements" in legend and "commune choisie" in legend

    # The selected commune: outlined on top of the others, named first.
    millau = next(p for p in root.iter(f"{SVG}path") if "selected" in (p.get("class") or "").split())
    assert paths["selected-outline"] == millau.get("d")
    assert _texts(root, "label", "label-selected") == ["Millau"]
    # Rignac is hatched, with no figure in its tooltip.
    rignac = next(p for p in root.iter(f"{SVG}path")
                  if p.findtext(f"{SVG}title", "").startswith("Rignac"))
    assert "shade-small" in rignac.get("class")
    assert rignac.findtext(f"{SVG}title") == "Rignac — moins de 3 personnes"


def test_labels_never_overlap(app):
    shape = map_shape(db.session)
    cells = {code: {"people": 10 + i} for i, code in enumerate(sorted(shape.paths)[::9])}
    sites = [MapSite(i, code, 12) for i, code in enumerate(sorted(shape.paths)[3::40], 1)]
    for narrow in (False, True):
        labels = place_labels(shape, MapContent(cells, 3, sites=sites, selected="12145"), narrow)
        size = 34 if narrow else 17
        boxes = [_box(lb.x, lb.y, lb.text, lb.anchor, size * (1.5 if lb.kind == "departement" else 1),
                      lb.kind == "departement") for lb in labels]
        assert len(labels) >= (5 if narrow else 20)
        assert labels[0].text == "Millau" and labels[0].kind == "selected"
        for i, a in enumerate(boxes):
            assert 0 <= a[0] and a[2] <= shape.width and 0 <= a[1] and a[3] <= shape.height
            assert not any(_overlaps(a, b) for b in boxes[i + 1:]), labels[i]


def test_classes_limits_and_counts():
    cells = {"a": {"people": 3}, "b": {"people": 3}, "c": {"people": 4}, "d": {"people": 7},
             "e": {"people": 9}, "f": {"people": 30}, "g": {"people": None}}
    legend = demand_classes(cells, 3, communes=10)
    assert [(c.low, c.high, c.communes) for c in legend.classes] == \
        [(3, 3, 2), (4, 4, 1), (5, 7, 1), (8, 9, 1), (10, 30, 1)]
    assert legend.small == 1 and legend.none == 3
    assert sum(c.communes for c in legend.classes) + legend.small + legend.none == 10
    assert legend.shades == {"a": 1, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5}


def test_the_map_page(organiser_client):
    html = organiser_client.get("/organisers/map?k=3&commune=12145").get_data(as_text=True)
    # The 437 communes stay clickable but out of the Tab order; a skip link leads to the table.
    assert len(re.findall(r'<a href="[^"]*commune=\d{5}#figures" tabindex="-1"', html)) == 437
    filters_end = html.index("</form>", html.index('class="filters org-filters"'))
    skip = html.index('href="#figures-table" class="skip-inline"')
    assert filters_end < skip < html.index("<svg class=\"mmap\"")
    table = html[html.index('id="figures-table"'):html.index("</table>", html.index('id="figures-table"'))]
    assert 'tabindex="0"' in table[:80]
    rows = re.findall(r"<tr(.*?)>\s*<th scope=\"row\"><a [^>]*>([^<]+)</a></th>\s*<td([^>]*)>([^<]*)<",
                      table)
    assert [(name, value) for _attrs, name, _td, value in rows][:4] == [
        ("Rodez", "5"), ("Millau", "4"), ("Rignac", "moins de 3 personnes"), ("Mende", "0")]
    assert 'aria-current="true"' in rows[1][0]  # Millau, the selected commune
    # The legend and the sites' list, as in the file.
    assert f"5 personnes{NBSP}: 1 commune" in html
    assert re.search(r'<span class="site-number">3</span> <span><strong>Rignac</strong> — '
                     r'moins de 3 personnes couvertes', html)
    # Downloads: the SVG link with the same query, a PNG button made in the browser, print.
    assert 'href="/organisers/map.svg?k=3&amp;commune=12145" download' in html
    assert 'data-map-png="/organisers/map.svg?k=3&amp;commune=12145"' in html
    assert "js/map-export.js" in html and "css/map-page.css" in html
    assert "data-print" in html
    # The EPCI toggle keeps the rest of the query.
    assert 'href="/organisers/map?k=3&amp;commune=12145&amp;epcis=1"' in html
