#!/usr/bin/env python3
"""Build fointracker/data/authorities.csv, the council register, from the reference data.

Usage:
    python scripts/build_authority_register.py [DATA_DIR] [--output FILE]

DATA_DIR defaults to ../shared/data relative to the repository root. It must hold
the unmodified source files described in fointracker/data/README.md; their git blob
ids are checked so the README's provenance stays true (override with
--allow-other-sources when deliberately updating, then update the README and the
ids below).

The output is deterministic (sorted by code, UTF-8, LF, minimal quoting): running the
script again on the same sources gives a byte-identical file. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO_ROOT / "fointracker" / "data" / "authorities.csv"

MYSOCIETY_FILE = "uk_local_authorities_current.csv"
NAMES_FILE = "lookup_name_to_registry.csv"
DIGITAL_LAND_FILE = "digital-land_local-authority.csv"

# git blob ids of the source files this register (and its README) describe.
EXPECTED_BLOBS = {
    MYSOCIETY_FILE: "2d9f90795c7d51f37bab7a24095309a06203e0f3",
    NAMES_FILE: "45eb9c05f64a5c3dc31ed27f4022b8ca92a4aa12",
    DIGITAL_LAND_FILE: "2d5959083c1bb8a0632131750ccabecad453977f",
}

COLUMNS = (
    "code",
    "gss_code",
    "official_name",
    "short_name",
    "type_code",
    "type_name",
    "nation",
    "region",
    "social_care",
    "start_date",
    "end_date",
    "replaced_by",
    "website",
    "alt_names",
    "wdtk_id",
)
NOT_PRINCIPAL_COUNCILS = {"COMB", "SRA"}  # combined authorities and the GLA
SOCIAL_CARE_TYPES_ENGLAND = {"CTY", "UA", "MD", "LBO", "CC"}
SOCIAL_CARE_TYPES_ELSEWHERE = {"SCO", "WPA"}  # every Scottish and Welsh council
EARLIEST_REAL_START = "2009-01-01"  # earlier mySociety start-dates are not legal start dates


def git_blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def clean(text: str) -> str:
    """Trim and collapse runs of whitespace ('North Somerset  Council')."""
    return " ".join(text.split())


def split_alt_names(value: str, known: frozenset[str]) -> list[str]:
    """Split mySociety's comma-separated alt-names, where names may contain commas.

    "Bournemouth, Christchurch and Poole,Bournemouth Christchurch and Poole" is two
    names, and "rhondda, cynon, taff,rhondda,cynon,taff" is two, not six. The lookup
    file lists each name on its own, so split the string into the fewest pieces that
    are all known names for the council. If that fails, split on commas not followed
    by a space.
    """
    if not value:
        return []

    @cache
    def parse(start: int) -> tuple[str, ...] | None:
        best = None
        for end in range(len(value), start, -1):
            piece = value[start:end]
            if piece not in known or (end < len(value) and value[end] != ","):
                continue
            rest = () if end == len(value) else parse(end + 1)
            if rest is not None and (best is None or len(rest) + 1 < len(best)):
                best = (piece, *rest)
        return best

    parsed = parse(0)
    if parsed is not None:
        return list(parsed)
    return re.split(r",(?! )", value)


def merge_names(candidates: list[str], exclude: list[str]) -> list[str]:
    """Deduplicate case-insensitively, in order of first appearance. Of spellings that
    differ only in case, keep the first that has a capital letter. Names equal (ignoring
    case) to one in ``exclude`` are dropped."""
    excluded = {clean(n).casefold() for n in exclude}
    groups: dict[str, list[str]] = {}
    for name in candidates:
        name = clean(name)
        key = name.casefold()
        if not name or key in excluded:
            continue
        groups.setdefault(key, []).append(name)
    result = []
    for spellings in groups.values():
        result.append(next((s for s in spellings if s != s.lower()), spellings[0]))
    return result


def wdtk_id(value: str) -> str:
    """'215.0' -> '215' (mySociety writes the WDTK id as a float)."""
    if not value:
        return ""
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"wdtk-id is not a whole number: {value!r}")
    return str(int(number))


# mySociety files Derbyshire under West Midlands and Lincolnshire under Yorkshire and The
# Humber; both counties are in the East Midlands (ONS region E12000004, as digital-land's
# `region` column also gives). Every other English row agrees with digital-land.
REGION_CORRECTIONS = {"DBY": "East Midlands", "LIN": "East Midlands"}


def build_rows(data_dir: Path) -> list[dict[str, str]]:
    authorities = read_csv(data_dir / MYSOCIETY_FILE)
    lookup = read_csv(data_dir / NAMES_FILE)
    digital_land = read_csv(data_dir / DIGITAL_LAND_FILE)

    lookup_names: dict[str, list[str]] = {}
    for row in lookup:
        lookup_names.setdefault(row["local-authority-code"], []).append(row["la-name"])

    # Websites: digital-land `reference` = mySociety code. Six post-2021 unitaries have
    # different references there (CBD/CUA, NNT/NNUA, NYE/NYUA, SMT/SUA, WAF/WFUA,
    # WNT/WNUA); for a code with no reference match, fall back to the GSS code
    # (mySociety `gss-code` = digital-land `statistical-geography`) if exactly one
    # digital-land row has it.
    dl_by_reference = {row["reference"]: row for row in digital_land}
    dl_by_gss: dict[str, list[dict[str, str]]] = {}
    for row in digital_land:
        if row["statistical-geography"]:
            dl_by_gss.setdefault(row["statistical-geography"], []).append(row)

    def website(row: dict[str, str]) -> str:
        if row["nation"] != "England":
            return ""
        match = dl_by_reference.get(row["local-authority-code"])
        if match is None:
            by_gss = dl_by_gss.get(row["gss-code"], [])
            match = by_gss[0] if len(by_gss) == 1 else None
        return match["website"].strip() if match else ""

    kept = [r for r in authorities if r["local-authority-type"] not in NOT_PRINCIPAL_COUNCILS]
    by_code = {r["local-authority-code"]: r for r in kept}

    def region(row: dict[str, str], seen: frozenset[str] = frozenset()) -> str:
        """mySociety's region; blank for 15 councils abolished in 2019-2021. For those,
        use the region of the successor(s) when they all agree (regions did not change).
        Two rows are wrong at the source commit and are corrected (REGION_CORRECTIONS)."""
        code = row["local-authority-code"]
        if code in REGION_CORRECTIONS:
            return REGION_CORRECTIONS[code]
        if row["region"]:
            return row["region"]
        successors = [c for c in re.split(r"[\s,]+", row["replaced-by"]) if c]
        found = {region(by_code[c], seen | {code}) for c in successors if c in by_code and c not in seen}
        return found.pop() if len(found) == 1 else ""

    rows = []
    for r in kept:
        code = r["local-authority-code"]
        nation = r["nation"]
        type_code = r["local-authority-type"]
        official = clean(r["official-name"])
        short = clean(r["nice-name"])
        social_care = (
            nation == "England" and type_code in SOCIAL_CARE_TYPES_ENGLAND
        ) or type_code in SOCIAL_CARE_TYPES_ELSEWHERE
        start = r["start-date"] if r["start-date"] >= EARLIEST_REAL_START else ""
        known = frozenset(lookup_names.get(code, []))
        alt = merge_names(split_alt_names(r["alt-names"], known) + lookup_names.get(code, []), [official, short])
        rows.append(
            {
                "code": code,
                "gss_code": r["gss-code"].strip(),
                "official_name": official,
                "short_name": short,
                "type_code": type_code,
                "type_name": r["local-authority-type-name"].strip(),
                "nation": nation,
                "region": region(r),
                "social_care": "true" if social_care else "false",
                "start_date": start,
                "end_date": r["end-date"],  # as given; see the README on the two conventions
                "replaced_by": ",".join(c for c in re.split(r"[\s,]+", r["replaced-by"]) if c),
                "website": website(r),
                "alt_names": "|".join(alt),
                "wdtk_id": wdtk_id(r["wdtk-id"].strip()),
            }
        )
    rows.sort(key=lambda row: row["code"])
    return rows


def render(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def summary(rows: list[dict[str, str]]) -> str:
    current = [r for r in rows if not r["end_date"]]
    by_nation = Counter(r["nation"] for r in current)
    asc = sum(1 for r in current if r["nation"] == "England" and r["social_care"] == "true")
    return (
        f"{len(rows)} rows: {len(current)} current "
        f"({', '.join(f'{n} {c}' for n, c in sorted(by_nation.items()))}), "
        f"{len(rows) - len(current)} abolished; {asc} current English social-care councils"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder with the source CSVs (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--output", "-o", type=Path, default=DEFAULT_OUTPUT, help=f"file to write (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--allow-other-sources",
        action="store_true",
        help="build even if the source files are not the documented versions",
    )
    args = parser.parse_args(argv)

    for name, expected in EXPECTED_BLOBS.items():
        path = args.data_dir / name
        if not path.is_file():
            parser.error(f"missing source file: {path}")
        actual = git_blob_id(path)
        if actual != expected:
            message = f"{path}: git blob {actual}, expected {expected} (the version the README documents)"
            if not args.allow_other_sources:
                parser.error(message + "; pass --allow-other-sources to build anyway")
            print("warning: " + message, file=sys.stderr)

    rows = build_rows(args.data_dir)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(render(rows))
    print(f"wrote {args.output}: {summary(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
