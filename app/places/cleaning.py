"""Repairs of the text of a list of places (app/places/importer.py): mojibake ("Ã©" for "é")
undone, spaces and control characters tidied, text a spreadsheet would run as a formula told,
a website kept only when it is one, the list's types read as the directory's kinds."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from app.csvexport import cell
from models import PlaceKind
from models.textkey import fold, tidy

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# Mojibake: a character that starts a UTF-8 sequence followed by one that continues it, both as
# Windows-1252 (or Latin-1) shows those bytes: "Ã©" is "é" read the wrong way, "â€™" is "’".
_LEAD = "".join(bytes([b]).decode("cp1252") for b in range(0xC2, 0xF5))
_CONT = "".join(bytes([b]).decode("cp1252", "replace") for b in range(0x80, 0xC0)).replace("\ufffd", "")
_CONT += "".join(chr(b) for b in range(0x80, 0xC0))  # Latin-1's, for the five cp1252 lacks
_MOJIBAKE = re.compile(f"[{re.escape(_LEAD)}][{re.escape(_CONT)}]|\ufffd")


def repair_mojibake(text: str) -> tuple[str, bool]:
    """(text, repaired): UTF-8 that was read as Windows-1252 or Latin-1 ("ThÃ©Ã¢tre") is put
    back ("Théâtre") only when reading it again as UTF-8 succeeds and leaves no such pair: then
    it is certain. Otherwise the text is kept as it is (`looks_garbled` tells)."""
    if not _MOJIBAKE.search(text):
        return text, False
    for encoding in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text and not _MOJIBAKE.search(fixed):
            return fixed, True
    return text, False


def clean_text(text: str) -> str:
    """One line of text: runs of white space (no-break spaces, line breaks) made one space,
    other control characters dropped."""
    return tidy("".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc"))


def looks_garbled(text: str) -> bool:
    return bool(_MOJIBAKE.search(text))


def formula_like(text: str) -> bool:
    """Text a spreadsheet would run as a formula (the export's rule, app/csvexport.py), a plain
    number ("-1.5") aside."""
    return bool(text) and cell(text) != text and not _NUMBER.fullmatch(text)


def clean_website(raw: str) -> tuple[str, str | None]:
    """(an http(s) address or "", a note when the value was changed or left out)."""
    url = raw.strip()
    if not url:
        return "", None
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "", f"website {url[:80]!r} is not a web address: left empty"
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host:
        return "", f"website {raw.strip()[:80]!r} is not a web address: left empty"
    note = None
    if "…" in url or url.endswith("..."):  # cut in the list: the site's own address stays
        url = f"{parts.scheme}://{parts.netloc}/"
        note = f"website cut in the list ({raw.strip()[:120]!r}): its site {url} is kept"
    if len(url) > 300:
        return "", "website longer than 300 characters: left empty"
    return url, note


def place_kind(typo: str) -> PlaceKind | None:
    key = fold(typo)
    if not key:
        return None
    if "coworking" in key:
        return PlaceKind.COWORKING
    if "fablab" in key or "fab lab" in key:
        return PlaceKind.FABLAB
    return PlaceKind.OTHER
