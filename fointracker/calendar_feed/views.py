from flask import Response, abort, current_app

from ..extensions import db
from ..services.deadlines import Calendars
from ..services.preferences import user_for_calendar_token
from . import bp
from .feed import deadlines, grouped, their_requests, to_ical

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@bp.route("/<token>.ics")
def feed(token: str):
    """Public by design (calendar apps cannot log in): the token is the credential. An unknown,
    replaced or deactivated user's token is a plain 404 that says nothing about who exists."""
    user = user_for_calendar_token(db.session, token)
    if user is None:
        abort(404)
    base_url = current_app.config.get("BASE_URL") or DEFAULT_BASE_URL
    body = to_ical(
        grouped(deadlines(their_requests(db.session, user), base_url, Calendars.from_db(db.session)), base_url),
        f"fointracker: {user.display_name}'s deadlines",
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="fointracker-deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
