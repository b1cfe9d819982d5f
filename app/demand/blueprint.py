"""The blueprints of app/demand/, apart from the package's __init__: the view modules
import them from here, and __init__ imports the view modules (so their routes register)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demand", __name__, url_prefix="/interest")
campaigns_bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
