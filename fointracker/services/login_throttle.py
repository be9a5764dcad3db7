"""The login throttle: growing delays, never a lock-out (domain.accounts.ThrottlePolicy).

Counted separately, over the policy's window:
- per address: every attempt from it that came without a device cookie;
- per account: attempts from addresses and devices that never logged in to it (so guesses
  from elsewhere slow down strangers, never its owner's usual address or browser);
- per device cookie (a signed cookie set at each successful login, auth.views): an attempt
  carrying one for the account counts only against that cookie, so a stolen cookie still
  buys only a few guesses, and its owner gets in while the account is under attack.

An attempt is reserved before its password is checked: a row is inserted, then the rows are
counted in the same transaction, and the caller commits before checking the password. On
SQLite the INSERT takes the database's write lock, so the count that follows sees every
earlier reservation; on PostgreSQL a transaction-scoped advisory lock per counted key does
the same. So however many guesses arrive at once, at most the free ones are checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ..domain.accounts import ThrottlePolicy
from ..models import LoginAttempt


@dataclass(frozen=True)
class Reservation:
    attempt: LoginAttempt | None  # None: refused, wait this long
    wait: timedelta | None = None


def _lock(session: Session, key: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def _conditions(email: str, remote_addr: str, device: str | None, known: bool) -> dict[str, list]:
    if device:
        return {f"device:{device}": [LoginAttempt.device == device]}
    counted = {f"address:{remote_addr}": [LoginAttempt.remote_addr == remote_addr, LoginAttempt.device.is_(None)]}
    if not known:
        counted[f"account:{email}"] = [LoginAttempt.email == email, LoginAttempt.counts_for_account]
    return counted


def reserve(
    session: Session,
    *,
    email: str,
    remote_addr: str,
    device: str | None,
    known: bool,
    policy: ThrottlePolicy,
    now: datetime,
) -> Reservation:
    """Count an attempt before its password is checked, or refuse it (nothing recorded: waiting
    out a delay is not made longer by trying). Flushes; the caller commits before checking."""
    counted = _conditions(email, remote_addr, device, known)
    for key in sorted(counted):  # one order everywhere: no deadlock between two keys
        _lock(session, key)
    attempt = LoginAttempt(
        email=email, remote_addr=remote_addr, device=device, counts_for_account=not known, attempted_at=now
    )
    session.add(attempt)
    session.flush()
    since = now - policy.window
    for conditions in counted.values():
        failures, last = session.execute(
            select(func.count(LoginAttempt.id), func.max(LoginAttempt.attempted_at)).where(
                LoginAttempt.attempted_at >= since, LoginAttempt.id != attempt.id, *conditions
            )
        ).one()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        wait = policy.wait(failures, last, now)
        if wait is not None:
            session.delete(attempt)
            session.flush()
            return Reservation(None, wait)
    return Reservation(attempt)


def succeeded(session: Session, attempt: LoginAttempt, now: datetime, policy: ThrottlePolicy) -> None:
    """The password was right: the attempt is no failure. Rows older than a day go. Flushes."""
    session.execute(
        delete(LoginAttempt).where(
            (LoginAttempt.id == attempt.id) | (LoginAttempt.attempted_at < now - max(policy.window, timedelta(days=1)))
        )
    )
    session.flush()


def forget_failures(session: Session, email: str) -> None:
    """An admin reset the password: the account's failures no longer slow anyone. Flushes."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    session.flush()
