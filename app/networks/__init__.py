"""Skill and territorial networks: charters, membership, invitations, posts and comments."""
from flask import Blueprint

bp = Blueprint("networks", __name__, url_prefix="/networks")

from app.networks import posts, views  # noqa: E402,F401
