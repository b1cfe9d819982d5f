"""Coworking demand: declarations of interest and census campaigns."""
from flask import Blueprint

bp = Blueprint("demand", __name__, url_prefix="/interest")
campaigns_bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

from app.demand import campaigns, views  # noqa: E402,F401
