"""What the law refuses, or warns about, in a new timeline event (``event_problems``).

Refused (the event cannot be recorded as given):
    * an extension under FOISA: the Act has none of any kind (s.10 has no
      counterpart of FOIA s.10(3); s.21 gives a review 20 working days, no more);
    * a public-interest extension under EIR or EISR: the Regulations have only
      reg 7, complex and voluminous, to 40 working days;
    * a reg 7 ("eir_complex") extension under FOIA (or FOISA): it is the
      Regulations' alone;
    * a fees notice dated before the council received the request: there was
      nothing to charge for yet.

Let through with a warning (recorded as it happened, but it moves nothing):
    * a fees notice after the statutory due date: it does not pause the clock
      (a late notice does not cure a breach; ``rules.py``, Fees);
    * an extension claimed after the statutory due date: the notice must come
      within the 20 working days (FOIA s.17(1)-(2), EIR reg 7(3)); the request
      stays late (``rules.py``, Extensions).

Kinds are the values of ``domain.lifecycle.EventKind``; extension reasons the keys
of ``domain.event_details.EXTENSION_REASONS``. Pure module: no Flask, no database.
"""

from __future__ import annotations

from datetime import date

from ..regimes import Regime
from .calendar import format_uk_date
from .rules import Deadlines

_EXTENSION = "extension_claimed"
_FEE_NOTICE = "fee_notice"
_REVIEW = "review"  # an internal review's extension, not the response's


def event_problems(
    regime: str,
    kind: str,
    occurred_on: date,
    details: dict,
    deadlines: Deadlines | None,
    received_on: date | None,
) -> tuple[list[tuple[str, str]], list[str]]:
    """(errors, warnings) for recording `kind` on `occurred_on` with `details`.

    Errors are (field, reason) pairs that refuse the event; warnings let it through.
    `deadlines` are the request's deadlines before the event (None when none run yet);
    `received_on` is the day the council received the request."""
    regime = Regime(regime)
    errors: list[tuple[str, str]] = []
    warnings: list[str] = []
    statutory_due = deadlines.statutory_due if deadlines is not None else None

    if kind == _EXTENSION:
        reason = (details or {}).get("reason")
        if regime is Regime.FOISA:
            errors.append(
                ("reason", "FOISA has no extension of any kind: the council must answer within 20 working days (s.10)")
            )
        elif reason == "public_interest" and regime.is_environmental:
            errors.append(
                (
                    "reason",
                    f"{regime.label} has no public-interest extension: only reg 7 (complex and voluminous, "
                    "40 working days)",
                )
            )
        elif reason == "eir_complex" and not regime.is_environmental:
            errors.append(
                ("reason", f"the complex-and-voluminous extension is EIR reg 7's; it does not apply to {regime.label}")
            )
        elif reason != _REVIEW and statutory_due is not None and occurred_on > statutory_due:
            rule = {Regime.FOIA: "FOIA s.17(1)-(2)", Regime.EIR: "EIR reg 7(3)"}.get(regime, "EISR reg 7")
            warnings.append(
                f"Extension claimed on {format_uk_date(occurred_on)}, after the statutory due date "
                f"{format_uk_date(statutory_due)}: {rule} requires the notice within the 20 working days. "
                "It is recorded but does not move the date; the request is late."
            )

    if kind == _FEE_NOTICE:
        if received_on is not None and occurred_on < received_on:
            errors.append(
                (
                    "occurred_on",
                    f"a fees notice cannot come before the council received the request ({format_uk_date(received_on)})",
                )
            )
        elif statutory_due is not None and occurred_on > statutory_due:
            warnings.append(
                f"Fees notice given on {format_uk_date(occurred_on)}, after the statutory due date "
                f"{format_uk_date(statutory_due)}: it does not pause the clock (a late notice does not cure a "
                "breach); the request stays late."
            )
    return errors, warnings
