"""Who a call to the API is: the user of its bearer token, never the session cookie."""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..services import api_tokens
from . import MAX_BODY_BYTES


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, or None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def stands_apart() -> bool:
    """web.py's login wall asks, first thing, for an /api/ URL: True when the API checks the call
    itself (its token), False for the reference pages opened with a session (the wall checks those).
    Bounds the body before anything reads it."""
    request.max_content_length = MAX_BODY_BYTES
    return request.blueprint != "api_docs" or bearer_token() is not None


def authenticate_token():
    """Before every API view: the token's user becomes current_user (Flask-Login's per-request
    slot, so auth.permissions and services.access see them), or 401."""
    token = bearer_token()
    found = api_tokens.user_for_token(db.session, token) if token else None
    if found is None:
        abort(401)
    user, row = found
    g._login_user = user
    now = clock.now()
    if api_tokens.needs_touch(row, now):
        with db.engine.begin() as connection:
            api_tokens.touch(connection, row.id, now)
    return None


def token_or_session():
    """The reference pages: a valid token, or else the login of the session (web.py's wall)."""
    if bearer_token() is not None:
        return authenticate_token()
    if not current_user.is_authenticated:
        abort(401)
    return None
