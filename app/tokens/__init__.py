"""The member's personal access tokens page (/people/me/tokens): create (named, scoped, with an
expiry), see (name, prefix, scopes, last use) and revoke. The tokens' authentication on the
API is app/api/tokens.py."""
from __future__ import annotations

from app.tokens import views  # noqa: F401  (routes)
from app.tokens.blueprint import bp

__all__ = ["bp"]
