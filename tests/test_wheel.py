"""`pip install .` (not editable) ships the templates and migrations and serves pages."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]

CHECK = r"""
import sys
from fointracker import create_app
from fointracker.paths import migrations_dir, templates_dir
from flask_migrate import upgrade
site = sys.argv[1]
assert str(templates_dir()).startswith(site), templates_dir()
assert str(migrations_dir()).startswith(site), migrations_dir()
app = create_app()
with app.app_context():
    upgrade()
page = app.test_client().get("/login")
assert page.status_code == 200, page.status_code
assert "Log in" in page.get_data(as_text=True)
assert app.test_client().get("/static/app.css").status_code == 200
# The map's layout, its licence and the district-to-county table travel in the package (#18).
from fointracker.services.report_map import DATA, county_districts, hex_layout
assert str(DATA).startswith(site), DATA
assert len(hex_layout().hexes) == 361 and len(county_districts()) == 21
assert "Open Innovations" in (DATA / "LICENSE-hexmaps.txt").read_text(encoding="utf-8")
print("OK")
"""


@pytest.mark.slow
# The wheel's own SQLite app is the same whichever database the suite runs on: once is enough.
@pytest.mark.skipif(bool(PG_URL), reason="packaging is checked in the SQLite pass")
def test_wheel_installs_into_a_fresh_venv_and_renders_login(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("fointracker-*.whl"))
    venv = tmp_path / "venv"
    # A fresh venv without pip of its own (ensurepip costs ~4 s): this pip installs into it
    # (--python runs pip with the venv's interpreter). --no-compile: byte-compiling every
    # dependency at install is two thirds of the install's ~23 s, and the check below imports
    # from source just as well.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile"]
        + [str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    work = tmp_path / "elsewhere"  # not the source tree, so nothing can be found there by accident
    work.mkdir()
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "FOINTRACKER_INSTANCE_PATH": str(work / "instance")}
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", CHECK, site],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-3000:]
    cli = subprocess.run(
        [str(venv / "bin" / "fointracker"), "authorities", "import"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0 and "455 created" in cli.stdout, cli.stderr[-2000:]
