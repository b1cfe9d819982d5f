"""Accounts: register, log in and out, change password."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.auth import devices, views  # noqa: F401
from app.auth.blueprint import bp

__all__ = ["bp"]
