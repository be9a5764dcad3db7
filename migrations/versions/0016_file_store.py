"""file store: documents stored once by SHA-256, in a folder or in the database (#16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-14 12:00:00

- stored_file: one row per blob of the content-addressed file store (services/file_store.py,
  models/stored_file.py): sha256, size, created_at, and data (the bytes, when FILE_STORE is
  "database"; NULL when they are a file UPLOAD_FOLDER/store/<2 hex>/<sha256>). Not counted by
  0012's campaign versions: no cached page reads it, and a blob belongs to no campaign (counting it
  would move row 0, every campaign's number, on each upload).
- attachment.stored_name goes (with its uniqueness): an attachment names its content by sha256,
  which several attachments may share; attachment.sha256 gets an index.

Files: each attachment's file UPLOAD_FOLDER/<stored_name> moves to the folder store under its
sha256 (a second attachment with the same content keeps the first's file; its own copy goes), and
the blobs 0015's intake already wrote there get their rows. With FILE_STORE = "database" their
bytes are copied into stored_file.data as well (the folder copies stay, unused). The files move
last, once the database work is done, and move back if a move fails. An attachment whose file is
missing keeps its row, and reading it says the file is missing.

Downgrade: each attachment gets a new random stored_name and a copy of its blob under that name
(blobs held only in the database are first written to the folder store, where 0015's intake
reads them); stored_file goes.

On SQLite dropping a UNIQUE column rebuilds attachment (batch mode; env.py turns foreign keys off
meanwhile): 0012's campaign-version triggers on it are put back after the rebuild. On PostgreSQL
plain ALTER TABLEs leave them in place.
"""

import importlib.util
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STORED_NAME_UNIQUE = "uq_attachment_stored_name"
SHA_INDEX = "ix_attachment_sha256"
CHUNK = 1024 * 1024


def _campaign_versions():
    """0012's module (a name that starts with a digit is loaded by path)."""
    path = Path(__file__).with_name("0012_campaign_versions.py")
    spec = importlib.util.spec_from_file_location("_migration_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settings() -> tuple[Path | None, str]:
    """(the upload folder, FILE_STORE) of the app being migrated; no folder when run offline."""
    try:
        from flask import current_app

        config = current_app.config
    except (ImportError, RuntimeError):
        return None, "folder"
    return Path(config["UPLOAD_FOLDER"]), str(config.get("FILE_STORE") or "folder").strip().lower()


def _blob_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256


def _is_sha256(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _is_plain_name(name: str) -> bool:
    """A stored_name the app made (hex): never a path out of the upload folder."""
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..")


def _stored_file_table() -> sa.Table:
    return sa.table(
        "stored_file",
        sa.column("sha256", sa.String),
        sa.column("size", sa.BigInteger),
        sa.column("data", sa.LargeBinary),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )


def _rebuild_attachment(change) -> None:
    """Apply `change(batch_op)` to attachment; on SQLite (a table rebuild) with 0012's triggers put back."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        change(None)
        return
    versions = _campaign_versions()
    versions.uncount_campaign_writes("attachment")
    with op.batch_alter_table("attachment", schema=None, recreate="always") as batch_op:
        change(batch_op)
    versions.count_campaign_writes("attachment")


def upgrade():
    bind = op.get_bind()
    op.create_table(
        "stored_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_file")),
    )
    uploads, mode = _settings()
    store = uploads / "store" if uploads else None
    attachments = bind.execute(sa.text("SELECT id, stored_name, sha256, size FROM attachment ORDER BY id")).all()

    # What moves where (sources, in order), and the blobs that exist once it has: their rows.
    moves: list[tuple[Path, Path]] = []
    blobs: dict[str, int] = {}
    if store is not None:
        if store.is_dir():
            for path in sorted(store.glob("??/*")):
                if path.is_file() and _is_sha256(path.name) and path.parent.name == path.name[:2]:
                    blobs[path.name] = path.stat().st_size
        for _id, stored_name, sha256, _size in attachments:
            source = uploads / stored_name
            if not (_is_plain_name(stored_name) and _is_sha256(sha256) and source.is_file()):
                continue
            if sha256 not in blobs:
                blobs[sha256] = source.stat().st_size
                moves.append((source, _blob_path(store, sha256)))
            else:
                moves.append((source, None))  # the same content is there already: this copy goes
    now = sa.func.current_timestamp()
    table = _stored_file_table()
    for sha256, size in sorted(blobs.items()):
        bind.execute(table.insert().values(sha256=sha256, size=size, data=None, created_at=now))

    def drop_stored_name(batch_op):
        if batch_op is None:
            op.drop_constraint(STORED_NAME_UNIQUE, "attachment", type_="unique")
            op.drop_column("attachment", "stored_name")
            op.create_index(SHA_INDEX, "attachment", ["sha256"])
        else:
            batch_op.drop_constraint(STORED_NAME_UNIQUE, type_="unique")
            batch_op.drop_column("stored_name")
            batch_op.create_index(SHA_INDEX, ["sha256"])

    _rebuild_attachment(drop_stored_name)

    if mode == "database":  # the bytes into the database too, one blob at a time
        sources = {target.name: source for source, target in moves if target is not None}
        for sha256 in sorted(blobs):
            data = (sources.get(sha256) or _blob_path(store, sha256)).read_bytes()
            bind.execute(table.update().where(table.c.sha256 == sha256).values(data=data))

    _move_files(moves)


def _move_files(moves: list[tuple[Path, Path | None]]) -> None:
    """Each file renamed to its place in the store (or, a duplicate, set aside and then deleted);
    all moved back if one fails."""
    done: list[tuple[Path, Path]] = []
    aside = None
    try:
        for source, target in moves:
            if target is None:
                if aside is None:
                    aside = Path(tempfile.mkdtemp(prefix=".fointracker-0016-", dir=source.parent))
                target = aside / source.name
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            done.append((source, target))
    except BaseException:
        for source, target in reversed(done):
            os.replace(target, source)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def downgrade():
    bind = op.get_bind()
    uploads, _mode = _settings()
    store = uploads / "store" if uploads else None
    attachments = bind.execute(sa.text("SELECT id, sha256 FROM attachment ORDER BY id")).all()
    names = {attachment_id: secrets.token_hex(16) for attachment_id, _sha in attachments}

    written: list[Path] = []
    try:
        if store is not None:
            # Blobs only in the database: out to the folder store, where 0015's code reads them.
            for sha256, data in bind.execute(
                sa.text("SELECT sha256, data FROM stored_file WHERE data IS NOT NULL ORDER BY sha256")
            ):
                path = _blob_path(store, sha256)
                if _is_sha256(sha256) and not path.is_file():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(bytes(data))
                    written.append(path)
            for attachment_id, sha256 in attachments:
                blob = _blob_path(store, sha256) if _is_sha256(sha256) else None
                if blob is not None and blob.is_file():
                    target = uploads / names[attachment_id]
                    shutil.copyfile(blob, target)
                    written.append(target)

        op.add_column("attachment", sa.Column("stored_name", sa.String(length=80), nullable=True))
        for attachment_id, name in names.items():
            bind.execute(
                sa.text("UPDATE attachment SET stored_name = :name WHERE id = :id"), {"name": name, "id": attachment_id}
            )

        def restore_stored_name(batch_op):
            if batch_op is None:
                # The UPDATEs queued 0012's deferred triggers; ALTER TABLE refuses to run while they wait.
                op.execute("SET CONSTRAINTS ALL IMMEDIATE")
                op.drop_index(SHA_INDEX, table_name="attachment")
                op.alter_column("attachment", "stored_name", existing_type=sa.String(length=80), nullable=False)
                op.create_unique_constraint(STORED_NAME_UNIQUE, "attachment", ["stored_name"])
            else:
                batch_op.drop_index(SHA_INDEX)
                batch_op.alter_column("stored_name", existing_type=sa.String(length=80), nullable=False)
                batch_op.create_unique_constraint(STORED_NAME_UNIQUE, ["stored_name"])

        _rebuild_attachment(restore_stored_name)
        op.drop_table("stored_file")
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
