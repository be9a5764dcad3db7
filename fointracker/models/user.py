from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..extensions import db


class Role(str, enum.Enum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    AUTHOR = "author"

    @property
    def label(self) -> str:
        return {"author": "Report author"}.get(self.value, self.value.capitalize())


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.STAFF.value)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Reminders: immediate alerts, or one digest a day at digest_hour (Europe/London).
    reminder_mode: Mapped[str] = mapped_column(String(10), default="digest", server_default="digest")
    digest_hour: Mapped[int] = mapped_column(default=8, server_default="8")
    reminder_kinds_off: Mapped[list | None] = mapped_column(JSON, default=list)  # kinds this user does not want
    last_digest_on: Mapped[date | None] = mapped_column(Date)
    # The secret iCalendar URL's token, as its SHA-256 digest (services.preferences): never the token.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    # Set per request by the login (auth.load_user, services.sessions), never stored: the random
    # id of the user_session this browser holds, and that row's id.
    session_token = None
    session_id = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and in the remember cookie: the user_session's
        random id, not the user's, so that ending the session ends both (Flask-Login's
        alternative-id pattern; auth.load_user reads it back)."""
        if not self.session_token:
            raise AttributeError("no session: log in through services.sessions.start_session")
        return self.session_token

    # UserMixin compares users by get_id(), which only a logged-in user has: compare by row.
    __hash__ = object.__hash__

    def __eq__(self, other):
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class UserSession(db.Model):
    """One login: the browser holds a random id, this row its SHA-256 digest (services.sessions)."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_ip", "user_id", "ip"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(db.Model):
    """Login attempts counted by the throttle (services.login_throttle), kept in the database so
    that it holds across web hosts. A row is added before the password is checked and removed
    if it was right: what stays are the failures."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64), default="", index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    device: Mapped[str | None] = mapped_column(String(64), index=True)  # the device cookie's id, if any
    # False when made from an address or device that has logged in to the account before.
    counts_for_account: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
