from flask import Blueprint

bp = Blueprint("auth", __name__)

from .. import clock  # noqa: E402
from ..extensions import db, login_manager  # noqa: E402
from ..services import sessions  # noqa: E402
from . import account_views, api_token_views, session_views, views  # noqa: E402,F401  (the views register on bp)


@login_manager.user_loader
def load_user(session_token: str):
    """The user whose open session the browser's id (from the session or the remember cookie)
    names: one indexed lookup per request; last seen moves at most once a minute."""
    found = sessions.user_for_token(db.session, session_token)
    if found is None:
        return None
    user, row = found
    now = clock.now()
    if sessions.needs_touch(row, now):
        with db.engine.begin() as connection:
            sessions.touch(connection, row.id, now)
    return user
