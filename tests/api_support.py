"""Helpers of the JSON API's tests: a token for a user, and calls that send it."""

from __future__ import annotations

from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import User
from fointracker.services.api_tokens import create_token


def token_for(app, email: str, name: str = "notebook") -> str:
    """A new API token of the user with `email`, made as the account page makes one."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        _row, token = create_token(db.session, user, name)
        db.session.commit()
        db.session.remove()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
