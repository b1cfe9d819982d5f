"""People: profiles, the profile editor and the directory."""
from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")

from app.people import mydata, views  # noqa: E402,F401
