from flask import Blueprint

bp = Blueprint("authorities", __name__, url_prefix="/councils")

from . import views  # noqa: E402,F401
