"""Uploads waiting for their import to be confirmed: kept on disk, within quotas.

A preview's file waits in one folder under a random name that starts with its owner's
user id (``7-<32 hex>.csv``), until it is imported, cancelled, or a day old. Before each
new one is kept, stale ones are swept, then the oldest are removed until the new file fits
both the owner's quota and the folder's. A file larger than a quota by itself is refused
with a message and nothing is written. Flask-free: the view passes the folder and quotas.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..tabular import file_size

TOKEN_RE = re.compile(r"(?P<user>[0-9]{1,18})-[0-9a-f]{32}\.(csv|xlsx)")
STALE_SECONDS = 24 * 3600


class PreviewQuotaError(ValueError):
    """The upload alone is larger than a quota: nothing was kept."""


@dataclass(frozen=True)
class Quotas:
    per_user: int = 50 * 1024 * 1024
    total: int = 500 * 1024 * 1024

    @classmethod
    def from_config(cls, config) -> Quotas:
        mb = 1024 * 1024
        return cls(
            int(float(config.get("IMPORT_PREVIEWS_MAX_MB_PER_USER", 50)) * mb),
            int(float(config.get("IMPORT_PREVIEWS_MAX_MB", 500)) * mb),
        )


def _waiting(folder: Path) -> list[tuple[float, Path, int, str]]:
    """(modified, path, size, owner) of each preview file, oldest first."""
    found = []
    for path in folder.glob("*"):
        try:
            stat = path.stat()
        except OSError:  # removed by another worker meanwhile
            continue
        match = TOKEN_RE.fullmatch(path.name)
        found.append((stat.st_mtime, path, stat.st_size, match.group("user") if match else ""))
    return sorted(found, key=lambda item: (item[0], item[1].name))


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # another worker got there first
        pass


def keep(folder: Path, data: bytes, suffix: str, user_id: int, quotas: Quotas, now: float | None = None) -> str:
    """Keep `data` as a preview of `user_id`'s; returns its token (the file's name)."""
    for label, limit in (("you may keep for previews", quotas.per_user), ("kept for all previews", quotas.total)):
        if len(data) > limit:
            raise PreviewQuotaError(
                f"This file ({file_size(len(data))}) is larger than the {file_size(limit)} {label}: "
                "split it, or import it with `fointracker figures import`. Nothing was kept."
            )
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = (time.time() if now is None else now) - STALE_SECONDS
    waiting = []
    for item in _waiting(folder):
        if item[0] < cutoff:
            _remove(item[1])  # nobody confirmed or cancelled it in a day
        else:
            waiting.append(item)
    owner = str(user_id)
    mine = sum(size for _m, _p, size, who in waiting if who == owner)
    total = sum(size for _m, _p, size, _w in waiting)
    for _modified, path, size, who in waiting:  # oldest first
        over_mine = who == owner and mine + len(data) > quotas.per_user
        if over_mine or total + len(data) > quotas.total:
            _remove(path)
            total -= size
            mine -= size if who == owner else 0
    token = f"{user_id}-{secrets.token_hex(16)}.{suffix}"
    with open(folder / token, "xb") as out:
        out.write(data)
    return token


def find(folder: Path, token: str, user_id: int) -> Path | None:
    """The waiting file named by `token`, if it is `user_id`'s."""
    match = TOKEN_RE.fullmatch(token or "")
    if match is None or match.group("user") != str(user_id):
        return None
    path = folder / token
    return path if path.is_file() else None
