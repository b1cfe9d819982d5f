"""Mail preferences per kind (in the app only, at once, daily or weekly digest), the mails made
from notifications (`instant.py`), the digests (`digest.py`, `flask mail digest`) and one-click
unsubscribe links (`tokens.py`, `links.py`, RFC 8058)."""
from __future__ import annotations

from app.mailprefs import cli, views  # noqa: F401  (`flask mail digest`, routes)
from app.mailprefs.blueprint import bp

__all__ = ["bp"]
