from flask import Blueprint

bp = Blueprint("auth", __name__)

from ..extensions import db, login_manager  # noqa: E402
from ..models import User  # noqa: E402
from . import account_views, views  # noqa: E402,F401  (the views register on bp)


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
