"""schemathesis against the live API: the real app served on a loopback port (werkzeug, in a
thread) with a seeded campaign and an admin's token; schemathesis (its CLI, in a subprocess)
reads /api/openapi.json and calls every operation with generated input, valid and invalid.
It must find no 500 and no response outside the document (status, content type, headers, body).
Bounded: a fixed seed and a few examples per operation keep it to a few seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.api_support import token_for
from tests.security.conftest import people  # noqa: F401  (a fixture)
from tests.security.world import build_world

MEMBERSHIP_ENFORCED = True  # tests/conftest.py: campaigns' members only, as in production

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
EXAMPLES = int(os.environ.get("FOINTRACKER_SCHEMATHESIS_EXAMPLES", "12"))


def schemathesis_command() -> list[str]:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert found, "schemathesis is not installed (pip install -e '.[test]')"
    return [found]


@pytest.fixture
def live_api(app, people):  # noqa: F811
    """The app on a loopback port, its world built: (base URL, the world)."""
    world = build_world(app, people)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", world
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("ids", ["drawn", "the world's"])
def test_schemathesis_finds_no_error_and_nothing_off_the_document(app, live_api, tmp_path, ids):
    """Twice: with the ids in URLs drawn like everything else (mostly no row's: the 404s), and
    with them fixed to the world's campaign and answered request (every filter, body and page on
    real rows: events the timeline takes or refuses, answers the grid parses or refuses)."""
    base_url, world = live_api
    token = token_for(app, "admin@example.org")
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[parameters]\n"path.campaign_id" = {world.campaign_id}\n"path.request_id" = {world.request_ids[0]}\n'
        if ids == "the world's"
        else ""
    )
    command = [
        *schemathesis_command(),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base_url}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "18",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "Tested: 10" in output, output[-5000:]  # every operation of the document


def test_every_operation_on_real_objects_answers_as_documented(app, people):  # noqa: F811
    """schemathesis draws ids at random (mostly 404s): here each GET runs once on the seeded
    world's own campaign and request, and each body is checked against its documented schema."""
    from jsonschema_rs import Draft202012Validator  # schemathesis's own validator

    world = build_world(app, people)
    token = token_for(app, "admin@example.org")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    spec = client.get("/api/openapi.json", headers=headers).get_json()
    checked = 0
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        url = path.format(campaign_id=world.campaign_id, request_id=world.request_ids[0])
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        problems = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.get_json())
        ]
        assert not problems, f"{url}: {problems[:5]}"
        checked += 1
    assert checked == 8
