from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import reminder_views, views  # noqa: E402,F401  (the views register on bp)
