"""How dates and times are shown: `Mon 2 Mar 2026`, times in Europe/London."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .domain.deadlines import format_uk_date
from .domain.localtime import LONDON


def uk_date(value: date | datetime | None) -> str:
    """`Mon 2 Mar 2026` whatever the locale (a datetime: its day in London); "" for None."""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return format_uk_date(value)


def to_london(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_london(value)
    return f"{uk_date(local.date())} {local:%H:%M}"
