"""The tiers-lieux directory: places, pricing plans, followers, future users, governance polls."""
from flask import Blueprint

bp = Blueprint("places", __name__, url_prefix="/places")

from app.places import polls, views  # noqa: E402,F401
