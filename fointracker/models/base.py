"""Column helpers shared by the models."""

from datetime import datetime

from .. import clock


def utcnow() -> datetime:
    """Called per row (pass the function, not its result, as a default)."""
    return clock.now()
