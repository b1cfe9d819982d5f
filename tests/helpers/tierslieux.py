"""The national list of tiers-lieux as the tests read it: the project's copy, and the commune
each of the territory's 18 rows belongs to, worked out by hand from the data (not by the code
under test), with how it was decided.

How each was checked: the row's INSEECOM when set; else its CP and the typed COMINIT against
the gazetteer's postcodes and names (data/communes.json); else LAT/LONG against the commune
outlines of data/communes.json (a point-in-polygon in a throwaway script, never the importer).
For all 18 rows the coordinates fall in the same commune as the code or the name says, and the
list's own derived column INSEEMETRO agrees too. No other row of the 1,512 has a CP or INSEECOM
of 12 or 48 or coordinates inside any commune of the gazetteer."""
from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent.parent / "data" / "cget-tiers-lieux-2019.csv"
ROWS = 1512

# ID -> (INSEE code, how the importer finds it)
EXPECTED = {
    # INSEECOM is set on four rows, and is in the gazetteer.
    "464": ("12202", "INSEE code"),  # Coworking Rodez: INSEECOM 12202 Rodez
    "705": ("12208", "INSEE code"),  # La Terrasse: INSEECOM 12208 Saint-Affrique
    "1264": ("12145", "INSEE code"),  # Millaulab: INSEECOM 12145 Millau
    "1297": ("12202", "INSEE code"),  # Rutech: INSEECOM 12202 Rodez
    # INSEECOM 0: CP + COMINIT name one commune of the gazetteer (folded). Each of these
    # postcodes serves 5 to 15 communes: the name decides, the postcode confirms.
    "1049": ("12089", "postcode and name"),  # 12300 "Decazeville"
    "1089": ("48080", "postcode and name"),  # 48300 "Langogne"
    "1090": ("48096", "postcode and name"),  # 48150 "Meyrueis"
    "1091": ("48198", "postcode and name"),  # 48800 "Villefort"
    "1093": ("48064", "postcode and name"),  # 48310 "FOURNELS" (capitals)
    "1096": ("48092", "postcode and name"),  # 48100 "Marvejols"
    "1099": ("12145", "postcode and name"),  # 12100 "MILLAU" (capitals)
    "1101": ("48095", "postcode and name"),  # 48000 "Mende"
    "1117": ("48095", "postcode and name"),  # 48000 "MENDE": same address as POLeN (1101)
    "1113": ("48140", "postcode and name"),  # 48200 "Saint-Chély d'Apcher" (a hyphen short)
    "1115": ("12286", "postcode and name"),  # 12400 "Vabre l'Abbaye": the commune is spelt
    #                                          Vabres-l'Abbaye (the known rename)
    # INSEECOM 0 and a name that is no longer a commune's: the 2019 name of a commune that has
    # merged since into a commune nouvelle. The coordinates fall inside the new commune, which
    # also has the row's postcode.
    "1092": ("48061", "coordinates"),  # 48400 "Florac": Florac Trois Rivières (48400)
    "1094": ("48094", "coordinates"),  # 48500 "Le Massegros": Massegros Causses Gorges
    #                                    (48210 48500)
    "1095": ("48116", "coordinates"),  # 48220 "Le Pont de Montvert": Pont de Montvert - Sud
    #                                    Mont Lozère (48220)
}


def shipped_rows() -> tuple[list[str], list[dict[str, str]]]:
    import csv
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def write_variant(path: Path, changes: dict[str, dict[str, str]] | None = None, *,
                  drop: tuple[str, ...] = (), extra: list[dict[str, str]] = (),
                  only: set[str] | None = None, encoding: str = "utf-8",
                  delimiter: str = ",") -> Path:
    """The shipped file with some cells changed (ID -> {column: value}), columns dropped, only
    some of its IDs kept, rows added (missing cells empty), written in an encoding."""
    import csv
    import io
    header, rows = shipped_rows()
    header = [h for h in header if h not in drop]
    out = io.StringIO()
    writer = csv.DictWriter(out, header, extrasaction="ignore", restval="",
                            lineterminator="\n", delimiter=delimiter)
    writer.writeheader()
    for row in [r for r in rows if only is None or r["ID"] in only] + list(extra):
        writer.writerow({**row, **(changes or {}).get(row["ID"], {})})
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    return path
