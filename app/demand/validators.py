"""Checks on what people type in a declaration (pure functions)."""
from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s.\-]")
LA_POSTE_SIREN = "356000000"  # its establishments' SIRET follow another rule


def clean_siret(typed: str) -> str:
    """"123 456 789 00012" -> "12345678900012" (spaces, dots and dashes dropped)."""
    return _NON_DIGITS.sub("", typed or "")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def siret_ok(siret: str) -> bool:
    """14 digits with a valid Luhn key (La Poste: the digits add up to a multiple of 5)."""
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_SIREN + "00012":
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)
