"""The app's one time zone: deadlines, reminders and every shown time are UK (London) local."""

from __future__ import annotations

from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
