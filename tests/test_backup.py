"""`fointracker backup` and `fointracker restore`: a real round trip on the suite's database
(SQLite, or PostgreSQL with pg_dump/pg_restore in the PostgreSQL run) and the refusals."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import subprocess
import tarfile
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select
from werkzeug.datastructures import FileStorage

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, LoginAttempt
from fointracker.services import backup
from fointracker.services.answers import save_answers
from fointracker.services.attachments import attach
from fointracker.services.backup import BackupError, create_backup, restore_backup
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event

PDF = b"%PDF-1.4 the council's answer \x00\x01\x02" * 50


def command(app, *args):
    """Run a `fointracker` command in this process, as the command line does: inside an app context."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def url_of(app):
    with app.app_context():
        return db.engine.url


def dump_tables(app) -> dict[str, list[tuple]]:
    """Every row of every table (the migrations' own included), ordered by primary key."""
    with app.app_context():
        db.session.remove()
        engine = db.engine
        meta = MetaData()
        meta.reflect(bind=engine)
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*(table.primary_key.columns or table.columns)))
                ]
                for name, table in meta.tables.items()
            }


def upload_files(app) -> dict[str, str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(app) -> list[str]:
    """Temporary files a backup or restore may have left beside the database or the uploads."""
    places = {Path(app.config["UPLOAD_FOLDER"]).parent}
    if url_of(app).get_backend_name() == "sqlite":
        places.add(Path(url_of(app).database).parent)
    return sorted(
        p.name
        for place in places
        for p in place.iterdir()
        if p.name.startswith(backup.TEMP_PREFIX) or ".restore-" in p.name
    )


def authority(session, code):
    return session.scalar(select(Authority).where(Authority.code == code))


def new_request(session, campaign, code, user_id):
    return create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": authority(session, code).id,
            "regime": "foia",
            "subject": f"Budgets ({code})",
            "body": "Please send…",
            "sent_on": date(2026, 3, 2),
            "received_on": None,
            "council_reference": "",
            "owner_id": user_id,
        },
        user_id,
    )


def build_data(app, users) -> dict:
    """A campaign with requests, timeline events, an uploaded document and answers citing it."""
    with app.app_context():
        session = db.session
        campaign = save_campaign(
            session,
            None,
            {"title": "Living at the Margins", "description": "Cuts", "default_regime": "foia", "letter_template": ""},
            [users["coordinator"]],
            users["admin"],
        )
        kent = new_request(session, campaign, "KEN", users["staff"])
        new_request(session, campaign, "SUR", users["staff"])
        add_event(session, kent, kind="acknowledged", occurred_on=date(2026, 3, 3), user_id=users["staff"])
        response = add_event(
            session,
            kent,
            kind="response_received",
            occurred_on=date(2026, 3, 20),
            details={"outcome": "successful"},
            user_id=users["staff"],
        )
        written = attach(
            session,
            response,
            [FileStorage(io.BytesIO(PDF), filename="Budgets 2024-26.pdf", content_type="application/pdf")],
            FileStore.from_config(app.config),
            app.config["MAX_CONTENT_LENGTH"],
            users["staff"],
        )
        session.commit()
        budget = create_question(
            session, campaign, {"code": "budget", "label": "Budget", "qtype": "money"}, users["coordinator"]
        )
        staff = create_question(
            session, campaign, {"code": "staff", "label": "Staff", "qtype": "count"}, users["coordinator"]
        )
        attachment_id = response.attachments[0].id
        save_answers(
            session,
            kent,
            {
                budget.id: ("£1,234,567.89", "", "", "Table 2", attachment_id, "4"),
                staff.id: ("c. 40", "", "", "", None, ""),
            },
            users["staff"],
        )
        session.commit()
        # A pending figures import waits in a sub-folder of the uploads.
        pending = Path(app.config["UPLOAD_FOLDER"]) / "figure-imports" / "a1b2c3"
        pending.parent.mkdir(parents=True, exist_ok=True)
        pending.write_bytes(b"authority,question,value\nKEN,budget,1\n")
        document = FileStore.from_config(app.config).path(written[0].sha256)  # its file in the folder store
        ids = {"campaign": campaign.id, "kent": kent.id, "document": document}
        db.session.remove()
    return ids


def rewrite(archive: Path, target: Path, manifest=None, members=None, extra=()) -> Path:
    """A copy of `archive` with the manifest or members edited, or members added (forged archives)."""
    with tarfile.open(archive, "r:gz") as tar:
        contents = {info.name: tar.extractfile(info).read() for info in tar}
    found = json.loads(contents.pop(backup.MANIFEST))
    if manifest:
        found = manifest(found)
    if members:
        contents = members(contents)
    contents[backup.MANIFEST] = json.dumps(found).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


@pytest.fixture
def world(app, users):
    return build_data(app, users)


@pytest.fixture
def archive(app, tmp_path):
    """A backup of a fresh database and two uploaded files (one in a sub-folder)."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    (folder / "figure-imports").mkdir(parents=True)
    (folder / "0f1e2d3c").write_bytes(PDF)
    (folder / "figure-imports" / "a1b2c3").write_bytes(b"authority,question,value\n")
    return create_backup(url_of(app), folder, tmp_path).path


def test_round_trip_through_the_commands(app, users, world, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    made = command(app, "backup", "--output", str(out))
    assert made.exit_code == 0, made.stderr
    [archive] = out.iterdir()
    assert re.fullmatch(r"fointracker-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert archive.stat().st_mode & 0o077 == 0  # personal data and password hashes: owner only
    assert "Backup written to" in made.stdout and "2 uploaded file(s)" in made.stdout
    rows, files = dump_tables(app), upload_files(app)
    assert len(files) == 2 and rows["attachment"] and rows["answer"] and rows["request_event"]

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["dialect"] == url_of(app).get_backend_name()
    assert manifest["alembic_revision"] == rows["alembic_version"][0][0]
    assert manifest["tables"] == {name: len(table_rows) for name, table_rows in rows.items()}
    assert {f["path"]: f["sha256"] for f in manifest["uploads"]} == {f"uploads/{k}": v for k, v in files.items()}

    # Things change: a request goes (with its events, answers and document row), another comes,
    # the document's file is lost and a stray file appears.
    with app.app_context():
        db.session.delete(db.session.get(FoiRequest, world["kent"]))
        db.session.commit()
        new_request(db.session, db.session.get(Campaign, world["campaign"]), "ESX", users["staff"])
        db.session.commit()
        db.session.remove()
    world["document"].unlink()
    (Path(app.config["UPLOAD_FOLDER"]) / "stray.txt").write_text("not in the backup")
    changed_rows, changed_files = dump_tables(app), upload_files(app)
    assert changed_rows != rows and changed_files != files

    refused = command(app, "restore", str(archive))
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: ") and "already has data" in refused.stderr and "--yes" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert dump_tables(app) == changed_rows and upload_files(app) == changed_files

    with app.app_context():
        db.engine.dispose()  # the restore replaces the database under any open connection
    restored = command(app, "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.stderr
    assert f"  foi_request: {len(rows['foi_request'])}" in restored.stdout
    with app.app_context():
        db.engine.dispose()
    restored_rows = dump_tables(app)
    # The caches' versions (services.read_cache) moved on past the backup's and past the replaced data's.
    backed_up, replaced = dict(rows.pop("campaign_version")), dict(changed_rows["campaign_version"])
    restored_versions = dict(restored_rows.pop("campaign_version"))
    assert restored_versions.keys() == backed_up.keys()
    assert all(n > max(backed_up[c], replaced.get(c, 0)) for c, n in restored_versions.items())
    assert restored_rows == rows
    assert upload_files(app) == files
    assert leftovers(app) == []

    # The database is the migrated one, and in use again: ids carry on from the restored rows.
    with app.app_context():
        added = new_request(db.session, db.session.get(Campaign, world["campaign"]), "ESX", users["staff"])
        assert added.id > max(row[0] for row in rows["foi_request"])
        db.session.remove()


def test_backup_while_another_connection_writes_is_consistent(app, tmp_path, monkeypatch):
    """A writer adds login attempts in pairs (one transaction each) during the backup: the copy
    must hold whole pairs, pass the integrity check, and match its manifest."""
    url = url_of(app)
    calls = []
    real_run = subprocess.run

    def recording_run(argv, *args, **kwargs):
        calls.append((list(argv), kwargs.get("env") or {}))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", recording_run)
    writer_engine = create_engine(url)
    committed, stop = [0], threading.Event()

    def write_pairs():
        while not stop.is_set():
            with writer_engine.begin() as conn:
                at = clock.now()
                conn.execute(
                    LoginAttempt.__table__.insert(),
                    [
                        {"email": "a@example.org", "remote_addr": "192.0.2.1", "attempted_at": at},
                        {"email": "b@example.org", "remote_addr": "192.0.2.2", "attempted_at": at},
                    ],
                )
            committed[0] += 1

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        overlapped = False
        for attempt in range(5):
            while committed[0] == 0:
                stop.wait(0.01)
            before = committed[0]
            result = create_backup(url, app.config["UPLOAD_FOLDER"], tmp_path / f"during-{attempt}.tar.gz")
            if committed[0] > before:
                overlapped = True
                break
    finally:
        stop.set()
        writer.join()
        writer_engine.dispose()
    assert overlapped, "the writer never committed while a backup was running"
    counted = result.manifest["tables"]["login_attempt"]
    assert counted % 2 == 0 and 0 < counted <= 2 * committed[0]

    if url.get_backend_name() == "sqlite":
        with tarfile.open(result.path) as tar:
            copy = tmp_path / "copy.sqlite3"
            copy.write_bytes(tar.extractfile(backup.DATABASE_MEMBERS["sqlite"]).read())
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("SELECT count(*) FROM login_attempt").fetchone()[0] == counted
    else:
        # pg_dump ran in the snapshot the counts came from, with the password only in its environment.
        [(dump_argv, dump_env)] = [c for c in calls if Path(c[0][0]).name == "pg_dump" and "--version" not in c[0]]
        assert any(a.startswith("--snapshot=") for a in dump_argv)
        assert not any("://" in a or "password" in a.lower() for a in dump_argv)
        assert dump_env["PGPASSWORD"] == url.password
    with app.app_context():
        db.engine.dispose()
    restored = restore_backup(result.path, url, app.config["UPLOAD_FOLDER"], overwrite=True)
    assert restored.counts["login_attempt"] == counted


def test_a_fresh_database_takes_a_restore_without_yes(app, tmp_path):
    """The council register alone is not data a restore would lose."""
    made = create_backup(url_of(app), app.config["UPLOAD_FOLDER"], tmp_path)
    assert made.manifest["uploads"] == [] and made.manifest["tables"]["authority"] > 400
    with app.app_context():
        db.engine.dispose()
    result = restore_backup(made.path, url_of(app), app.config["UPLOAD_FOLDER"])
    assert result.counts == made.manifest["tables"] and result.notes == []


def test_a_damaged_or_altered_archive_is_refused_and_nothing_changes(app, archive, tmp_path):
    rows, files = dump_tables(app), upload_files(app)
    database_member = backup.DATABASE_MEMBERS[url_of(app).get_backend_name()]

    def flip_a_byte(contents):
        data = bytearray(contents[database_member])
        data[len(data) // 2] ^= 0xFF
        return {**contents, database_member: bytes(data)}

    altered = rewrite(archive, tmp_path / "altered.tar.gz", members=flip_a_byte)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    dropped = rewrite(
        archive,
        tmp_path / "dropped.tar.gz",
        members=lambda c: {k: v for k, v in c.items() if not k.startswith("uploads/figure")},
    )
    cases = {
        altered: f"{database_member} does not match its checksum",
        truncated: "not a readable backup archive",
        dropped: "do not match its manifest",
    }
    for damaged, message in cases.items():
        with pytest.raises(BackupError, match=re.escape(message)):
            restore_backup(damaged, url_of(app), app.config["UPLOAD_FOLDER"], overwrite=True)
    assert dump_tables(app) == rows and upload_files(app) == files
    assert leftovers(app) == []


def _member(name, data=b"written outside", link=None):
    info = tarfile.TarInfo(name)
    if link:
        info.type, info.linkname = tarfile.SYMTYPE, link
        return info, None
    info.size = len(data)
    return info, data


def test_an_archive_with_paths_outside_its_folders_is_refused(app, archive, tmp_path):
    rows, files = dump_tables(app), upload_files(app)
    cases = [
        (_member("uploads/../../escaped.txt"), "unsafe path"),
        (_member("/tmp/escaped.txt"), "unsafe path"),
        (_member("uploads/link", link="/etc/passwd"), "not a regular file"),
        (_member("elsewhere/escaped.txt"), "not part of a fointracker backup"),
    ]
    for member, message in cases:
        forged = rewrite(archive, tmp_path / "forged.tar.gz", extra=[member])
        with pytest.raises(BackupError, match=message):
            restore_backup(forged, url_of(app), app.config["UPLOAD_FOLDER"], overwrite=True)
    assert not any(
        p.exists() for p in (tmp_path / "escaped.txt", tmp_path.parent / "escaped.txt", Path("/tmp/escaped.txt"))
    )
    assert dump_tables(app) == rows and upload_files(app) == files


def _other_dialect(manifest):
    other = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    manifest["dialect"], manifest["database"]["path"] = other, backup.DATABASE_MEMBERS[other]
    return manifest


def _rename_database(contents):
    [name] = [n for n in contents if n.startswith("database/")]
    other = [m for m in backup.DATABASE_MEMBERS.values() if m != name][0]
    return {(other if n == name else n): v for n, v in contents.items()}


def test_a_backup_this_database_cannot_take_is_refused(app, archive, tmp_path):
    rows, files = dump_tables(app), upload_files(app)
    cases = [
        (_other_dialect, _rename_database, r"is a backup of a \w+ database and cannot be restored into the configured"),
        (lambda m: {**m, "alembic_revision": "9999"}, None, "revision 9999, which this version of fointracker"),
        (lambda m: {**m, "format_version": 99}, None, "format version 99"),
        (lambda m: {**m, "format": "something else"}, None, "not a fointracker backup manifest"),
    ]
    for manifest, members, message in cases:
        forged = rewrite(archive, tmp_path / "forged.tar.gz", manifest=manifest, members=members)
        with pytest.raises(BackupError, match=message):
            restore_backup(forged, url_of(app), app.config["UPLOAD_FOLDER"], overwrite=True)
    assert dump_tables(app) == rows and upload_files(app) == files


def test_a_failed_backup_leaves_no_file(app, tmp_path, monkeypatch):
    out = tmp_path / "backups"
    out.mkdir()
    Path(app.config["UPLOAD_FOLDER"]).mkdir()
    (Path(app.config["UPLOAD_FOLDER"]) / "0f1e2d3c").write_bytes(PDF)
    real_files = backup._upload_files

    def files_then_a_directory(folder):
        yield from real_files(folder)
        yield "uploads/unreadable", out  # open() fails half-way through writing the archive

    monkeypatch.setattr(backup, "_upload_files", files_then_a_directory)
    with pytest.raises(BackupError, match="backup not written"):
        create_backup(url_of(app), app.config["UPLOAD_FOLDER"], out / "nightly.tar.gz")
    assert list(out.iterdir()) == []


def test_a_stale_wal_beside_the_sqlite_file_is_not_replayed_into_the_restored_database(tmp_path):
    """A crashed process can leave the old database's WAL behind; replayed into the restored file it
    would bring back (or mangle) the very rows the restore removed. Runs on its own SQLite file."""
    path, uploads = tmp_path / "own.sqlite3", tmp_path / "uploads"
    url = f"sqlite:///{path}"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO note (body) VALUES (?)", [("kept",)] * 3)
    made = create_backup(url, uploads, tmp_path)

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executemany("INSERT INTO note (body) VALUES (?)", [("after the backup " * 50,)] * 200)
    conn.commit()
    wal = Path(f"{path}-wal").read_bytes()
    conn.close()
    Path(f"{path}-wal").write_bytes(wal)  # as a crash would leave it

    result = restore_backup(made.path, url, uploads, overwrite=True)
    assert result.counts == {"note": 3}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT body FROM note").fetchall() == [("kept",)] * 3
