from flask import Blueprint

bp = Blueprint("foi_requests", __name__, url_prefix="/requests")

from . import bulk_views, figures_views, letter_views, timeline_views, views  # noqa: E402,F401
