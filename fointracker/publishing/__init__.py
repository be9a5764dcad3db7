"""Publishing a report (#18): the author's page (publish, republish, unpublish) and the public
pages and downloads at /p/<slug>, served from the published snapshot only."""

from flask import Blueprint

bp = Blueprint("publishing", __name__)

from . import public_views, views  # noqa: E402,F401
