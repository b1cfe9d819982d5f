"""Text keys for matching what people type against what is stored (no app imports)."""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-_'’.]+")


def fold(text: str) -> str:
    """Lowercase, strip accents, turn hyphens/apostrophes/spaces into one space.

    "Saint-Geniez-d'Olt" and "saint geniez d olt" give the same key.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", bare).strip()


def tidy(text: str) -> str:
    """Collapse runs of white space; keep case and accents (for display)."""
    return " ".join(text.split())
