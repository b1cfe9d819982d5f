"""SIRENE import: a synthetic StockEtablissement extract (the real 53-column header plus the
unknown column `activitePrincipaleNAF25Etablissement`), imported twice with `flask sirene
import` into a throwaway database; prints rows/s and the importing process's peak RSS, next to
the RSS of merely reading the whole file into a list (what a non-streaming importer costs).

Run it with::

    .venv/bin/python bench/sirene.py [--rows 200000]

The file mixes what real extracts contain: establishments of Aveyron and Lozère and of other
departments, closed ones (etat F), non-diffusible ones (statut P), empty fields, quotes and
commas inside names, a UTF-8 byte-order mark, and malformed lines (truncated, or a bad SIRET)
every 997 rows. Target (issue): bounded memory, progress reported, malformed rows counted,
and the second import changes no row.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA = "activitePrincipaleNAF25Etablissement"
NAF = ("62.01Z", "62.02A", "71.11Z", "73.11Z", "69.20Z", "43.32A", "90.01Z", "74.10Z", "01.13Z",
       "56.10A", "47.11B", "85.59A")


def real_header() -> list[str]:
    sample = ROOT / "data" / "sirene-header.csv"
    with open(sample, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f))


def luhn_complete(digits13: str) -> str:
    for last in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(digits13 + last)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits13 + last
    raise AssertionError


def write_synthetic(path: Path, rows: int, communes: list[str], seed: int = 3) -> dict:
    """Write the file; returns what an importer should find."""
    rng = random.Random(seed)
    header = real_header() + [EXTRA]
    col = {name: i for i, name in enumerate(header)}
    expected = {"rows": rows, "malformed": 0, "kept": 0, "outside": 0, "closed": 0,
                "non_diffusible": 0}
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write("\ufeff")
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            values = [""] * len(header)
            siret = luhn_complete(f"{800000000 + i:09d}{i % 10000:04d}")
            inside = rng.random() < 0.6
            commune = rng.choice(communes) if inside else rng.choice(["75056", "31555", "34172"])
            active = rng.random() < 0.85
            diffusible = rng.random() < 0.95
            values[col["siren"]], values[col["nic"]], values[col["siret"]] = \
                siret[:9], siret[9:], siret
            values[col["statutDiffusionEtablissement"]] = "O" if diffusible else "P"
            values[col["codeCommuneEtablissement"]] = commune
            values[col["etatAdministratifEtablissement"]] = "A" if active else "F"
            values[col["activitePrincipaleEtablissement"]] = rng.choice(NAF)
            values[col["nomenclatureActivitePrincipaleEtablissement"]] = "NAFRev2"
            values[col["denominationUsuelleEtablissement"]] = \
                f'Atelier "{i}", bois, pierre' if diffusible else "Secret SARL"
            values[col["caractereEmployeurEtablissement"]] = rng.choice("ON")
            values[col[EXTRA]] = "62.10Y"
            if i % 997 == 500:  # malformed: a truncated line, or a bad SIRET
                expected["malformed"] += 1
                if i % 2:
                    f.write(",".join(values[:12]) + "\r\n")
                    continue
                values[col["siret"]] = siret[:-1] + str((int(siret[-1]) + 1) % 10)
            elif not inside:
                expected["outside"] += 1
            elif not active:
                expected["closed"] += 1
            else:
                expected["kept"] += 1
                expected["non_diffusible"] += not diffusible
            writer.writerow(values)
    return expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="maillage-sirene-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update(MAILLAGE_DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               MAILLAGE_SECRET_KEY="bench", FLASK_APP="wsgi.py")
    flask = [sys.executable, "-m", "flask"]
    for cmd in (["db", "upgrade"], ["territory", "load"]):
        subprocess.run(flask + cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    communes = [c["insee"] for c in json.loads((ROOT / "data" / "communes.json").read_text(
        "utf-8"))["communes"]]
    csv_path = work / "StockEtablissement_synthetic.csv"
    expected = write_synthetic(csv_path, args.rows, communes)
    size = csv_path.stat().st_size
    print(f"file: {args.rows:,} rows, {size / 1e6:.1f} MB, expected {expected}")
    measure = ("import resource, runpy, sys; sys.argv = ['flask'] + sys.argv[1:]; "
               "code = 0\ntry: runpy.run_module('flask', run_name='__main__')\n"
               "except SystemExit as e: code = e.code or 0\n"
               "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
               "sys.exit(code)")
    results = []
    for run in (1, 2):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", measure, "sirene", "import", str(csv_path)],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            print(done.stdout, done.stderr)
            return 1
        peak = int(re.search(r"PEAK_RSS_KB (\d+)", done.stdout).group(1))
        summary = done.stdout.strip().splitlines()[-2]
        results.append((run, seconds, peak, summary))
    app_only = subprocess.run([sys.executable, "-c", measure, "routes"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    app_peak = int(re.search(r"PEAK_RSS_KB (\d+)", app_only.stdout).group(1))
    baseline = ("import csv, resource, sys\nrows = list(csv.reader(open(sys.argv[1], newline='',"
                " encoding='utf-8-sig')))\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    whole = int(subprocess.run([sys.executable, "-c", baseline, str(csv_path)],
                               capture_output=True, text=True).stdout)
    print(f"{'run':26} {'seconds':>8} {'rows/s':>9} {'peak RSS':>10}")
    for run, seconds, peak, _ in results:
        print(f"{'import #' + str(run):26} {seconds:>8.1f} {args.rows / seconds:>9,.0f} "
              f"{peak / 1024:>8.0f} MB")
    print(f"{'the app loaded, no import':26} {'':>8} {'':>9} {app_peak / 1024:>8.0f} MB")
    print(f"{'baseline: read all rows':26} {'':>8} {'':>9} {whole / 1024:>8.0f} MB")
    for run, _, _, summary in results:
        print(f"import #{run}: {summary}")
    second = results[1][3]
    unchanged = "0 new, 0 updated" in second
    print(f"second import changes nothing: {unchanged}")
    return 0 if unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
