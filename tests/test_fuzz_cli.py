"""Bad input on every `fointracker` command: random arguments, options and files.

Every command the `fointracker` entry point offers is either fuzzed here (COMMANDS) or
excluded with a reason (EXCLUDED); a new command fails test_every_command_is_fuzzed
until it is one or the other. Each command runs in this process through Flask's CLI
runner (the same click objects as the entry point, against the module's database), with
Hypothesis drawing its arguments: random text, impossible dates, huge and negative
numbers, unknown choices, unknown options, missing arguments, and files that are
missing, directories, empty, binary, not UTF-8, CSV with the wrong columns or junk rows,
an "xlsx" that is text, a tar.gz of junk; output paths in missing directories, under a
file, or on a directory.

What must hold for every run:
- no exception but SystemExit (the runner catches the rest: each is a traceback the
  user would have seen) and no "Traceback" in the output;
- a failure (exit status not 0) says something on stderr and writes nothing: a checksum
  of every row of every table (only the login attempts left out) and the upload folder
  are compared before and after, and no file is left in the output folder.
A few runs go through the entry point's own group (tests.test_cli.run_cli), as an operator
types them; tests/test_cli.py runs the real entry point once as a subprocess.

Examples are derandomized, as in test_fuzz_forms (FOINTRACKER_FUZZ_EXAMPLES and
FOINTRACKER_FUZZ_RANDOM=1 explore further).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import socket
import tarfile
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fointracker.domain.text import CONTROL_CHARACTERS
from fointracker.register import COLUMNS
from tests.test_cli import run_cli
from tests.test_fuzz_forms import EXAMPLES, World, fuzz_app, fuzz_settings, table_checksums, upload_files  # noqa: F401  (fuzz_app: the module's app, a fixture)

# The module's app (fuzz_app) is shared by its tests: they run together on one worker (see
# tests/test_fuzz_forms.py).
pytestmark = pytest.mark.xdist_group("fuzz_cli")

EXCLUDED = {
    "db": "Flask-Migrate's schema commands, not ours (every test database is built by `db upgrade`)",
    "run": "Flask's development server: it serves until stopped",
    "shell": "Flask's interactive Python shell",
    "routes": "Flask's own listing of the URL map: it reads no input of ours",
}


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world(fuzz_app):
    # Nothing is mailed: reminders due in the sweep go to a port nobody listens on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    fuzz_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port)
    return World(fuzz_app)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """inputs/ holds the files made for the commands; out/ is where they may write."""
    root = tmp_path_factory.mktemp("fuzz-cli")
    (root / "inputs").mkdir()
    (root / "out").mkdir()
    (root / "out" / "existing.txt").write_text("already here\n")
    return root


def checksums(app) -> dict[str, str]:
    """Every table but the login attempts: a failed command writes no audit entry either."""
    return table_checksums(app, skip={"login_attempt"})


# --------------------------------------------------------------------------- argument pieces


@dataclass(frozen=True)
class InputFile:
    """A file made for the command: its bytes and suffix, or a kind of path that is no file."""

    kind: str  # "file", "missing", "directory", "tar"
    data: bytes = b""
    suffix: str = ".csv"


@dataclass(frozen=True)
class OutPath:
    kind: str  # "fresh", "missing-dir", "under-a-file", "directory", "existing", "junk", "stdout"
    name: str = "report"


def mostly(valid, junk):
    """Usually a valid piece (so the other pieces' problems are reached), sometimes junk."""
    return st.sampled_from([False] * 7 + [True]).flatmap(lambda is_junk: junk if is_junk else valid)


ARG_NASTY = [
    "",
    " ",
    "-",
    "--",
    "-1",
    "0",
    "-0",
    "99999999999999999999",
    "1e309",
    "nan",
    "inf",
    "NaN",
    "3.5",
    "2026-02-30",
    "31/31/2026",
    "0000-00-00",
    "9999-12-31",
    "2026-13-01",
    "1900-01-01",
    "2026-02-03",
    "\x1b[31mred",
    "\x07",
    "\t",
    "é",
    "😀",
    "\u202eevil",
    "../../etc/passwd",
    "a" * 300,
    "'; DROP TABLE campaign; --",
    "%s%n",
    "--bogus",
    "-x",
    "None",
    "null",
]
# No NUL: a command line cannot carry one (execve stops at it). Files can, and do below.
arg_text = st.one_of(
    st.sampled_from(ARG_NASTY),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.integers(-(10**25), 10**25).map(str),
)
cell = st.one_of(
    arg_text,
    st.sampled_from(
        [
            "Kent",
            "KEN",
            "E10000016",
            "budget_1011",
            "comment",
            "£1.2m",
            "refused",
            "not held",
            "s40",
            "yes",
            "Closed",
            "\x00",
            "a\x00b",
            "\x1b",
            "note\x0cwith a form feed",
        ]
    ),
)


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text).writerows([header] + rows)
    return text.getvalue().encode(encoding, "replace")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append([CONTROL_CHARACTERS.sub("", value) for value in row])  # openpyxl refuses them itself
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FIGURE_HEADER = ["authority", "question", "value", "state", "note", "exemption"]
# Rows that could be right, so the checks behind the header's are reached: one cell or another is not.
figure_rows = st.lists(
    st.tuples(
        mostly(st.sampled_from(["Kent", "KEN", "E10000016", "Leeds"]), cell),
        mostly(st.sampled_from(["budget_1011", "comment", "eia", "kind", "Budget 2011/12"]), cell),
        mostly(st.sampled_from(["£1.2m", "yes", "Closed", "a comment", "12", ""]), cell),
        mostly(st.sampled_from(["", "refused", "not held", "estimate"]), cell),
        mostly(st.sampled_from(["", "Table 3"]), cell),
        mostly(st.just(""), cell),
    ).map(list),
    min_size=1,
    max_size=3,
)


def register_rows():
    """The shipped register's header and a few of its rows, a cell here and there replaced."""
    from fointracker.register import default_register_path

    lines = default_register_path().read_text(encoding="utf-8").splitlines()
    import csv

    header, *rows = list(csv.reader(lines[:6]))

    def mutate(changes):
        changed = [list(row) for row in rows]
        for row, column, value in changes:
            changed[row % len(changed)][column % len(header)] = value
        return InputFile("file", csv_bytes(header, changed))

    return st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100), cell), max_size=3).map(mutate)


def table_files(header: list[str]):
    """Files that look like the expected table, more or less."""
    rows = st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), min_size=0, max_size=4)
    near_header = st.one_of(
        st.just(header), st.lists(st.sampled_from(header + ["extra", ""]), max_size=6), st.lists(arg_text, max_size=4)
    )
    return st.one_of(
        st.builds(lambda h, r: InputFile("file", csv_bytes(h, r)), near_header, rows),
        st.builds(lambda h, r: InputFile("file", csv_bytes(h, r, "utf-16")), near_header, rows),
        st.builds(lambda h, r: InputFile("file", xlsx_bytes([h] + r), ".xlsx"), near_header, rows),
        st.builds(lambda r: InputFile("file", csv_bytes(header, r), ".xlsx"), rows),  # text named .xlsx
    )


any_file = st.one_of(
    st.builds(InputFile, st.just("file"), st.binary(max_size=400), st.sampled_from([".csv", ".xlsx", ".txt", ""])),
    st.sampled_from(
        [
            InputFile("file", b""),
            InputFile("file", b"\xff\xfe\xfa\x00bad utf-8"),
            InputFile("file", b"a,b,c\n1,2,3\n"),
            InputFile("file", b"PK\x03\x04not a zip", ".xlsx"),
            InputFile("file", b"\x00" * 64),
            InputFile("missing"),
            InputFile("directory"),
            InputFile("file", "Kent,budget_1011,1\n".encode("utf-16")),
        ]
    ),
)
out_path = st.one_of(
    st.sampled_from(
        [OutPath("fresh"), OutPath("missing-dir"), OutPath("under-a-file"), OutPath("directory"), OutPath("existing")]
    ),
    st.builds(OutPath, st.just("junk"), arg_text),
)


# --------------------------------------------------------------------------- the commands


def _opt(flag, values):
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]), st.just([flag]))


def _argv(*parts, extras=True):
    """Concatenated argument pieces, sometimes with an unknown option or a stray argument."""
    tail = (
        mostly(
            st.just([]),
            st.one_of(st.lists(arg_text, min_size=1, max_size=2), arg_text.map(lambda v: ["--no-such-option", v])),
        )
        if extras
        else st.just([])
    )
    return st.tuples(*parts, tail).map(lambda pieces: [item for piece in pieces for item in piece])


def campaign_refs(world):
    return mostly(
        st.sampled_from([str(world.campaign), "Fuzzed campaign", "FUZZED CAMPAIGN"]),
        st.one_of(st.sampled_from([" 1 ", "99999999999999999999", "-1", "0", f"{world.campaign}.0"]), arg_text),
    )


dates = st.one_of(
    st.sampled_from(["2026-03-02", "2009-03-12", "2026-02-30", "31/31/2026", "2026-03-10", "0001-01-01", "9999-12-31"]),
    arg_text,
)
iso_times = st.one_of(
    st.sampled_from(
        [
            "2026-03-02T08:00",
            "2026-03-02T08:00:00+01:00",
            "9999-12-31T23:59:59",
            "0001-01-01T00:00:00",
            "2026-03-02T25:00",
            "2026-03-02T10:00+25:00",
            "2026-03-02",
            "now",
            "2026-W10-1",
        ]
    ),
    arg_text,
)


COMMANDS = {
    "authorities import": lambda w: _argv(
        mostly(st.one_of(register_rows(), any_file, table_files(list(COLUMNS))).map(lambda f: [f]), st.just([]))
    ),
    "authorities contacts import": lambda w: _argv(
        mostly(st.one_of(any_file, table_files(["authority", "foi_email", "source"])).map(lambda f: [f]), st.just([]))
    ),
    "users create": lambda w: _argv(
        mostly(st.sampled_from(["new@example.org", "admin@example.org", "x@y"]), arg_text).map(lambda v: ["--email", v])
        | st.just([])
        | st.just(["--email", "a" * 250 + "@example.org"]),
        mostly(st.sampled_from(["admin", "coordinator", "staff", "author"]), arg_text).map(lambda v: ["--role", v]),
        _opt("--name", arg_text),
        st.sampled_from([[], ["--generate-password"]]),
    ),
    "users set-password": lambda w: _argv(
        mostly(st.sampled_from(["target@example.org", " TARGET@example.org ", "nobody@example.org"]), arg_text).map(
            lambda v: ["--email", v]
        )
        | st.just([]),
        st.sampled_from([[], ["--generate-password"]]),
    ),
    "demo seed": lambda w: _argv(
        _opt("--admin-email", st.one_of(arg_text, st.just("demo-admin@example.org"))),
        _opt("--admin-password", st.one_of(arg_text, st.just("a long enough password"))),
    ),
    "deadline": lambda w: _argv(
        mostly(st.sampled_from(["foia", "eir", "foisa", "eisr"]), arg_text).map(lambda v: ["--regime", v]),
        mostly(st.sampled_from(["2026-03-02", "2009-03-12"]), dates).map(lambda v: ["--received", v]),
        _opt("--clarified", dates),
        _opt("--fee-notice", dates),
        _opt("--fee-paid", dates),
        _opt("--extension", st.one_of(arg_text, st.sampled_from(["5", "0", "-3"]))),
        st.sampled_from([[], ["--explain"]]),
    ),
    "deadlines recompute": lambda w: _argv(),
    "reminders plan": lambda w: _argv(),
    "reminders run": lambda w: _argv(_opt("--now", iso_times)),
    "mail poll": lambda w: _argv(),  # IMAP_URL unset here: exit 1, one line on stderr, nothing written
    "mail send": lambda w: _argv(),  # nothing queued here: exit 0, nothing sent, nothing written
    "mail receive": lambda w: _argv(),  # nothing on stdin here: exit 2 with the reason, nothing written
    "scheduler": lambda w: _argv(
        _opt(
            "--sweep-minutes",
            st.one_of(
                arg_text,
                st.sampled_from(["0", "-1", "nan", "inf", "-inf", "1e400", "1e-9", "0.5", "2", "1440", "1441"]),
            ),
        )
    ),
    "figures import": lambda w: _argv(
        mostly(campaign_refs(w).map(lambda c: [c]), st.just([])),
        mostly(
            st.one_of(
                figure_rows.map(lambda rows: InputFile("file", csv_bytes(FIGURE_HEADER, rows))),
                table_files(FIGURE_HEADER),
            ).map(lambda f: [f]),
            st.one_of(any_file.map(lambda f: [f]), st.just([])),
        ),
        st.sampled_from([[], ["--dry-run"]]),
    ),
    "report": lambda w: _argv(
        mostly(campaign_refs(w).map(lambda c: [c]), st.just([])),
        mostly(
            st.sampled_from(
                [
                    [],
                    ["--format", "csv"],
                    ["--format", "tidy-csv"],
                    ["--format", "xlsx"],
                    ["--format", "json"],
                    ["--format", "html"],
                    ["--format", "docx"],
                    ["--format", "pdf"],
                ]
            ),
            st.one_of(arg_text.map(lambda v: ["--format", v]), st.just(["--format"])),
        ),
        st.one_of(st.just([]), out_path.map(lambda o: ["--output", o])),
    ),
    "backup": lambda w: _argv(st.one_of(st.just([]), out_path.map(lambda o: ["--output", o]))),
    "restore": lambda w: _argv(
        mostly(
            st.one_of(
                any_file,
                st.builds(InputFile, st.just("tar"), st.binary(max_size=200), st.sampled_from([".tar.gz", ".tgz"])),
            ).map(lambda f: [f]),
            st.just([]),
        ),
        st.sampled_from([[], ["--yes"]]),
    ),
}
EXAMPLES_FOR = {"demo seed": 4, "backup": 5, "restore": 8, "deadlines recompute": 4, "reminders plan": 4}


def entry_point_commands(app) -> set[str]:
    """Every leaf command of the `fointracker` entry point (a FlaskGroup, as fointracker.cli.main builds it)."""
    group = FlaskGroup(create_app=lambda: app)
    found = set()

    def walk(command, ctx, path):
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), click.Context(command, parent=ctx, info_name=name), path + (name,))
        else:
            found.add(" ".join(path))

    walk(group, click.Context(group, obj=ScriptInfo(create_app=lambda: app)), ())
    return found


def test_every_command_is_fuzzed(fuzz_app):
    commands = entry_point_commands(fuzz_app)
    covered = {c for c in commands if c in COMMANDS or c.split(" ")[0] in EXCLUDED}
    assert commands - covered == set(), "new commands: fuzz them in COMMANDS or say why not in EXCLUDED"
    assert set(COMMANDS) - commands == set(), "COMMANDS names commands that no longer exist"
    assert {"db upgrade", "run", "shell", "routes"} <= commands  # the exclusions still name real commands


# --------------------------------------------------------------------------- running


class Materialised:
    """Turns drawn argument pieces into real paths under the work folder."""

    numbers = itertools.count(1)  # unique across examples and tests: the work folder is the module's

    def __init__(self, root: Path):
        self.root = root

    def path(self, piece) -> str:
        self.count = next(self.numbers)
        inputs, out = self.root / "inputs", self.root / "out"
        if isinstance(piece, InputFile):
            target = inputs / f"input-{self.count}{piece.suffix}"
            if piece.kind == "missing":
                return str(inputs / f"missing-{self.count}{piece.suffix}")
            if piece.kind == "directory":
                target.mkdir()
            elif piece.kind == "tar":
                with tarfile.open(target, "w:gz") as archive:
                    for name in ("manifest.json", "database/fointracker.sqlite3", "uploads/x"):
                        info = tarfile.TarInfo(name)
                        info.size = len(piece.data)
                        archive.addfile(info, io.BytesIO(piece.data))
            else:
                target.write_bytes(piece.data)
            return str(target)
        if isinstance(piece, OutPath):
            return {
                "fresh": str(out / f"fresh-{self.count}.out"),
                "missing-dir": str(out / f"no-such-dir-{self.count}" / "report.out"),
                "under-a-file": str(out / "existing.txt" / "report.out"),
                "directory": str(out),
                "existing": str(out / "existing.txt"),
                "stdout": "-",
                "junk": str(out / f"junk-{self.count}-{piece.name}"),
            }[piece.kind]
        return piece


def out_listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in (root / "out").rglob("*")}


def run_command(app, args: list[str], cwd: Path):
    with app.app_context(), contextlib.chdir(cwd):
        return app.test_cli_runner().invoke(args=args)


def describe(result) -> str:
    import traceback

    shown = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
    return f"exit {result.exit_code}\nstdout: {result.stdout[:2000]}\nstderr: {result.stderr[:2000]}\n{shown}"


def check_run(app, root: Path, args: list[str], result, before, files_before, out_before):
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{args!r} raised:\n{describe(result)}"
    assert "Traceback" not in result.output, f"{args!r}:\n{describe(result)}"
    if result.exit_code != 0:
        assert result.stderr.strip(), f"{args!r} failed without a word on stderr:\n{describe(result)}"
        assert checksums(app) == before, f"{args!r} failed, but the database changed:\n{describe(result)}"
        assert upload_files(app) == files_before, f"{args!r} failed, but the uploads changed"
        assert out_listing(root) == out_before, f"{args!r} failed, but left files behind:\n{describe(result)}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_survives_bad_input(fuzz_app, world, workdir, monkeypatch, name):
    app = fuzz_app
    files = Materialised(workdir)
    outcomes = []
    reached = []

    def fake_scheduler(_app, sweep_minutes):
        reached.append(sweep_minutes)
        return 0

    # The scheduler runs until stopped: only its option parsing is fuzzed.
    monkeypatch.setattr("fointracker.scheduler.run_scheduler", fake_scheduler)
    with app.app_context():
        strategy = COMMANDS[name](world)

    @settings(fuzz_settings, max_examples=EXAMPLES_FOR.get(name, EXAMPLES))
    @given(drawn=strategy)
    def run_bad_input(drawn):
        args = name.split(" ") + [files.path(piece) for piece in drawn]
        before, files_before, out_before = checksums(app), upload_files(app), out_listing(workdir)
        reached.clear()
        result = run_command(app, args, workdir)
        check_run(app, workdir, args, result, before, files_before, out_before)
        outcomes.append(result.exit_code)
        if name == "scheduler" and result.exit_code == 0 and reached:
            assert math.isfinite(reached[0]) and 0 < reached[0] <= 1440, (
                f"{args!r} started the scheduler with {reached[0]!r} minutes"
            )

    run_bad_input()
    print(f"\n{name}: " + ", ".join(f"exit {code}×{outcomes.count(code)}" for code in sorted(set(outcomes))))


# --------------------------------------------------------------------------- the real entry point


def run_entry_point(app, *args, cwd: Path):
    """Through the entry point's own group (a FlaskGroup, as `fointracker` builds it), in this
    process; an exception it does not handle is raised here, where a user would see a traceback."""
    with contextlib.chdir(cwd):
        return run_cli(app, *args)


@pytest.mark.parametrize(
    "args, message",
    [
        (["authorities", "import", "{inputs}/latin1.csv"], "UTF-8"),
        (["figures", "import", "{campaign}", "{inputs}/latin1.csv"], "UTF-8"),
        (["report", "{campaign}", "--format", "csv", "--output", "{out}/no-such-dir/report.csv"], "no-such-dir"),
    ],
)
def test_the_entry_point_says_what_is_wrong_in_one_line(fuzz_app, world, workdir, args, message):
    (workdir / "inputs" / "latin1.csv").write_bytes(
        "authority,question,value\nCaf\xe9,budget_1011,1\n".encode("latin-1")
    )
    args = [a.format(inputs=workdir / "inputs", out=workdir / "out", campaign=world.campaign) for a in args]
    before, out_before = checksums(fuzz_app), out_listing(workdir)
    result = run_entry_point(fuzz_app, *args, cwd=workdir)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert checksums(fuzz_app) == before and out_listing(workdir) == out_before


# --------------------------------------------------------------------------- what the fuzz found, pinned


def _register_with(cell_value: str) -> bytes:
    from fointracker.register import default_register_path

    lines = default_register_path().read_text(encoding="utf-8").splitlines()
    header, kent = lines[0], next(line for line in lines if line.startswith("KEN,"))
    return f"{header}\n{kent.replace('Kent County Council', cell_value, 1)}\n".encode()


FOUND = [
    # (arguments, input file bytes for {file}, exit status, what stderr says)
    (["authorities", "import", "{file}"], b"code,name\n\xe9\n", 1, "not UTF-8"),
    (["authorities", "import", "{file}"], _register_with("Kent\x00County Council"), 1, "control character"),
    (
        ["figures", "import", "{campaign}", "{file}"],
        b"authority,question,value,note\nKent,budget_1011,1,a\x00b\n",
        1,
        "control character",
    ),
    (["figures", "import", "99999999999999999999", "{file}"], b"authority,question,value\n", 1, "no campaign"),
    (["report", "2147483648"], None, 1, "no campaign"),
    (["report", "{campaign}", "--output", "{out}"], None, 1, "is a folder"),
    (["report", "{campaign}", "--output", "{out}/missing/report.html"], None, 1, "no folder"),
    (["users", "create", "--email", "a" * 250 + "@example.org", "--role", "staff"], None, 1, "too long"),
    (["users", "set-password", "--email", "nobody@example.org"], None, 2, "no user has the email"),
    (["demo", "seed", "--admin-email", ""], None, 1, "nothing seeded"),
    (
        ["demo", "seed", "--admin-email", "other-admin@example.org", "--admin-password", "short"],
        None,
        1,
        "at least 10 characters",
    ),
    (["reminders", "run", "--now", "9999-12-31T23:59:59"], None, 2, "1900 to 9000"),
    (
        [
            "deadline",
            "--regime",
            "foia",
            "--received",
            "2026-03-02",
            "--fee-notice",
            "2026-03-02",
            "--fee-paid",
            "9999-12-31",
        ],
        None,
        2,
        "1900 to 2199",
    ),
    (["scheduler", "--sweep-minutes", "0"], None, 2, "1440"),
    (["scheduler", "--sweep-minutes", "nan"], None, 2, "1440"),
]


@pytest.mark.parametrize(
    "args, data, status, message", FOUND, ids=[" ".join(f[0][:2]) + f" {i}" for i, f in enumerate(FOUND)]
)
def test_what_the_fuzz_found_is_refused_cleanly(fuzz_app, world, workdir, monkeypatch, args, data, status, message):
    monkeypatch.setattr("fointracker.scheduler.run_scheduler", lambda *_: pytest.fail("the scheduler started"))
    path = workdir / "inputs" / f"found-{next(Materialised.numbers)}.csv"
    if data is not None:
        path.write_bytes(data)
    args = [a.format(file=path, campaign=world.campaign, out=workdir / "out") for a in args]
    before, files_before, out_before = checksums(fuzz_app), upload_files(fuzz_app), out_listing(workdir)
    result = run_command(fuzz_app, args, workdir)
    check_run(fuzz_app, workdir, args, result, before, files_before, out_before)
    assert result.exit_code == status and message in result.stderr, describe(result)
