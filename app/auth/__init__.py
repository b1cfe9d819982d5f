"""Accounts: sign up (finished from a mailed link), log in and out, change password; getting
back in (forgotten password, an admin's recovery link); confirming and changing the address."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.auth import address, devices, recovery, second_factor, signup, views  # noqa: F401
from app.auth.blueprint import bp

__all__ = ["bp"]
