from flask import Blueprint

bp = Blueprint("mailprefs", __name__)
