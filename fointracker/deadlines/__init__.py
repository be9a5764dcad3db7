from flask import Blueprint

bp = Blueprint("deadlines", __name__, url_prefix="/deadlines")

from . import views  # noqa: E402,F401
