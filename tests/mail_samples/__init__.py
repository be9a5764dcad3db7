"""Real-world shapes of mail for the #16 tests: see README.md for what each file shows.
The .eml files are written by make.py (run it again after changing it) and kept in the repository."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).parent
REPLY_TEMPLATE = "foi+{token}@example.org"  # the reply address template the samples are written to
REPLY_TOKEN = "k3j9x2m4p7q8r5t6v1w0y2z4a6b8c0d1"  # the token in the samples' reply address
OUR_MESSAGE_ID = "<ft.123.q7w8e9r0t1@example.org>"  # the letter the threaded samples answer


def sample(name: str) -> bytes:
    """The bytes of tests/mail_samples/<name> (e.g. "alternative.eml")."""
    return (SAMPLES_DIR / name).read_bytes()


def sample_names(suffix: str = ".eml") -> list[str]:
    return sorted(path.name for path in SAMPLES_DIR.iterdir() if path.name.endswith(suffix))
