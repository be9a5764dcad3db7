from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import utcnow


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Reminders: immediate alerts, or one digest a day at digest_hour (Europe/London).
    reminder_mode: Mapped[str] = mapped_column(String(10), default="digest", server_default="digest")
    digest_hour: Mapped[int] = mapped_column(default=8, server_default="8")
    reminder_kinds_off: Mapped[list | None] = mapped_column(JSON, default=list)  # kinds this user does not want
    last_digest_on: Mapped[date | None] = mapped_column(Date)
    # The secret iCalendar URL's token, as its SHA-256 digest (services.preferences): never the token.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

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


class LoginAttempt(db.Model):
    """Failed logins, kept in the database so the rate limit holds across web workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64), default="", index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
