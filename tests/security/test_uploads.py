"""Uploads: whatever name a file arrives with, it is stored under its content's SHA-256 inside
UPLOAD_FOLDER/store, its name is kept only as cleaned data, and the download offers it back as
an attachment with a harmless name and a type the server chose; oversized requests are a
413 that leaves nothing behind; the figure import's confirmation cannot be pointed at
another file."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header

from fointracker.extensions import db
from fointracker.models import Attachment, RequestEvent
from fointracker.services.attachments import attach, display_name
from fointracker.services.file_store import FileStore
from tests.conftest import login

from .pages import changed_tables, session_csrf_token, snapshot
from .world import build_world

HOSTILE_NAMES = {
    # name sent: the name kept (and offered on download); None: whatever the multipart parser
    # made of the backslashes (it reads them as escapes), as long as it is harmless
    "../../etc/passwd.pdf": "passwd.pdf",
    "..\\..\\windows\\system32\\evil.pdf": None,
    "C:\\x\\..\\evil.pdf": None,
    "/etc/cron.d/job.pdf": "job.pdf",
    "a\x00b\x07c.pdf": "abc.pdf",
    "tab\tand\x1bescape\x7f.pdf": "tabandescape.pdf",
    'quote"; filename="evil.exe.pdf': None,
    ".hidden.pdf": "hidden.pdf",
    "%2e%2e%2fencoded.pdf": "%2e%2e%2fencoded.pdf",
    "Ünïcödé résumé 😀.pdf": "Ünïcödé résumé 😀.pdf",
    "x" * 300 + ".pdf": "x" * 190 + ".pdf",
}


def test_display_names_lose_line_breaks_and_directories():
    # (A line break cannot travel in a multipart file name from a browser; the service drops it anyway.)
    assert display_name("line\r\nX-Injected: yes\r\n.pdf") == "lineX-Injected: yes.pdf"
    assert display_name("dir/sub\\name.pdf") == "name.pdf"
    assert display_name("\u202egnp.pdf") == "gnp.pdf"  # no right-to-left override to disguise the extension


def test_quotes_in_a_stored_name_stay_inside_the_download_name(app, people):
    """(A browser sends a quote in a file name as %22; one stored through the service still
    cannot break out of the Content-Disposition header.)"""
    world = build_world(app, people)
    name = 'say "hi"; filename="evil.exe".pdf'
    with app.app_context():
        event = db.session.get(RequestEvent, world.params["event_id"])
        attach(
            db.session,
            event,
            [FileStorage(io.BytesIO(b"%PDF q"), filename=name)],
            FileStore.from_config(app.config),
            app.config["MAX_CONTENT_LENGTH"],
            None,
        )
        db.session.commit()
        attachment_id = event.attachments[-1].id
        db.session.remove()
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    download = client.get(f"/requests/attachments/{attachment_id}")
    assert _disposition(download.headers["Content-Disposition"]) == ("attachment", name)


def _files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def _disposition(header: str) -> tuple[str, str]:
    """(disposition, the name a browser saves the download as: filename*, else filename)."""
    kind, options = parse_options_header(header)
    return kind, options.get("filename", "")


def test_hostile_file_names_are_stored_under_generated_names(app, people, tmp_path):
    world = build_world(app, people)
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    token = session_csrf_token(client)
    store = FileStore.from_config(app.config).folder.resolve()
    before = _files_under(tmp_path)
    url = f"/requests/{world.params['request_id']}/events/{world.params['event_id']}/attachments"
    for sent in HOSTILE_NAMES:
        response = client.post(
            url,
            data={"files": (io.BytesIO(f"%PDF {sent!r}".encode()), sent, "text/html"), "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, sent
    new_files = _files_under(tmp_path) - before
    assert len(new_files) == len(HOSTILE_NAMES)
    assert all(path.resolve().parent.parent == store for path in new_files)  # only store/<2 hex>/<sha256>
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id.desc()).limit(len(HOSTILE_NAMES))).all()
        stored = [(a.id, a.original_name, a.sha256) for a in reversed(rows)]
        db.session.remove()
    for (attachment_id, original, sha256), (sent, kept) in zip(stored, HOSTILE_NAMES.items()):
        assert original == kept or kept is None, sent
        assert original.endswith(".pdf") and not original.startswith(".") and len(original) <= 200, sent
        assert not set(original) & set("/\\\x00\r\n"), sent
        kept = original
        assert re.fullmatch(r"[0-9a-f]{64}", sha256) and (store / sha256[:2] / sha256) in new_files
        download = client.get(f"/requests/attachments/{attachment_id}")
        assert download.status_code == 200 and download.data == f"%PDF {sent!r}".encode()
        disposition = download.headers["Content-Disposition"]
        assert _disposition(disposition) == ("attachment", kept), disposition
        for name, value in download.headers.items():
            assert "\r" not in value and "\n" not in value, (name, value)
        # The type comes from the (allowed) extension, not from what the client claimed.
        assert download.mimetype == "application/pdf", (sent, download.mimetype)
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_uploads_are_refused_and_leave_nothing(app, people, tmp_path):
    world = build_world(app, people)
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    token = session_csrf_token(client)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    before_rows, before_files = snapshot(app), _files_under(tmp_path)
    big = b"%PDF" + b"x" * 10_000
    request_id, event_id = world.params["request_id"], world.params["event_id"]
    for url, data in (
        (f"/requests/{request_id}/events/{event_id}/attachments", {"files": (io.BytesIO(big), "big.pdf")}),
        (
            f"/requests/{request_id}/events",
            {"kind": "note", "occurred_on": "2026-01-05", "note": "x", "files": (io.BytesIO(big), "big.pdf")},
        ),
        (f"/campaigns/{world.campaign_id}/figures/import", {"file": (io.BytesIO(big), "big.csv")}),
    ):
        response = client.post(url, data={**data, "csrf_token": token}, content_type="multipart/form-data")
        assert response.status_code == 413, url
        assert "Uploads are limited to" in response.get_data(as_text=True)
    assert not changed_tables(before_rows, snapshot(app))
    assert _files_under(tmp_path) == before_files


def test_the_import_confirmation_cannot_reach_other_files(app, people, tmp_path):
    world = build_world(app, people)
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    token = session_csrf_token(client)
    folder = Path(app.config["UPLOAD_FOLDER"]) / "figure-imports"
    folder.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "victim.csv"
    victim.write_text("authority,question,value\nKEN,how,Forged\n")
    inside = Path(app.config["UPLOAD_FOLDER"]) / "victim.csv"
    inside.write_text(victim.read_text())
    before_rows = snapshot(app)
    relative = os.path.relpath(victim, folder)
    for name in (
        relative,
        str(victim),
        "../victim.csv",
        "..%2Fvictim.csv",
        "victim.csv",
        "0" * 32 + ".csv/../../victim.csv",
        "0" * 32 + ".csv\x00.csv",
    ):
        for step in ("import", "cancel"):
            response = client.post(
                f"/campaigns/{world.campaign_id}/figures/import/confirm",
                data={"token": name, "filename": "f.csv", "fingerprint": "x", "step": step, "csrf_token": token},
            )
            assert response.status_code in (302, 400), (name, step)
    assert victim.exists() and inside.exists()
    assert not changed_tables(before_rows, snapshot(app))
    # A hostile name on the upload itself: kept under a generated name, shown cleaned.
    response = client.post(
        f"/campaigns/{world.campaign_id}/figures/import",
        data={
            "file": (io.BytesIO(b"authority,question,value\nKEN,how,Contracted\n"), "../../../x/evil.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "Import figures: evil.csv" in response.get_data(as_text=True)
    [stored] = list(folder.iterdir())
    assert re.fullmatch(r"[0-9]+-[0-9a-f]{32}\.csv", stored.name)
