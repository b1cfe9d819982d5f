"""JSON API v1 (read-only for now)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import chat, demand, networks, places, search, views  # noqa: E402,F401
