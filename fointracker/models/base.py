"""Column helpers shared by the models."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Called per row (pass the function, not its result, as a default)."""
    return datetime.now(timezone.utc)
