"""Users, passwords and logging in (throttled: services.login_throttle)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..domain.accounts import ThrottlePolicy, describe_wait, email_problem, password_problem
from ..domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from ..models import LoginAttempt, Role, User
from . import login_throttle
from .audit import record
from .clashes import refused_on_clash
from .sessions import end_all_sessions, forget_old_sessions, logged_in_from


class UserError(ValueError):
    pass


@dataclass
class LoginOutcome:
    user: User | None
    message: str = ""
    rate_limited: bool = False


@dataclass
class LoginTicket:
    """An attempt counted by the throttle, its password not yet checked (finish_login)."""

    email: str
    user: User | None
    attempt: LoginAttempt | None
    refused: LoginOutcome | None = None


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rules(password: str) -> None:
    """The rules every new password follows (the web forms, users create, users set-password,
    demo seed): domain.accounts.password_problem."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem)


class UnknownUser(UserError):
    pass


def find_user(session: Session, email: str) -> User | None:
    """The user with this email, matched as at login (spaces trimmed, any case)."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def set_password(session: Session, *, email: str, password: str) -> User:
    """Give an existing user a new password (from the command line: no one is logged in).

    Clears the email's failed logins, so someone slowed by the throttle can log in at once, and
    ends all the user's sessions; the change is audited (the fact, never the value). Flushes;
    the caller commits."""
    user = find_user(session, email)
    if user is None:
        raise UnknownUser(f"no user has the email {normalise_email(email)!r}")
    change_password(session, user, password)
    login_throttle.forget_failures(session, user.email)
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


def change_password(session: Session, user: User, password: str) -> None:
    """A new password (checked against the rules) ends every session of the user, remembered
    ones too: a browser that should stay logged in starts a new one. Flushes."""
    check_password_rules(password)
    user.set_password(password)
    end_all_sessions(session, user.id)
    session.flush()


@refused_on_clash("uq_user_email", lambda: UserError("a user with this email already exists"))
def create_user(session: Session, *, email: str, role: str, password: str, name: str = "") -> User:
    email = normalise_email(email)
    problem = email_problem(email)  # the login form's check: an account one could never log in to is refused
    if problem:
        raise UserError(problem)
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


def start_login(
    session: Session,
    *,
    email: str,
    remote_addr: str,
    device: tuple[int, str] | None,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> LoginTicket:
    """Count a login attempt before its password is checked (services.login_throttle), or refuse
    it for a while. `device` is the (user id, id) of the browser's device cookie, if any: it
    counts only for that user. Flushes; the caller commits before finish_login, so that
    concurrent guesses see the attempt."""
    now = now or clock.now()
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    device_id = device[1] if device and user is not None and device[0] == user.id else None
    known = device_id is not None or (user is not None and logged_in_from(session, user.id, remote_addr))
    reservation = login_throttle.reserve(
        session, email=email, remote_addr=remote_addr, device=device_id, known=known, policy=policy, now=now
    )
    if reservation.attempt is None:
        message = f"Too many failed logins. Try again in {describe_wait(reservation.wait)}."
        return LoginTicket(email, user, None, LoginOutcome(None, message, rate_limited=True))
    return LoginTicket(email, user, reservation.attempt)


def finish_login(
    session: Session, ticket: LoginTicket, password: str, policy: ThrottlePolicy, now: datetime | None = None
) -> LoginOutcome:
    """Check the password of an attempt start_login let through. A failure stays counted; a
    success is not, and old rows are pruned. Flushes; the caller commits."""
    if ticket.refused is not None:
        return ticket.refused
    now = now or clock.now()
    user = ticket.user
    if user is None:
        # Hash anyway, so an unknown email takes as long as a wrong password: timing must not
        # tell which accounts exist.
        check_password_hash(_unknown_user_hash(), password)
    if user is None or not user.check_password(password) or not user.active:
        return LoginOutcome(None, "Wrong email or password.")
    login_throttle.succeeded(session, ticket.attempt, now, policy)
    forget_old_sessions(session, now)
    user.last_login_at = now
    session.flush()
    return LoginOutcome(user)
