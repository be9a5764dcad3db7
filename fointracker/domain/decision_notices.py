"""The dates a regulator's decision notice starts: computed from the notice, never stored.

Pure module: no Flask, no database (DESIGN.md §2, "Regulator's decision").

- ICO (FOIA s.50, EIR reg 18): the notice usually gives the authority 35 calendar days to
  comply; either side may appeal to the First-tier Tribunal (Information Rights) within 28
  days of the date the notice was sent (FOIA s.57; Tribunal Procedure (First-tier Tribunal)
  (General Regulatory Chamber) Rules 2009 r.22(1)(b)).
- SIC (FOISA s.49, EISR reg 17): an appeal on a point of law to the Court of Session within
  42 days (FOISA s.56). The notice names its own date to comply, so none is computed here.
"""

from __future__ import annotations

from datetime import date, timedelta

ICO_COMPLY_DAYS = 35
APPEAL_DAYS = {"ICO": 28, "SIC": 42}


def comply_by(regulator: str, decided_on: date) -> date | None:
    """The day the authority must comply with the notice by (ICO: 35 calendar days), or None
    when the notice itself names the date (SIC)."""
    if regulator == "ICO":
        return decided_on + timedelta(days=ICO_COMPLY_DAYS)
    return None


def appeal_by(regulator: str, decided_on: date) -> date | None:
    """The last day to appeal the notice: First-tier Tribunal 28 days (ICO), Court of Session
    42 days (SIC, FOISA s.56). None for an unknown regulator."""
    days = APPEAL_DAYS.get(regulator)
    return decided_on + timedelta(days=days) if days is not None else None
