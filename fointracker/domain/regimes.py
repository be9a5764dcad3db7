"""Which access regime applies to which council. Pure module."""
from __future__ import annotations

REGIME_LABELS = {
    "foia": "FOIA 2000",
    "eir": "EIR 2004",
    "foisa": "FOISA 2002 (Scotland)",
    "eisr": "EISR 2004 (Scotland)",
}
REGIME_CHOICES = list(REGIME_LABELS.items())
SCOTTISH_REGIMES = frozenset({"foisa", "eisr"})

# A campaign names one default regime; Scottish councils answer under the Scottish
# twin of it, and everyone else under the UK one.
_SCOTTISH_TWIN = {"foia": "foisa", "eir": "eisr", "foisa": "foisa", "eisr": "eisr"}
_UK_TWIN = {"foisa": "foia", "eisr": "eir", "foia": "foia", "eir": "eir"}


def regime_for_authority(campaign_default: str, nation: str) -> str:
    return (_SCOTTISH_TWIN if nation == "Scotland" else _UK_TWIN)[campaign_default]


def regime_problem(regime: str, nation: str) -> str | None:
    """Why `regime` cannot apply to a council in `nation`, or None if it can."""
    if regime not in REGIME_LABELS:
        return f"unknown regime {regime!r}"
    if nation == "Scotland" and regime not in SCOTTISH_REGIMES:
        return "Scottish councils answer under FOISA or EISR, not " + regime.upper()
    if nation != "Scotland" and regime in SCOTTISH_REGIMES:
        return f"{regime.upper()} applies only to Scottish councils"
    return None
