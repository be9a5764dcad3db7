"""Users, passwords and the login rate limit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from ..models import LoginAttempt, Role, User
from ..models.base import utcnow
from .audit import record


class UserError(ValueError):
    pass


@dataclass
class LoginOutcome:
    user: User | None
    message: str = ""
    rate_limited: bool = False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rules(password: str) -> None:
    """The rules every new password follows (users create, users set-password, demo seed)."""
    if len(password) < 10:
        raise UserError("the password must have at least 10 characters")


class UnknownUser(UserError):
    pass


def find_user(session: Session, email: str) -> User | None:
    """The user with this email, matched as at login (spaces trimmed, any case)."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def set_password(session: Session, *, email: str, password: str) -> User:
    """Give an existing user a new password (from the command line: no one is logged in).

    Clears the email's failed logins, so someone locked out by the rate limit can log in
    at once; the change is audited (the fact, never the value). Flushes; the caller commits."""
    user = find_user(session, email)
    if user is None:
        raise UnknownUser(f"no user has the email {normalise_email(email)!r}")
    check_password_rules(password)
    user.set_password(password)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    record(
        session,
        user_id=None,
        entity_type="user",
        entity_id=user.id,
        action="updated",
        before={},
        after={"password": "changed on the command line"},
    )
    session.flush()
    return user


def create_user(session: Session, *, email: str, role: str, password: str, name: str = "") -> User:
    email = normalise_email(email)
    if not email or "@" not in email:
        raise UserError(f"not an email address: {email!r}")
    name = (name or "").strip()
    if len(email) > 254 or len(name) > 120:  # the columns' sizes (PostgreSQL refuses longer)
        raise UserError("an email address has at most 254 characters, a name at most 120")
    if control_character(email + name):
        raise UserError(f"the email or name {CONTROL_CHARACTER_MESSAGE}")
    try:
        role = Role(role).value
    except ValueError:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(r.value for r in Role)}") from None
    check_password_rules(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"a user with the email {email} already exists")
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    remote_addr: str,
    limit: int,
    window_seconds: int,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password, refusing once `limit` failures for the email or address fall in the window."""
    now = now or utcnow()
    email = normalise_email(email)
    since = now - timedelta(seconds=window_seconds)
    recent_failures = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.attempted_at >= since,
            or_(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr),
        )
    )
    if recent_failures >= limit:
        minutes = max(1, window_seconds // 60)
        return LoginOutcome(None, f"Too many failed logins. Try again in {minutes} minutes.", rate_limited=True)

    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        # Hash anyway, so an unknown email takes as long as a wrong password: timing must not
        # tell which accounts exist.
        check_password_hash(_unknown_user_hash(), password)
    if user is None or not user.check_password(password) or not user.active:
        session.add(LoginAttempt(email=email, remote_addr=remote_addr, attempted_at=now))
        session.flush()
        return LoginOutcome(None, "Wrong email or password.")

    # A successful login clears the user's failures, and old rows are pruned.
    session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.email == email, LoginAttempt.attempted_at < now - timedelta(days=1))
        )
    )
    user.last_login_at = now
    session.flush()
    return LoginOutcome(user)
