from flask import Blueprint, g

from ..extensions import db
from ..services.deadlines import Calendars

bp = Blueprint("deadlines", __name__, url_prefix="/deadlines")


def page_calendars() -> Calendars:
    """The working-day calendars (closure days read from the database) for this request: read
    once, however many helpers of one page ask (deadline states, our windows, letters...)."""
    if "calendars" not in g:
        g.calendars = Calendars.from_db(db.session)
    return g.calendars


from . import views  # noqa: E402,F401
