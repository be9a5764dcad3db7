"""The content-addressed file store (services/file_store.py): bytes stored once under their SHA-256,
in the upload folder or in the database; documents naming them; backups; migration 0016.

Every test runs on the suite's database (SQLite, or PostgreSQL in the PostgreSQL run) and, where it
matters, with both stores."""

from __future__ import annotations

import hashlib
import io
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from fointracker import create_app
from fointracker.extensions import db
from fointracker.models import Attachment, Authority, Campaign, RequestEvent, StoredFile
from fointracker.services.attachments import attach_stored
from fointracker.services.backup import create_backup, restore_backup
from fointracker.services.file_store import BlobDamaged, BlobMissing, BlobTooLarge, FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event, remove_event
from tests.conftest import _config, post

PDF = b"%PDF-1.4 the council's answer \x00\xff" * 100
MODES = ("folder", "database")


def files_under(folder) -> list[Path]:
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def stored_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(StoredFile))


def use_store(app, mode: str) -> FileStore:
    app.config["FILE_STORE"] = mode
    return FileStore.from_config(app.config)


def new_request_with_event(session, users, code: str) -> tuple[int, int]:
    """(request id, id of its acknowledgement) in a campaign of its own."""
    campaign = Campaign(title=f"Store {code}", default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.flush()
    council = session.scalar(select(Authority).where(Authority.code == code))
    request = create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": council.id,
            "regime": "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": date(2026, 3, 2),
            "received_on": None,
            "council_reference": "",
            "owner_id": None,
        },
        None,
    )
    event = add_event(session, request, kind="acknowledged", occurred_on=date(2026, 3, 3), user_id=None)
    session.commit()
    return request.id, event.id


def upload(client, request_id: int, event_id: int, data: bytes, name: str):
    return post(
        client,
        f"/requests/{request_id}/events/{event_id}/attachments",
        {"files": (io.BytesIO(data), name, "text/html")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("mode", MODES)
def test_the_same_bytes_are_stored_once(app, mode):
    with app.app_context():
        store = use_store(app, mode)
        first = store.put(db.session, PDF)
        again = store.put(db.session, PDF)
        streamed = store.put_stream(db.session, io.BytesIO(PDF))
        other = store.put(db.session, b"another document")
        db.session.commit()
        assert first == again == streamed and first.sha256 == hashlib.sha256(PDF).hexdigest()
        assert first.size == len(PDF) and other.sha256 != first.sha256
        assert stored_rows(db.session) == 2
        assert store.read(db.session, first.sha256) == PDF
        data = db.session.scalar(select(StoredFile.data).where(StoredFile.sha256 == first.sha256))
        files = files_under(app.config["UPLOAD_FOLDER"])
        if mode == "folder":
            assert data is None
            assert [p.name for p in files] == sorted([first.sha256, other.sha256], key=lambda s: (s[:2], s))
            assert files[0].parent.name == files[0].name[:2]
        else:
            assert bytes(data) == PDF and files == []  # nothing on this host's disk


@pytest.mark.parametrize("mode", MODES)
def test_two_documents_share_one_blob_and_each_downloads_under_its_own_name(app, users, login_as, mode):
    with app.app_context():
        store = use_store(app, mode)
        kent = new_request_with_event(db.session, users, "KEN")
        surrey = new_request_with_event(db.session, users, "SUR")
    client = login_as("staff")
    assert upload(client, *kent, PDF, "Kent reply.pdf").status_code == 302
    assert upload(client, *surrey, PDF, "Surrey <reply>.pdf").status_code == 302
    with app.app_context():
        documents = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [d.original_name for d in documents] == ["Kent reply.pdf", "Surrey <reply>.pdf"]
        assert documents[0].sha256 == documents[1].sha256 and stored_rows(db.session) == 1
        assert len(files_under(store.folder)) == (1 if mode == "folder" else 0)
        ids = [d.id for d in documents]
    for document_id, name in zip(ids, ["Kent reply.pdf", "Surrey <reply>.pdf"]):
        download = client.get(f"/requests/attachments/{document_id}")
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert f'filename="{name}"' in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.mimetype == "application/pdf"  # from the extension, not the "text/html" claimed

    # Removing one document's step leaves the other's content in place.
    with app.app_context():
        event = db.session.get(RequestEvent, kent[1])
        remove_event(db.session, event, reason="recorded on the wrong request", user_id=None)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1
    download = client.get(f"/requests/attachments/{ids[1]}")
    assert download.status_code == 200 and download.data == PDF


def test_attach_stored_names_content_already_in_the_store(app, users):
    with app.app_context():
        store = use_store(app, "folder")
        _request_id, event_id = new_request_with_event(db.session, users, "KEN")
        blob = store.put(db.session, PDF)
        event = db.session.get(RequestEvent, event_id)
        a = attach_stored(db.session, event, "../reply.pdf", "application/pdf", blob, users["staff"])
        b = attach_stored(db.session, event, "reply (copy).pdf", "", blob, None)
        db.session.commit()
        assert (a.original_name, a.sha256, a.size, a.uploaded_by_id) == (
            "reply.pdf",
            blob.sha256,
            len(PDF),
            users["staff"],
        )
        assert b.content_type == "application/octet-stream" and b.sha256 == blob.sha256
        assert [x.id for x in event.attachments] == [a.id, b.id] and stored_rows(db.session) == 1


def test_the_database_store_serves_two_web_hosts_that_share_only_the_database(app, users, login_as, tmp_path):
    """Two app instances on one database (PostgreSQL behind a load balancer; SQLite in the SQLite
    run), each with an upload folder of its own: what one stores, the other serves, and neither
    writes a file."""
    with app.app_context():
        use_store(app, "database")
        kent = new_request_with_event(db.session, users, "KEN")
        url = db.engine.url.render_as_string(hide_password=False)
    other = create_app(_config(url, tmp_path / "host-b") | {"FILE_STORE": "database"})
    try:
        client = login_as("staff")
        assert upload(client, *kent, PDF, "reply.pdf").status_code == 302
        with app.app_context():
            document_id = db.session.scalar(select(Attachment.id))
        client_b = other.test_client()
        from tests.conftest import login

        assert login(client_b, "staff@example.org").status_code == 302
        download = client_b.get(f"/requests/attachments/{document_id}")
        assert download.status_code == 200 and download.data == PDF
        assert "attachment;" in download.headers["Content-Disposition"]
        # Host B stores the same bytes again: nothing new, anywhere.
        with other.app_context():
            blob = FileStore.from_config(other.config).put(db.session, PDF)
            db.session.commit()
            assert stored_rows(db.session) == 1 and blob.size == len(PDF)
        assert files_under(app.config["UPLOAD_FOLDER"]) == [] and files_under(other.config["UPLOAD_FOLDER"]) == []
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("mode", MODES)
def test_two_writers_of_the_same_new_bytes_store_them_once(app, tmp_path, mode):
    """Two transactions putting the same new bytes at once: the second waits for the first's row and
    then stores nothing (ON CONFLICT DO NOTHING), whichever commits first."""
    with app.app_context():
        use_store(app, mode)
        url = db.engine.url.render_as_string(hide_password=False)
    other = create_app(_config(url, tmp_path) | {"FILE_STORE": mode})  # same upload folder: one host, two workers
    errors: list[BaseException] = []
    try:
        with app.app_context():
            first = FileStore.from_config(app.config).put(db.session, PDF)  # uncommitted

            def second_writer():
                try:
                    with other.app_context():
                        FileStore.from_config(other.config).put(db.session, PDF)
                        db.session.commit()
                except BaseException as exc:  # reported below
                    errors.append(exc)

            writer = threading.Thread(target=second_writer)
            writer.start()
            writer.join(0.3)  # it may be waiting for our row; let it
            db.session.commit()
            writer.join()
            assert errors == [] and stored_rows(db.session) == 1
            assert FileStore.from_config(app.config).read(db.session, first.sha256) == PDF
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_or_damaged_blob_is_a_clear_error(app, users, login_as, mode):
    with app.app_context():
        store = use_store(app, mode)
        kent = new_request_with_event(db.session, users, "KEN")
    client = login_as("staff")
    assert upload(client, *kent, PDF, "reply.pdf").status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Attachment))
        sha, document_id = document.sha256, document.id
        # Damaged: other bytes where these should be.
        if mode == "folder":
            store.path(sha).write_bytes(b"%PDF-1.4 something else")
        else:
            db.session.execute(text("UPDATE stored_file SET data = :d"), {"d": b"%PDF-1.4 something else"})
            db.session.commit()
        with pytest.raises(BlobDamaged, match=f"stored file {sha} .*damaged"):
            store.read(db.session, sha)
        # Missing: nothing where these should be.
        if mode == "folder":
            store.path(sha).unlink()
        else:
            db.session.execute(text("UPDATE stored_file SET data = NULL"))
            db.session.commit()
        with pytest.raises(BlobMissing, match=f"stored file {sha} \\({len(PDF)} bytes\\) is recorded but its bytes"):
            store.read(db.session, sha)
        with pytest.raises(BlobMissing, match="is not in the file store"):
            store.read(db.session, "0" * 64)
        with pytest.raises(BlobMissing, match="not the name of a stored file"):
            store.read(db.session, "../../etc/passwd")
        assert not store.exists(db.session, sha)
    download = client.get(f"/requests/attachments/{document_id}")
    assert download.status_code == 500
    assert "reply.pdf" in download.get_data(as_text=True) and "restored from a backup" in download.get_data(
        as_text=True
    )


@pytest.mark.parametrize("mode", MODES)
def test_sizes_are_bounded_and_a_refused_file_leaves_nothing(app, users, login_as, mode):
    with app.app_context():
        store = use_store(app, mode)
        small = FileStore(store.folder, mode, max_bytes=100)
        with pytest.raises(BlobTooLarge, match="limit"):
            small.put(db.session, b"x" * 101)
        with pytest.raises(BlobTooLarge):
            small.put_stream(db.session, io.BytesIO(b"x" * 5000))
        with pytest.raises(BlobTooLarge):
            store.put_stream(db.session, io.BytesIO(b"x" * 5000), max_bytes=4096)
        db.session.rollback()
        kent = new_request_with_event(db.session, users, "KEN")
    client = login_as("staff")
    app.config["FILE_STORE_MAX_BYTES"] = 1000  # below MAX_CONTENT_LENGTH: the store's own bound
    response = upload(client, *kent, b"%PDF" + b"x" * 2000, "big.pdf")
    assert response.status_code == 302
    assert "big.pdf: larger than the" in client.get(f"/requests/{kent[0]}").get_data(as_text=True)
    response = upload(client, *kent, b"", "empty.pdf")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0 and stored_rows(db.session) == 0
    assert files_under(app.config["UPLOAD_FOLDER"]) == []


@pytest.mark.parametrize("mode", MODES)
def test_backup_and_restore_carry_the_store(app, users, login_as, tmp_path, mode):
    """Folder store: its files are in the archive's uploads. Database store: its bytes are in the
    database copy (pg_dump on PostgreSQL), and nothing is on disk."""
    with app.app_context():
        store = use_store(app, mode)
        kent = new_request_with_event(db.session, users, "KEN")
    client = login_as("staff")
    assert upload(client, *kent, PDF, "reply.pdf").status_code == 302
    with app.app_context():
        document_id, sha = db.session.execute(select(Attachment.id, Attachment.sha256)).one()
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
    made = create_backup(url, app.config["UPLOAD_FOLDER"], tmp_path)
    uploads = {f["path"] for f in made.manifest["uploads"]}
    assert made.manifest["tables"]["stored_file"] == 1
    assert uploads == ({f"uploads/store/{sha[:2]}/{sha}"} if mode == "folder" else set())

    # The bytes are lost...
    with app.app_context():
        if mode == "folder":
            store.path(sha).unlink()
        else:
            db.session.execute(text("UPDATE stored_file SET data = NULL"))
            db.session.commit()
        assert not store.exists(db.session, sha)
        db.session.remove()
        db.engine.dispose()
    # ... and come back with the restore.
    restore_backup(made.path, url, app.config["UPLOAD_FOLDER"], overwrite=True)
    with app.app_context():
        assert store.read(db.session, sha) == PDF
    download = client.get(f"/requests/attachments/{document_id}")
    assert download.status_code == 200 and download.data == PDF
    if mode == "database":
        assert files_under(app.config["UPLOAD_FOLDER"]) == []


# --- migration 0016 -------------------------------------------------------------------------------


def _insert_request_with_event(conn) -> None:
    for statement in (
        'INSERT INTO "user" (id, email, name, role, password_hash, active, created_at) '
        "VALUES (1, 'a@example.org', '', 'admin', 'x', true, CURRENT_TIMESTAMP)",
        "INSERT INTO authority (id, code, gss_code, official_name, short_name, type_code, type_name, nation, "
        "region, social_care, replaced_by, website, foi_email, alt_names, wdtk_id, updated_at) VALUES (1, 'KEN', "
        "'', 'Kent County Council', 'Kent', 'CTY', '', 'England', 'South East', true, '', '', '', '', '', "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO campaign (id, title, description, default_regime, letter_template, created_at, created_by_id) "
        "VALUES (1, 'C', '', 'foia', '', CURRENT_TIMESTAMP, 1)",
        "INSERT INTO foi_request (id, campaign_id, authority_id, regime, subject, body, sent_on, received_on, "
        "council_reference, owner_id, status, created_at, updated_at) VALUES (1, 1, 1, 'foia', 'S', '', "
        "'2026-03-02', '2026-03-02', '', 1, 'awaiting_response', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO request_event (id, request_id, kind, occurred_on, details, note, created_by_id, created_at) "
        "VALUES (1, 1, 'response_received', '2026-03-20', '{}', '', 1, CURRENT_TIMESTAMP)",
    ):
        conn.execute(text(statement))


def _attachment_triggers(session) -> set[str]:
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'attachment' AND t.tgname LIKE 'campaign_version_%'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'attachment'"
    return set(session.scalars(text(sql)))


@pytest.mark.parametrize("mode", MODES)
def test_migration_0016_moves_documents_into_the_store_and_back(tmp_path, mode):
    from flask_migrate import downgrade, upgrade

    from tests.test_migrations import _app_at_revision

    same, other, lost = b"%PDF same answer", b"%PDF another answer", b"%PDF lost"
    mail_blob = b"From: x@example.org\r\n\r\nan earlier message"
    digest = {data: hashlib.sha256(data).hexdigest() for data in (same, other, lost, mail_blob)}
    rows = [(1, "a" * 32, same), (2, "b" * 32, same), (3, "c" * 32, other), (4, "d" * 32, lost)]
    with _app_at_revision(tmp_path, "0015") as app:
        app.config["FILE_STORE"] = mode
        uploads = Path(app.config["UPLOAD_FOLDER"])
        shutil.rmtree(uploads, ignore_errors=True)  # (PostgreSQL: what downgrading earlier tests' data wrote)
        uploads.mkdir(parents=True)
        triggers_before = _attachment_triggers(db.session)
        db.session.remove()
        with db.engine.begin() as conn:
            _insert_request_with_event(conn)
            for attachment_id, stored_name, data in rows:
                conn.execute(
                    text(
                        "INSERT INTO attachment (id, event_id, original_name, stored_name, content_type, size, "
                        "sha256, uploaded_by_id, uploaded_at) VALUES (:id, 1, :name, :stored, 'application/pdf', "
                        ":size, :sha, 1, CURRENT_TIMESTAMP)"
                    ),
                    {
                        "id": attachment_id,
                        "name": f"doc{attachment_id}.pdf",
                        "stored": stored_name,
                        "size": len(data),
                        "sha": digest[data],
                    },
                )
                if data is not lost:
                    (uploads / stored_name).write_bytes(data)
        # 0015's intake already wrote a message into the folder store (its first cut, no rows).
        intake = uploads / "store" / digest[mail_blob][:2] / digest[mail_blob]
        intake.parent.mkdir(parents=True)
        intake.write_bytes(mail_blob)

        upgrade()
        assert "stored_name" not in {c["name"] for c in inspect(db.engine).get_columns("attachment")}
        assert _attachment_triggers(db.session) == triggers_before != set()
        store = FileStore.from_config(app.config)
        assert sorted(p.name for p in files_under(uploads)) == sorted(digest[d] for d in (same, other, mail_blob))
        assert all(p.parent.parent == store.folder for p in files_under(uploads))  # the flat files moved in
        recorded = dict(db.session.execute(select(StoredFile.sha256, StoredFile.size)).all())
        assert recorded == {digest[d]: len(d) for d in (same, other, mail_blob)}
        for attachment_id, _stored, data in rows[:3]:
            assert store.read(db.session, db.session.get(Attachment, attachment_id).sha256) == data
        with pytest.raises(BlobMissing):
            store.read(db.session, db.session.get(Attachment, 4).sha256)
        with_data = db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.data.is_not(None)))
        assert with_data == (3 if mode == "database" else 0)
        db.session.remove()

        downgrade(revision="0015")
        assert "stored_file" not in inspect(db.engine).get_table_names()
        assert _attachment_triggers(db.session) == triggers_before
        back = dict(db.session.execute(text("SELECT id, stored_name FROM attachment")).all())
        assert len(set(back.values())) == 4
        for attachment_id, _stored, data in rows[:3]:
            assert (uploads / back[attachment_id]).read_bytes() == data
        assert not (uploads / back[4]).exists()
        assert intake.read_bytes() == mail_blob  # where 0015's code reads it
        db.session.remove()
        upgrade()
