"""JSON API v1."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import chat, demand, moderation, networks, places, search, views  # noqa: E402,F401
