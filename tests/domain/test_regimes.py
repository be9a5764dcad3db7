"""The one Regime type, and what the forms, the CLI and the services derive from it."""

from __future__ import annotations

import pytest

from fointracker.domain.regimes import (
    REGIME_CHOICES,
    REGIME_LABELS,
    SCOTTISH_REGIMES,
    CalendarName,
    Regime,
    regime_for_authority,
    regime_problem,
)


def test_names_derive_from_the_enum():
    assert REGIME_LABELS == {
        "foia": "FOIA 2000",
        "eir": "EIR 2004",
        "foisa": "FOISA 2002 (Scotland)",
        "eisr": "EISR 2004 (Scotland)",
    }
    assert [value for value, _ in REGIME_CHOICES] == [regime.value for regime in Regime]
    assert SCOTTISH_REGIMES == {"foisa", "eisr"}
    assert Regime.FOISA.act == "Freedom of Information (Scotland) Act 2002"
    assert CalendarName.UK.regimes == (Regime.FOIA, Regime.EIR)
    assert CalendarName.SCOTLAND.regimes == (Regime.FOISA, Regime.EISR)


@pytest.mark.parametrize(
    "default, nation, expected",
    [
        ("foia", "England", "foia"),
        ("foia", "Scotland", "foisa"),
        ("eir", "Scotland", "eisr"),
        ("foisa", "Wales", "foia"),
        ("eisr", "Northern Ireland", "eir"),
        ("eisr", "Scotland", "eisr"),
    ],
)
def test_regime_for_authority(default, nation, expected):
    regime = regime_for_authority(default, nation)
    assert regime == expected and type(regime) is str


def test_regime_problem():
    assert regime_problem("foia", "England") is None
    assert regime_problem("foia", "Scotland") == "Scottish councils answer under FOISA or EISR, not FOIA"
    assert regime_problem("eisr", "Wales") == "EISR applies only to Scottish councils"
    assert regime_problem("gdpr", "Wales") == "unknown regime 'gdpr'"
