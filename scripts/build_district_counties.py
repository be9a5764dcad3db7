#!/usr/bin/env python3
"""Build fointracker/data/district_counties.csv: each current shire district and the county
council over it, from mySociety's `county-la` column (fointracker/data/README.md says which file).

Usage:
    python scripts/build_district_counties.py [DATA_DIR] [--output FILE]

DATA_DIR defaults to ../shared/data relative to the repository root and must hold the
unmodified `uk_local_authorities_current.csv` (its git blob id is checked). The hex map needs
it because a county council is not a hex of its own: its value colours its districts' hexes.
Deterministic (sorted by district code, UTF-8, LF). Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO_ROOT / "fointracker" / "data" / "district_counties.csv"
SOURCE = "uk_local_authorities_current.csv"
EXPECTED_BLOB = "2d9f90795c7d51f37bab7a24095309a06203e0f3"
COLUMNS = ("district_code", "district_gss_code", "county_code")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def build(source: bytes) -> str:
    rows = csv.DictReader(io.StringIO(source.decode("utf-8")))
    found = sorted(
        (r["local-authority-code"], r["gss-code"], r["county-la"])
        for r in rows
        if r["county-la"] and not r["end-date"] and r["local-authority-type"] == "NMD"
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(found)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    source = (args.data_dir / SOURCE).read_bytes()
    if git_blob_id(source) != EXPECTED_BLOB:
        print(f"{SOURCE} is not the file the README describes (blob {EXPECTED_BLOB})", file=sys.stderr)
        return 1
    args.output.write_text(build(source), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
