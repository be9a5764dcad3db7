"""Locks that live exactly as long as the process holding them: the kernel or the database
lets go when the process dies, even by SIGKILL, so "is it held?" means "is its holder alive?".

PostgreSQL: a session-level advisory lock on a dedicated connection (released when the
backend's connection closes). SQLite: `flock` on a file in `<database>.locks/` beside the
database file (released when the process's descriptors close); `flock` locks belong to the
open file, so two holders in one process exclude each other as two processes do. An
in-memory SQLite database lives in one process: a process-local set stands in.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

_LOCAL: set[str] = set()  # in-memory SQLite only
_LOCAL_GUARD = threading.Lock()


def _pg_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for `name` (the scheduler's fixed key is separate)."""
    return int.from_bytes(hashlib.sha256(f"fointracker:{name}".encode()).digest()[:8], "big", signed=True)


def _lock_dir(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().parent / f"{Path(database).name}.locks"


def _lock_path(engine: Engine, name: str) -> Path | None:
    folder = _lock_dir(engine)
    return None if folder is None else folder / f"{name}.lock"


class ProcessLock:
    """Held from `acquire()` until `release()` or the end of the process, whichever comes first."""

    def __init__(self, engine: Engine, name: str):
        self.engine, self.name = engine, name
        self._connection = None
        self._file = None
        self._local = False

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None or self._local

    def acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _pg_key(self.name)}).scalar()
            connection.commit()
            if not got:
                connection.close()
                return False
            self._connection = connection
            return True
        path = _lock_path(self.engine, self.name)
        if path is None:
            with _LOCAL_GUARD:
                if self.name in _LOCAL:
                    return False
                _LOCAL.add(self.name)
            self._local = True
            return True
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115 (kept open: the lock lives as long as the descriptor)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self, *, remove: bool = False) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _pg_key(self.name)})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            if remove:  # while still holding it: whoever opens it next finds no file, or a free lock
                Path(self._file.name).unlink(missing_ok=True)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._local:
            with _LOCAL_GUARD:
                _LOCAL.discard(self.name)
            self._local = False


def is_held(engine: Engine, name: str) -> bool:
    """Whether a live process (this one included, through another ProcessLock) holds `name`."""
    probe = ProcessLock(engine, name)
    if engine.dialect.name != "postgresql" and (path := _lock_path(engine, name)) is not None and not path.exists():
        return False  # never taken, or let go and removed: don't leave an empty file behind
    if probe.acquire():
        probe.release(remove=True)
        return False
    return True
