"""What an account's email address and password must be, and how long a login waits after
failures. Pure rules: the web forms, the command line and the services all ask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
COMMON_PASSWORDS_CHECKED = 10_000


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords: the head of zxcvbn's `passwords` list (from the Xato
    corpus of leaked passwords, ranked by frequency; zxcvbn is MIT-licensed). Loaded on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_CHECKED])


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"the password must have at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"the password must have at most {PASSWORD_MAX_LENGTH} characters"
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        return "that password is one of the 10,000 most common: choose one nobody would guess"
    return None


def email_problem(email: str) -> str | None:
    """Why an address cannot be a login, or None: the one check of the login form and of
    `fointracker users create` (the email-validator package, which WTForms' Email() uses too;
    no DNS look-up)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"not an email address: {email!r} ({exc})"
    return None


@dataclass(frozen=True)
class ThrottlePolicy:
    """Growing delays after failed logins, counted separately per address, per account (only
    attempts from addresses and devices new to it) and per device cookie: `free` failures in
    the window cost nothing, then each further attempt waits `delay`, doubled per failure, at
    most `max_delay`, after the last one. Never a lock-out: only a wait."""

    free: int = 5
    window: timedelta = timedelta(hours=1)
    delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)

    def wait(self, failures: int, last: datetime | None, now: datetime) -> timedelta | None:
        """How long one must still wait before trying again, or None to try now."""
        if failures < self.free or last is None:
            return None
        needed = min(self.delay * 2 ** min(failures - self.free, 20), self.max_delay)
        remaining = last + needed - now
        return remaining if remaining > timedelta(0) else None


def describe_wait(wait: timedelta) -> str:
    seconds = max(1, round(wait.total_seconds()))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
