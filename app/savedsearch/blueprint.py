from flask import Blueprint

bp = Blueprint("saved_searches", __name__, url_prefix="/searches")
