"""Engine set-up that depends on the backend."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # WAL lets readers carry on while one writer writes; the busy timeout makes a
        # second writer wait instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 32 MB of page cache (default 2 MB), taken only as pages are read: a search that matches a few
        # thousand requests re-reads them from the cache (benchmarks/bench_search.py: 40 -> ~28 ms).
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()
