"""Campaign requests a council may add together for the cost limit. Pure module.

FOIA s.12 with the Freedom of Information and Data Protection (Appropriate Limit and Fees)
Regulations 2004, reg 5: where two or more requests are made to one public authority by
different persons who appear to it to be acting in concert or "in pursuance of a campaign",
and they are received "within any period of sixty consecutive working days", the estimated
cost of complying with any of them may be taken to be the total cost of complying with all.
A council can then refuse the lot under s.12 (£450 / 18 hours for local government).

Two receipt dates fall within one period of 60 consecutive working days when at most 59
working days separate them (day 0 and day 59 are the first and last of 60): 59 apart may be
aggregated, 60 apart may not. Working days are the regime's statutory ones (FOIA s.10(6),
FOISA s.73); a council's office closures do not shorten the period.
"""

from __future__ import annotations

from datetime import date, timedelta

from .deadlines import WorkingCalendar
from .regimes import Regime

AGGREGATION_PERIOD_WORKING_DAYS = 60
# At most this many working days apart: both dates then lie in one period of 60 working days.
MAX_WORKING_DAYS_APART = AGGREGATION_PERIOD_WORKING_DAYS - 1

# Why the council may count the requests together, by the regime of the request being sent.
AGGREGATION_REASONS = {
    Regime.FOIA: (
        "Under the Freedom of Information and Data Protection (Appropriate Limit and Fees) Regulations 2004, "
        "reg 5, a council may add together the cost of requests made in pursuance of a campaign and received "
        "within any 60 consecutive working days, and refuse them all under FOIA s.12 if the total exceeds "
        "£450 (18 hours)."
    ),
    Regime.EIR: (
        "EIR has no cost limit and the Fees Regulations 2004 do not apply, but a council weighing whether a "
        "request is manifestly unreasonable (EIR reg 12(4)(b)) may take related campaign requests into account; "
        "the 60 working days of the Fees Regulations 2004 reg 5 are a guide."
    ),
    Regime.FOISA: (
        "The Freedom of Information (Fees for Required Disclosure) (Scotland) Regulations 2004, reg 6: where "
        "different people ask a Scottish council for overlapping information and the total cost exceeds £600, "
        "the council need not answer any of them if it publishes the information instead. Scotland has no "
        "60-working-day rule; the period here is the UK one (Fees Regulations 2004 reg 5), as a guide."
    ),
    Regime.EISR: (
        "EISR has no cost limit, but a council weighing whether a request is manifestly unreasonable "
        "(EISR reg 10(4)(b)) may take related campaign requests into account; the 60 working days of the "
        "Fees Regulations 2004 reg 5 are a guide."
    ),
}


def aggregation_reason(regime: Regime | str) -> str:
    return AGGREGATION_REASONS[Regime(regime)]


def aggregation_window(calendar: WorkingCalendar, received: date) -> tuple[date, date]:
    """(first, last): the receipt dates another request may have and still lie with `received`
    in one period of 60 consecutive working days (at most 59 working days apart either way)."""
    last = calendar.add_working_days(received, MAX_WORKING_DAYS_APART + 1) - timedelta(days=1)
    first = received
    # No subtraction in the calendar: step back while the day before is still close enough
    # (about 85 days; each step is a table look-up).
    while calendar.working_days_between(first - timedelta(days=1), received) <= MAX_WORKING_DAYS_APART:
        first -= timedelta(days=1)
    return first, last


def working_days_apart(calendar: WorkingCalendar, one: date, other: date) -> int:
    """Working days between two dates, whichever comes first (working_days_between's count)."""
    return calendar.working_days_between(min(one, other), max(one, other))
