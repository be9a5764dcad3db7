"""The access regimes, which working-day calendar each counts on, and which applies to which
council. Pure module: every other place that names a regime derives it from ``Regime``.

FOIA (Freedom of Information Act 2000) and EIR (Environmental Information Regulations 2004)
apply to councils in England, Wales and Northern Ireland; FOISA (Freedom of Information
(Scotland) Act 2002) and EISR (Environmental Information (Scotland) Regulations 2004) to
Scottish councils.

Calendars
    FOIA and EIR: Saturdays, Sundays, Christmas Day and a bank holiday in *any*
    part of the United Kingdom (FOIA s.10(6), EIR reg 2(1)). FOISA and EISR: the
    same with Scotland's bank holidays only (FOISA s.73).
"""

from __future__ import annotations

import enum


class Regime(str, enum.Enum):
    FOIA = "foia"
    EIR = "eir"
    FOISA = "foisa"
    EISR = "eisr"

    @property
    def label(self) -> str:
        """Short name: FOIA, EIR, FOISA, EISR."""
        return self.value.upper()

    @property
    def act(self) -> str:
        """The Act or Regulations in full: "Freedom of Information Act 2000"."""
        return _REGIME_ACTS[self]

    @property
    def choice_label(self) -> str:
        """The name in a list of choices: "FOIA 2000", "FOISA 2002 (Scotland)"."""
        year = self.act.rsplit(" ", 1)[1]
        return f"{self.label} {year}" + (" (Scotland)" if self.is_scottish else "")

    @property
    def is_scottish(self) -> bool:
        return self is Regime.FOISA or self is Regime.EISR

    @property
    def is_environmental(self) -> bool:
        return self is Regime.EIR or self is Regime.EISR

    @property
    def scottish_twin(self) -> Regime:
        """The regime a Scottish council answers under instead: FOIA → FOISA, EIR → EISR."""
        return Regime.EISR if self.is_environmental else Regime.FOISA

    @property
    def uk_twin(self) -> Regime:
        """The regime a council outside Scotland answers under instead: FOISA → FOIA, EISR → EIR."""
        return Regime.EIR if self.is_environmental else Regime.FOIA

    @property
    def calendar_name(self) -> CalendarName:
        return _REGIME_CALENDAR[self]


_REGIME_ACTS = {
    Regime.FOIA: "Freedom of Information Act 2000",
    Regime.EIR: "Environmental Information Regulations 2004",
    Regime.FOISA: "Freedom of Information (Scotland) Act 2002",
    Regime.EISR: "Environmental Information (Scotland) Regulations 2004",
}


class CalendarName(str, enum.Enum):
    """The two statutory working-day calendars (see the module docstring)."""

    UK = "uk"
    SCOTLAND = "scotland"

    @property
    def label(self) -> str:
        """What the calendar excludes, for the UI."""
        return _CALENDAR_LABELS[self]

    @property
    def short_label(self) -> str:
        return "UK" if self is CalendarName.UK else "Scotland"

    @property
    def regimes(self) -> tuple[Regime, ...]:
        """The regimes counted on this calendar."""
        return tuple(regime for regime in Regime if _REGIME_CALENDAR[regime] is self)


_CALENDAR_LABELS = {
    CalendarName.UK: "UK: weekends, Christmas Day and bank holidays in any part of the UK",
    CalendarName.SCOTLAND: "Scotland: weekends, Christmas Day and Scottish bank holidays",
}

_REGIME_CALENDAR = {
    Regime.FOIA: CalendarName.UK,
    Regime.EIR: CalendarName.UK,
    Regime.FOISA: CalendarName.SCOTLAND,
    Regime.EISR: CalendarName.SCOTLAND,
}


def calendar_name_for(regime: Regime | str) -> CalendarName:
    return _REGIME_CALENDAR[Regime(regime)]


# The forms' and pages' view of the regimes: stored values (strings) and their names.
REGIME_LABELS = {regime.value: regime.choice_label for regime in Regime}
REGIME_CHOICES = list(REGIME_LABELS.items())
SCOTTISH_REGIMES = frozenset(regime.value for regime in Regime if regime.is_scottish)


def regime_for_authority(campaign_default: str, nation: str) -> str:
    """A campaign names one default regime; Scottish councils answer under the Scottish
    twin of it, and everyone else under the UK one. Returns the stored value ("foisa")."""
    regime = Regime(campaign_default)
    return (regime.scottish_twin if nation == "Scotland" else regime.uk_twin).value


def regime_problem(regime: str, nation: str) -> str | None:
    """Why `regime` cannot apply to a council in `nation`, or None if it can."""
    if regime not in REGIME_LABELS:
        return f"unknown regime {regime!r}"
    if nation == "Scotland" and regime not in SCOTTISH_REGIMES:
        return "Scottish councils answer under FOISA or EISR, not " + Regime(regime).label
    if nation != "Scotland" and regime in SCOTTISH_REGIMES:
        return f"{Regime(regime).label} applies only to Scottish councils"
    return None
