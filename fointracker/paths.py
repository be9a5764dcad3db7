"""Where the templates and migrations live.

They sit at the top level of the repository and are copied into the package
when a wheel is built. The packaged copy wins, so a wheel install never reads
a stray source tree; an editable install falls back to the repository.
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent


def _resolve(name: str) -> Path:
    for candidate in (PACKAGE_DIR / name, SOURCE_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"fointracker: cannot find the {name!r} directory next to {PACKAGE_DIR}")


def templates_dir() -> Path:
    return _resolve("templates")


def migrations_dir() -> Path:
    return _resolve("migrations")
