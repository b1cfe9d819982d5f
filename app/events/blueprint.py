"""The blueprint of app/events/, apart from the package's __init__: the view modules import it
from here, and __init__ imports the view modules (so their routes register)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")
