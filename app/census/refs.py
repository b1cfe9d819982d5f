"""The codes of the census's short links: a campaign's (/c/<code>, on flyers) and a target's
anonymous reference (/c/<code>/<ref>, on its letter). Random (`secrets`), never derived from a
SIRET or an account, in Crockford's base 32 (no I, L, O, U: read aloud or typed from paper
without confusion; what people type is read back leniently)."""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CAMPAIGN_CODE_LENGTH = 6  # 30 bits: public anyway, on flyers
REF_LENGTH = 8  # 40 bits, behind the campaign's code
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None, ".": None})
_VALID = re.compile(f"[{ALPHABET}]+")


def new_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(typed: str | None, length: int) -> str | None:
    """What a person typed ("k7xm-2p", "K7XM2P") as the stored code, or None when it cannot be
    one."""
    if not typed or len(typed) > 4 * length:
        return None
    code = typed.upper().translate(_TYPED)
    return code if len(code) == length and _VALID.fullmatch(code) else None
