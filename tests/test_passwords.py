"""Passwords: the suite hashes them cheaply (scrypt for every test user made it twice as slow);
production keeps scrypt. `test_auth.py::test_register_logs_in_and_leads_to_the_profile_editor`
registers through the real form with the production setting (marker `strong_passwords`)."""
from __future__ import annotations

from app.config import Defaults


def test_production_keeps_scrypt():
    assert Defaults.PASSWORD_HASH_METHOD == "scrypt"


def test_the_suite_uses_a_cheap_hash(app, make_user):
    assert make_user().password_hash.startswith("pbkdf2:sha256:1$")
