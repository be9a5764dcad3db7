from flask import Blueprint

bp = Blueprint("foi_requests", __name__, url_prefix="/requests")

from . import views  # noqa: E402,F401
