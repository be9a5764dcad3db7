"""Where the templates, the migrations and the instance folder live.

Templates and migrations sit at the top level of the repository and are copied into the
package when a wheel is built. The packaged copy wins, so a wheel install never reads
a stray source tree; an editable install falls back to the repository.
"""

import os
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


def running_from_source() -> bool:
    """True in a source checkout (an editable install or `python -m` there), False installed from a wheel."""
    return (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "migrations").is_dir()


def default_instance_path() -> Path:
    """Where the SQLite file, uploads and config.py live: FOINTRACKER_INSTANCE_PATH if set, else
    `instance/` in the source checkout, else `instance/` in the current directory (never under the
    virtualenv, where Flask would put it for an installed package)."""
    configured = os.environ.get("FOINTRACKER_INSTANCE_PATH")
    if configured:
        return Path(os.path.abspath(configured))
    return (SOURCE_ROOT if running_from_source() else Path.cwd()) / "instance"
