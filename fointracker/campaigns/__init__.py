from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

from . import batch_views, question_views, stats_views, views  # noqa: E402,F401
