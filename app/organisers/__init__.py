"""The organisers' space: demand overview, offline map, clusters, gaps and exports.
Organisers and admins only: every route starts with `require_organiser()`."""
from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organisers")

from app.organisers import prospects, views  # noqa: E402,F401
