"""Chat pages (conversation list, room view, new group, direct message) and their JSON API."""
from flask import Blueprint

bp = Blueprint("chat", __name__, url_prefix="/chat")

from app.chat import views  # noqa: E402,F401
