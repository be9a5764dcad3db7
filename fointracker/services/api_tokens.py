"""Personal API tokens: made on the account page, shown once, kept as a SHA-256 digest, revocable.

A token is `fit_` and 43 URL-safe characters (32 random bytes): the prefix makes a leaked one easy
to recognise (secret scanners, logs). The table keeps its digest and its first characters (for the
account page); the lookup is by digest, so its timing says nothing about the stored tokens. A token
works while it is not revoked and its user is active: a deactivated user's tokens stop at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import ApiToken, User
from .audit import record

TOKEN_PREFIX = "fit_"
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # a longer Authorization value is no token of ours: not even hashed
VISIBLE_CHARACTERS = 8  # of the token, after its prefix, kept to tell tokens apart
MAX_NAME = 100
MAX_TOKENS_PER_USER = 50
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at moves at most this often


class ApiTokenError(ValueError):
    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.message = message
        self.field = field


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the token itself (the only time it exists). Flushes."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiTokenError("give the token a name, e.g. the notebook that uses it")
    if len(name) > MAX_NAME:
        raise ApiTokenError(f"a name is at most {MAX_NAME} characters")
    if len(active_tokens(session, user.id)) >= MAX_TOKENS_PER_USER:
        raise ApiTokenError(f"at most {MAX_TOKENS_PER_USER} tokens at once: revoke one you no longer use")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(token),
        prefix=token[: len(TOKEN_PREFIX) + VISIBLE_CHARACTERS],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record(session, user_id=user.id, entity_type="user", entity_id=user.id, action=f"API token {row.prefix}… created")
    return row, token


def active_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens; None if it is not theirs or already revoked. Flushes."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    row.revoked_at = clock.now()
    record(session, user_id=user_id, entity_type="user", entity_id=user_id, action=f"API token {row.prefix}… revoked")
    session.flush()
    return row


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user a live token acts as, and its row; None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    found = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None), User.active)
    ).first()
    return None if found is None else (found[0], found[1])


def needs_touch(row: ApiToken, now: datetime) -> bool:
    last = row.last_used_at
    if last is None:
        return True
    if last.tzinfo is None:  # SQLite hands back naive datetimes, stored in UTC
        last = last.replace(tzinfo=now.tzinfo)
    return now - last >= TOUCH_EVERY


def touch(connection, token_id: int, now: datetime) -> None:
    """Move last_used_at, on a connection of its own (a call that only reads commits nothing)."""
    connection.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
