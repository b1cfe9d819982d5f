"""The blueprint of app/organisers/, apart from the package's __init__: the view modules
import it from here, and __init__ imports the view modules (so their routes register)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organisers")
# The read-only links' pages, for people without an account (app/organisers/share_views.py):
# outside /organisers/, whose every page is for organisers only.
shared_bp = Blueprint("shared", __name__, url_prefix="/shared")
