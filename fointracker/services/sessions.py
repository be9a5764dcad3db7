"""Logins that can be ended: one user_session row per login (see migration 0009).

The browser holds a random id, in the signed Flask session and in the remember cookie (as the
user's Flask-Login id); the table keeps only its SHA-256 digest. Every request looks the row
up by that digest (one indexed lookup, joined to its user): an ended row, or a disabled user,
is no login at all, on every web host at once, since nothing is kept in process memory."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, exists, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import User, UserSession

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at moves at most this often
USER_AGENT_MAX = 512
FORGET_AFTER = timedelta(days=400)  # rows unseen this long go (beyond the one-year remember cookie)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, *, user_agent: str, ip: str, now: datetime | None = None) -> str:
    """A new login for `user`; returns the random id for the browser, and sets it on `user`
    (so Flask-Login's login_user stores it). Flushes."""
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        ip=(ip or "")[:64],
    )
    session.add(row)
    session.flush()
    user.session_token, user.session_id = token, row.id
    return token


def user_for_token(session: Session, token: str) -> tuple[User, UserSession] | None:
    """The active user and session this browser's id names, or None (ended, unknown, disabled)."""
    if not token:
        return None
    found = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_digest(token), UserSession.ended_at.is_(None), User.active)
    ).first()
    if found is None:
        return None
    user, row = found
    user.session_token, user.session_id = token, row.id
    return user, row


def needs_touch(row: UserSession, now: datetime) -> bool:
    last = row.last_seen_at
    if last.tzinfo is None:  # SQLite hands back naive datetimes, stored in UTC
        last = last.replace(tzinfo=now.tzinfo)
    return now - last >= TOUCH_EVERY


def touch(connection: Connection, session_id: int, now: datetime) -> None:
    """Move last_seen_at, on a connection of its own (a page that only reads commits nothing)."""
    connection.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


def end_session(session: Session, user_id: int, session_id: int, now: datetime | None = None) -> bool:
    """End one of the user's sessions; False if it is not theirs or already ended. Flushes."""
    ended = session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )
    return ended.rowcount > 0


def end_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> int:
    """End every session of the user (a password change, a disabled account). Flushes."""
    ended = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )
    return ended.rowcount


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    """The user's sessions that still work, the most recently seen first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def logged_in_from(session: Session, user_id: int, ip: str) -> bool:
    """Whether the user has ever logged in successfully from this address."""
    return bool(
        session.scalar(select(exists().where(UserSession.user_id == user_id, UserSession.ip == (ip or "")[:64])))
    )


def forget_old_sessions(session: Session, now: datetime) -> None:
    """Rows unseen for longer than any cookie lives go (at each login). Flushes."""
    session.execute(delete(UserSession).where(UserSession.last_seen_at < now - FORGET_AFTER))
