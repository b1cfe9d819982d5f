"""The blueprints of app/census/, apart from the package's __init__: the view modules import
them from here, and __init__ imports the view modules (so their routes register).

`census` (/census/) is for organisers and the campaigns' referents (app/census/access.py);
`census_links` (/c/) holds the short links printed on letters and flyers, open to anyone."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("census", __name__, url_prefix="/census")
links_bp = Blueprint("census_links", __name__, url_prefix="/c")
