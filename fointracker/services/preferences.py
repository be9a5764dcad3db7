"""A user's reminder preferences and their secret calendar link."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.reminders import ReminderKind
from ..models import User
from .audit import record, snapshot

MODES = ("immediate", "digest")
PREFERENCE_FIELDS = ("reminder_mode", "digest_hour", "reminder_kinds_off")
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters


class PreferenceError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def user_kinds_off(user: User) -> list[str]:
    """The kinds this user turned off (an old row may hold None: nothing turned off)."""
    return list(user.reminder_kinds_off or [])


def save_preferences(
    session: Session, user: User, *, mode: str, digest_hour: int, kinds_off: list[str], actor_id: int | None
) -> User:
    """Validate and save; one audit entry with what changed. Raises PreferenceError (nothing saved)."""
    if mode not in MODES:
        raise PreferenceError("mode", f"choose one of {', '.join(MODES)}")
    if isinstance(digest_hour, bool) or not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        raise PreferenceError("digest_hour", "the hour must be a whole number from 0 to 23")
    known = {kind.value for kind in ReminderKind}
    unknown = sorted(set(kinds_off) - known)
    if unknown:
        raise PreferenceError("kinds", f"unknown kind(s) of reminder: {', '.join(unknown)}")
    before = snapshot(user, PREFERENCE_FIELDS)
    before["reminder_kinds_off"] = kinds_off_sorted(before["reminder_kinds_off"] or [])
    user.reminder_mode = mode
    user.digest_hour = digest_hour
    user.reminder_kinds_off = kinds_off_sorted(kinds_off)
    record(
        session,
        user_id=actor_id,
        entity_type="user",
        entity_id=user.id,
        action="updated",
        before=before,
        after=snapshot(user, PREFERENCE_FIELDS),
    )
    session.flush()
    return user


def kinds_off_sorted(values) -> list[str]:
    """In the order the kinds are declared, without repeats."""
    chosen = set(values)
    return [kind.value for kind in ReminderKind if kind.value in chosen]


def calendar_token_digest(token: str) -> str:
    """What is stored of a calendar token: its SHA-256, in hex. The token is random (32 bytes),
    so a plain hash is enough; a leaked database gives no one a working link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_calendar_token(session: Session, user: User, actor_id: int | None) -> str:
    """Create or replace the user's calendar token and return it: the only time it exists in
    full (the database keeps its digest). The old URL stops working at once.

    The audit entry says that it happened, never the token itself.
    """
    had_one = user.calendar_token_hash is not None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user.calendar_token_hash = calendar_token_digest(token)
    record(
        session,
        user_id=actor_id,
        entity_type="user",
        entity_id=user.id,
        action="calendar link regenerated" if had_one else "calendar link created",
    )
    session.flush()
    return token


def user_for_calendar_token(session: Session, token: str) -> User | None:
    """The active user whose calendar this token opens, or None (for any reason: the caller 404s).
    Looked up by digest, so the lookup's timing tells nothing about the stored tokens."""
    if not token or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.calendar_token_hash == calendar_token_digest(token)))
    if user is None or not user.active:
        return None
    return user
