"""Backups: one archive with a consistent copy of the database and the uploaded files; restoring one.

The archive is a .tar.gz holding
  database/fointracker.sqlite3  SQLite's online backup of the database (consistent while the app writes), or
  database/fointracker.pgdump   pg_dump's custom format, taken in the same snapshot as the row counts;
  uploads/<path>                every file under the upload folder;
  manifest.json                 last: format, versions, dialect, rows per table, size and sha256 of every file.

Documents are in the file store (services/file_store.py). The folder store is a part of the upload
folder (uploads/store/<2 hex>/<sha256>), archived and restored with it; its files half-written at
the time (".incoming-*") are left out. The database store's bytes are rows of stored_file, in the
database copy. Either way the database is copied before the uploads: a file is written before the
row that names it is committed, so every attachment in the copy has its bytes in the archive.

Restore checks the whole archive before touching anything (safe member names, checksums, dialect,
migration revision, and that it is not overwriting data unless told to), then replaces the database
(SQLite: an atomic rename of a checked copy; PostgreSQL: pg_restore in one transaction) and then the
upload folder (a checked copy renamed into place), and finally compares the rows per table with the
manifest. Credentials for pg_dump/pg_restore go in their environment, never on the command line.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .. import __version__, clock
from .file_store import TEMP_PREFIX as INCOMING_PREFIX
from .file_store import fsync_dir

FORMAT = "fointracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/fointracker.sqlite3", "postgresql": "database/fointracker.pgdump"}
DIALECT_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: A newly set-up database already has these filled in: rows here are not "data" a restore would lose.
#: (campaign_version: the numbers services.read_cache keys its caches on, row 0 there from the
#: start; data_version: its one row, before migration 0012.)
SETUP_TABLES = ("alembic_version", "authority", "campaign_version", "data_version")
#: SQLite's full-text index of the requests (migration 0011: an FTS5 table and its shadow tables). It is
#: derived from foi_request and copied with it, in the same snapshot; even when empty it has rows of
#: its own bookkeeping, which are not data either.
SEARCH_INDEX_TABLES = (
    "request_search",
    "request_search_config",
    "request_search_data",
    "request_search_docsize",
    "request_search_idx",
)
#: PostgreSQL's copy of the requests' searched text (migration 0018), derived from foi_request too.
DERIVED_TABLES = (*SEARCH_INDEX_TABLES, "request_search_text")
#: How long pg_restore waits for a table another connection is using before giving up.
PG_LOCK_TIMEOUT = "30s"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024
TEMP_PREFIX = ".fointracker-backup-"

# SQLAlchemy URL query options that libpq also reads from the environment (pg_dump gets them there).
LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "passfile": "PGPASSFILE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "service": "PGSERVICE",
    "krbsrvname": "PGKRBSRVNAME",
    "requiressl": "PGREQUIRESSL",
}


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message is one line for the operator."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict

    def summary(self) -> str:
        m = self.manifest
        size = self.path.stat().st_size
        return (
            f"Backup written to {self.path} ({_size(size)}): {DIALECT_NAMES[m['dialect']]} database at revision "
            f"{m['alembic_revision'] or 'none'} ({sum(m['tables'].values())} rows in {len(m['tables'])} tables), "
            f"{len(m['uploads'])} uploaded file(s) ({_size(sum(f['size'] for f in m['uploads']))})."
        )


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Snapshot:
    counts: dict[str, int]
    revision: str | None


# --- backup ---------------------------------------------------------------------------------------------


def default_name(now: datetime) -> str:
    return f"fointracker-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(
    database_url: str | URL,
    upload_folder: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    pg_bin_dir: str | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Write the archive to `output` (a file, or a directory for the default name; default: the
    current directory). It appears only when complete: a failed backup leaves no file behind."""
    url = make_url(database_url)
    dialect = _dialect(url)
    now = (now or clock.now()).astimezone(UTC)
    target = Path(output) if output is not None else Path.cwd()
    if target.is_dir():
        target = target / default_name(now)
    target = target.absolute()
    uploads = Path(upload_folder).absolute()
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: the directory {target.parent} does not exist")
    if target.parent.resolve().is_relative_to(uploads.resolve()):
        raise BackupError(f"write the backup outside the upload folder ({uploads}), or later backups would contain it")

    part = None
    try:
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=target.parent) as staging:
            copy = Path(staging) / Path(DATABASE_MEMBERS[dialect]).name
            snapshot = _sqlite_snapshot(url, copy) if dialect == "sqlite" else _pg_snapshot(url, copy, pg_bin_dir)
            fd, part = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=target.parent)  # mode 0600
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
                    database = _add_file(tar, DATABASE_MEMBERS[dialect], copy)
                    files = [_add_file(tar, name, path) for name, path in _upload_files(uploads)]
                    files = [f for f in files if f is not None]
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                        "app_version": __version__,
                        "alembic_revision": snapshot.revision,
                        "dialect": dialect,
                        "tables": snapshot.counts,
                        "database": database,
                        "uploads": files,
                    }
                    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                    tar.addfile(info, io.BytesIO(data))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(part, target)
            part = None
            fsync_dir(target.parent)
    except OSError as exc:
        raise BackupError(f"backup not written: {_os_reason(exc)}") from None
    finally:
        if part:
            Path(part).unlink(missing_ok=True)
    return BackupResult(target, manifest)


def _sqlite_snapshot(url: URL, copy: Path) -> _Snapshot:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(copy)) as out:
            live.execute("PRAGMA busy_timeout=30000")
            live.backup(out)  # one step: a single read transaction, so one consistent state
            # The copy is one self-contained file (no -wal to carry along).
            out.execute("PRAGMA journal_mode=DELETE")
            problem = _sqlite_integrity(out)
            if problem:
                raise BackupError(
                    f"the database at {source} fails SQLite's integrity check ({problem}); nothing written"
                )
            return _Snapshot(_sqlite_counts(out), _sqlite_revision(out))
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the database at {source}: {exc}") from None


def _pg_snapshot(url: URL, dump: Path, pg_bin_dir: str | None) -> _Snapshot:
    """pg_dump in the snapshot the row counts were taken in (so the manifest describes the dump exactly)."""
    pg_dump = _pg_tool("pg_dump", pg_bin_dir)
    env = _pg_env(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
                _check_tool_version(pg_dump, "pg_dump", int(conn.scalar(text("SHOW server_version_num"))))
                counts = _counts(conn)
                revision = _revision(conn, counts)
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        "--no-owner",
                        "--no-privileges",
                        f"--snapshot={snapshot_id}",
                        f"--file={dump}",
                    ],
                    env,
                    "pg_dump",
                )
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read the database {_display(url)}: {_db_reason(exc)}") from None
    finally:
        engine.dispose()
    return _Snapshot(counts, revision)


class _HashingReader:
    def __init__(self, stream):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, n=-1):
        data = self.stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict | None:
    try:
        stream = open(path, "rb")
    except FileNotFoundError:  # an upload discarded while we were listing: it was never committed
        return None
    with stream:
        stat = os.fstat(stream.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(stream)
        tar.addfile(info, reader)  # reads exactly info.size bytes
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def _upload_files(folder: Path):
    """(member name, path) for every regular file under the folder, in a stable order."""
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_symlink() or not path.is_file():
                continue  # the app writes only regular files; a link could point anywhere
            if name.startswith(INCOMING_PREFIX):
                continue  # the file store's file being written: it has no row yet
            yield "uploads/" + path.relative_to(folder).as_posix(), path


# --- restore --------------------------------------------------------------------------------------------


def read_manifest(archive: str | os.PathLike) -> dict:
    """The archive's manifest, after checking every member's name and type against it (reads headers only)."""
    archive = Path(archive)
    names: dict[str, int] = {}
    manifest_bytes = None
    with _open_archive(archive) as tar:
        try:
            for info in tar:
                name = _checked_member(info)
                if name in names:
                    raise BackupError(f"{archive} is not a usable backup: {name} appears twice")
                names[name] = info.size
                if name == MANIFEST:
                    if info.size > MAX_MANIFEST_BYTES:
                        raise BackupError(f"{archive} is not a usable backup: its manifest is too large")
                    manifest_bytes = tar.extractfile(info).read()
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise _unreadable(archive, exc) from None
    if manifest_bytes is None:
        raise BackupError(f"{archive} is not a fointracker backup: it has no {MANIFEST}")
    manifest = _checked_manifest(archive, manifest_bytes)
    listed = {
        manifest["database"]["path"]: manifest["database"]["size"],
        **{f["path"]: f["size"] for f in manifest["uploads"]},
    }
    members = {n: s for n, s in names.items() if n != MANIFEST}
    differ = sorted(name for name in set(members) | set(listed) if members.get(name) != listed.get(name))
    if differ:
        raise BackupError(f"{archive} is damaged or altered: its files do not match its manifest (first: {differ[0]})")
    return manifest


def restore_backup(
    archive: str | os.PathLike,
    database_url: str | URL,
    upload_folder: str | os.PathLike,
    *,
    overwrite: bool = False,
    pg_bin_dir: str | None = None,
) -> RestoreResult:
    """Replace the database and the upload folder with the archive's. Refuses, changing nothing,
    when the archive is unusable, is of the other database type, or the database already has data
    and `overwrite` is not given."""
    archive = Path(archive)
    url = make_url(database_url)
    dialect = _dialect(url)
    manifest = read_manifest(archive)
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"{archive} is a backup of a {DIALECT_NAMES[manifest['dialect']]} database and cannot be "
            f"restored into the configured {DIALECT_NAMES[dialect]} database"
        )
    notes = _revision_notes(manifest["alembic_revision"])
    if not overwrite:
        rows = _data_rows(url)
        if rows:
            raise BackupError(
                f"the database {_display(url)} already has data ({rows} row(s) outside the council "
                "register); restoring replaces all of it and the uploaded files: add --yes to go ahead"
            )

    uploads = Path(upload_folder).absolute()
    with _staging(url, uploads) as (db_copy, files_dir):
        _extract(archive, manifest, db_copy, files_dir)
        if dialect == "sqlite":
            _check_sqlite_copy(archive, db_copy, manifest)
            _replace_sqlite(url, db_copy)
        else:
            _pg_restore(url, db_copy, pg_bin_dir)
        _move_cache_versions_on(url)
        try:
            _swap_folder(files_dir, uploads)
        except OSError as exc:
            raise BackupError(
                f"the database was restored but the uploaded files were not: {_os_reason(exc)}; run the restore again"
            ) from None

    counts = table_counts(url)
    if counts != manifest["tables"]:
        differ = sorted(t for t in set(counts) | set(manifest["tables"]) if counts.get(t) != manifest["tables"].get(t))
        raise BackupError(f"restored, but the rows differ from the backup's in: {', '.join(differ)}")
    return RestoreResult(manifest, counts, notes)


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:gz")
    except FileNotFoundError:
        raise BackupError(f"there is no file {archive}") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _unreadable(archive, exc) from None


def _unreadable(archive: Path, exc: BaseException) -> BackupError:
    reason = str(exc) or type(exc).__name__
    return BackupError(f"{archive} is not a readable backup archive (damaged or not a .tar.gz: {reason})")


def _checked_member(info: tarfile.TarInfo) -> str:
    """The member's name if it is one a backup writes; otherwise refuse the archive (no path games)."""
    name = info.name
    parts = name.split("/")
    unsafe = (
        name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in ("", ".", "..") for part in parts)
        or re.match(r"^[A-Za-z]:", name)
    )
    if unsafe:
        raise BackupError(f"refusing the archive: it contains an unsafe path {name!r}")
    if not info.isreg():
        raise BackupError(f"refusing the archive: {name!r} is not a regular file (links and devices are not restored)")
    if name == MANIFEST or name in DATABASE_MEMBERS.values() or (parts[0] == "uploads" and len(parts) > 1):
        return name
    raise BackupError(f"refusing the archive: it contains {name!r}, which is not part of a fointracker backup")


def _checked_manifest(archive: Path, data: bytes) -> dict:
    def bad(why: str) -> BackupError:
        return BackupError(f"{archive} is not a usable fointracker backup: {why}")

    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise bad("its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise bad("its manifest is not a fointracker backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise bad(f"format version {manifest.get('format_version')!r}; this fointracker reads version {FORMAT_VERSION}")
    if manifest.get("dialect") not in DATABASE_MEMBERS:
        raise bad(f"unknown database type {manifest.get('dialect')!r}")

    def file_entry(entry) -> bool:
        return (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
        )

    tables = manifest.get("tables")
    if not (isinstance(tables, dict) and all(isinstance(v, int) for v in tables.values())):
        raise bad("its manifest has no row counts")
    database = manifest.get("database")
    if not file_entry(database) or database["path"] != DATABASE_MEMBERS[manifest["dialect"]]:
        raise bad("its manifest does not describe the database file")
    uploads = manifest.get("uploads")
    if not (isinstance(uploads, list) and all(file_entry(f) and f["path"].startswith("uploads/") for f in uploads)):
        raise bad("its manifest's list of uploaded files is malformed")
    revision = manifest.get("alembic_revision")
    if revision is not None and not isinstance(revision, str):
        raise bad("its manifest's migration revision is malformed")
    return manifest


def _revision_notes(revision: str | None) -> list[str]:
    """Refuse a database from a newer fointracker; say when the restored one needs migrating."""
    if revision is None:
        return []
    from alembic.script import ScriptDirectory

    from ..paths import migrations_dir

    scripts = ScriptDirectory(str(migrations_dir()))
    known = {script.revision for script in scripts.walk_revisions()}
    heads = set(scripts.get_heads())
    revisions = set(revision.split(","))
    if not revisions <= known:
        raise BackupError(
            f"the backup's database is at migration revision {revision}, which this version of "
            f"fointracker ({__version__}) does not know: restore it with the version that made it"
        )
    if revisions != heads:
        return [
            f"the restored database is at revision {revision}; run `fointracker db upgrade` "
            f"to bring it to {','.join(sorted(heads))}"
        ]
    return []


@contextmanager
def _staging(url: URL, uploads: Path):
    """Where the archive's files are unpacked: beside their final places, so moving them in is a rename.
    Removed afterwards, whatever happened."""
    made: list[Path] = []
    try:
        uploads.parent.mkdir(parents=True, exist_ok=True)
        files_dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=uploads.parent))
        made.append(files_dir)
        if url.get_backend_name() == "sqlite":
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.restore-", dir=target.parent)
            os.close(fd)
            db_copy = Path(name)
        else:
            db_dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
            made.append(db_dir)
            db_copy = db_dir / "fointracker.pgdump"
        made.append(db_copy)
    except OSError as exc:
        _remove(made)
        raise BackupError(f"nothing restored: {_os_reason(exc)}") from None
    try:
        yield db_copy, files_dir
    except OSError as exc:
        raise BackupError(f"nothing restored: {_os_reason(exc)}") from None
    finally:
        _remove(made)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _extract(archive: Path, manifest: dict, db_copy: Path, files_dir: Path) -> None:
    """Unpack to the staging places, checking every file's size and sha256 against the manifest."""
    expected = {f["path"]: f for f in [manifest["database"], *manifest["uploads"]]}
    with _open_archive(archive) as tar:
        try:
            for info in tar:
                name = _checked_member(info)
                if name == MANIFEST:
                    continue
                entry = expected.pop(name, None)
                if entry is None:
                    raise BackupError(f"{archive} is damaged: {name} is not in its manifest")
                if name == manifest["database"]["path"]:
                    destination = db_copy
                else:
                    destination = files_dir.joinpath(*name.split("/")[1:])
                    destination.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with tar.extractfile(info) as source, open(destination, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                    raise BackupError(
                        f"{archive} is damaged or altered: {name} does not match its checksum; nothing restored"
                    )
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise _unreadable(archive, exc) from None
    if expected:
        raise BackupError(f"{archive} is damaged: {sorted(expected)[0]} is missing")


def _check_sqlite_copy(archive: Path, copy: Path, manifest: dict) -> None:
    try:
        with closing(sqlite3.connect(copy)) as conn:
            problem = _sqlite_integrity(conn)
            counts = None if problem else _sqlite_counts(conn)
    except sqlite3.Error as exc:
        problem, counts = str(exc), None
    if problem:
        raise BackupError(f"{archive}: its database fails SQLite's integrity check ({problem}); nothing restored")
    if counts != manifest["tables"]:
        raise BackupError(f"{archive}: its database does not hold the rows its manifest lists; nothing restored")


def _replace_sqlite(url: URL, copy: Path) -> None:
    target = _sqlite_path(url)
    with open(copy, "rb+") as stream:
        os.fsync(stream.fileno())
    # The old database's journal or WAL would be replayed into the new file and corrupt it: remove them
    # first. (The app must be stopped, or its open connections keep writing to the old file.)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    _keep_mode(target, copy)
    os.replace(copy, target)
    fsync_dir(target.parent)


def _pg_restore(url: URL, dump: Path, pg_bin_dir: str | None) -> None:
    pg_restore = _pg_tool("pg_restore", pg_bin_dir)
    env = _pg_env(url)
    # Fail rather than wait forever for a table someone else is using.
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + f" -c lock_timeout={PG_LOCK_TIMEOUT}").strip()
    server = _pg_server_version(url)
    _check_tool_version(pg_restore, "pg_restore", server)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_conninfo_dbname(url.database)}",
            str(dump),
        ],
        env,
        "pg_restore",
        "nothing restored",
    )


def _move_cache_versions_on(url: URL) -> None:
    """Every campaign_version number moved on past any it had: no worker serves an answer it cached
    from the data this restore replaced, whatever numbers the backup held (services.read_cache).
    Rows neither added nor removed, so the counts still match the manifest."""
    later = {  # max(n + 1, microseconds since 1970), as migration 0012's triggers write it
        "sqlite": "max(n + 1, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))",
        "postgresql": "greatest(n + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)",
    }[_dialect(url)]
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if "campaign_version" in inspect(conn).get_table_names():  # none in a backup from before 0012
                conn.execute(text(f"UPDATE campaign_version SET n = {later}"))
    except SQLAlchemyError as exc:
        raise BackupError(f"restored, but the caches' versions were not moved on: {_db_reason(exc)}") from None
    finally:
        engine.dispose()


def _swap_folder(new: Path, folder: Path) -> None:
    """Put `new` in place of `folder` with two renames; the old one is deleted once the new one is in."""
    old = None
    _keep_mode(folder, new)
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder.parent))
        old.rmdir()
        os.rename(folder, old)
    try:
        os.rename(new, folder)
    except OSError:
        if old is not None:
            os.rename(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    fsync_dir(folder.parent)


# --- the database: counts, revision, "has data" -----------------------------------------------------------


def table_counts(database_url: str | URL) -> dict[str, int]:
    """Rows in every table of the database (an empty dict if it has none)."""
    url = make_url(database_url)
    if _dialect(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists():
            return {}
        try:
            with closing(sqlite3.connect(path, timeout=30)) as conn:
                return _sqlite_counts(conn)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot read the database at {path}: {exc}") from None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _counts(conn)
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read the database {_display(url)}: {_db_reason(exc)}") from None
    finally:
        engine.dispose()


def _data_rows(url: URL) -> int:
    return sum(n for table, n in table_counts(url).items() if table not in SETUP_TABLES + DERIVED_TABLES)


def _counts(conn) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in names}


def _revision(conn, counts: dict[str, int]) -> str | None:
    if "alembic_version" not in counts:
        return None
    return ",".join(sorted(conn.scalars(text("SELECT version_num FROM alembic_version")))) or None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = sorted(
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    )
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone():
        return None
    return ",".join(sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))) or None


def _sqlite_integrity(conn: sqlite3.Connection) -> str | None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return None if rows == ["ok"] else "; ".join(rows[:3])


# --- helpers --------------------------------------------------------------------------------------------


def _dialect(url: URL) -> str:
    name = url.get_backend_name()
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the database is not a SQLite file; only a file database can be backed up or restored")
    return Path(url.database).absolute()


def _display(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the URL: how pg_dump and pg_restore get the password, unseen by `ps`."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[key] = str(value)
    for option, value in url.query.items():
        if option not in LIBPQ_ENV:
            raise BackupError(f"the database URL's option {option!r} cannot be passed on to pg_dump/pg_restore")
        env[LIBPQ_ENV[option]] = value if isinstance(value, str) else ",".join(value)
    return env


def _conninfo_dbname(name: str | None) -> str:
    if not name:
        raise BackupError("the database URL names no database")
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pg_tool(name: str, bin_dir: str | None) -> str:
    """The newest installed client: pg_dump must be at least the server's version (Debian keeps one per
    version under /usr/lib/postgresql)."""
    if bin_dir:
        path = Path(bin_dir) / name
        if not os.access(path, os.X_OK):
            raise BackupError(f"{path} is not an executable {name} (check FOINTRACKER_PG_BIN_DIR)")
        return str(path)

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/(\d+(?:\.\d+)?)/bin/", path)
        return tuple(int(x) for x in match.group(1).split(".")) if match else ()

    candidates = sorted(
        (p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if os.access(p, os.X_OK)), key=version
    )
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client), "
            "or set FOINTRACKER_PG_BIN_DIR to the directory that has them"
        )
    return found


def _check_tool_version(tool: str, name: str, server_version_num: int) -> None:
    try:
        output = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {_os_reason(exc)}") from None
    match = re.search(r"(\d+)(?:\.\d+)*", output)
    server_major = server_version_num // 10000
    if match and int(match.group(1)) < server_major:
        raise BackupError(
            f"{tool} is version {match.group(1)} but the server is PostgreSQL {server_major}: "
            f"install the version {server_major} client tools (or set FOINTRACKER_PG_BIN_DIR)"
        )


def _pg_server_version(url: URL) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SHOW server_version_num")))
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot reach the database {_display(url)}: {_db_reason(exc)}") from None
    finally:
        engine.dispose()


def _run(argv: list[str], env: dict[str, str], name: str, consequence: str = "nothing written") -> None:
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
    except OSError as exc:
        raise BackupError(f"cannot run {argv[0]}: {_os_reason(exc)}") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()] or lines
        raise BackupError(
            f"{name} failed ({errors[0] if errors else f'exit status {result.returncode}'}); {consequence}"
        )


def _db_reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _os_reason(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")


def _keep_mode(existing: Path, replacement: Path) -> None:
    """The replacement gets the permissions of what it replaces (temporary files are made private)."""
    try:
        os.chmod(replacement, existing.stat().st_mode & 0o7777)
    except FileNotFoundError:
        pass


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
