"""How dates and times are shown: `Mon 2 Mar 2026`, times in Europe/London."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value:%a} {value.day} {value:%b %Y}"


def to_london(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LONDON)


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_london(value)
    return f"{uk_date(local.date())} {local:%H:%M}"
