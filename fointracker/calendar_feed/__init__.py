"""The secret iCalendar feed: /calendar/<token>.ics, the only page opened by a token instead of a login."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from . import views  # noqa: E402,F401
