"""Canonical skills: the seed list, merging and renaming (organisers), the skills API."""
from flask import Blueprint

bp = Blueprint("skills", __name__, url_prefix="/skills")

from app.skills import views  # noqa: E402,F401
