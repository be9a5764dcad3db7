"""The council register: reading, validating and name-matching UK councils.

Pure module: no Flask and no SQLAlchemy. The register is the CSV file shipped in
``fointracker/data/authorities.csv`` (see ``fointracker/data/README.md`` for its
source, licence and columns). It is built from the mySociety "UK Local Authority
Names and Codes" dataset by ``scripts/build_authority_register.py``.

``read_register`` checks the whole file and either returns every record or raises
one ``RegisterError`` that lists every problem; it never returns part of a file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from . import tabular
from .domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from .tabular import Problem

__all__ = [
    "AuthorityRecord",
    "COLUMNS",
    "NATIONS",
    "REQUIRED_VALUES",
    "RegisterError",
    "SOCIAL_CARE_TYPES_ENGLAND",
    "TYPE_NAMES",
    "build_name_index",
    "default_register_path",
    "match_name",
    "normalise_name",
    "read_register",
]

#: The register's columns, in file order. All must be present in the header.
COLUMNS: tuple[str, ...] = (
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
#: Columns that may not be blank in any row.
REQUIRED_VALUES: tuple[str, ...] = ("code", "official_name", "type_code", "nation")

NATIONS: tuple[str, ...] = ("England", "Scotland", "Wales", "Northern Ireland")

#: mySociety ``local-authority-type`` codes and their readable names (as in the data).
TYPE_NAMES: dict[str, str] = {
    "CTY": "County",
    "UA": "Unitary authority",
    "MD": "Metropolitan district",
    "LBO": "London borough",
    "CC": "City corporation",
    "NMD": "Non-metropolitan district",
    "SCO": "Scottish unitary authority",
    "WPA": "Welsh unitary authority",
    "NID": "NI district",
    # Not in the shipped register (it holds principal councils only), but valid codes.
    "COMB": "Combined authority",
    "SRA": "Strategic Regional Authority",
}

#: English council types with adult social-care duties. Outside England every
#: Scottish (SCO) and Welsh (WPA) council has them; Northern Irish districts do not.
SOCIAL_CARE_TYPES_ENGLAND: frozenset[str] = frozenset({"CTY", "UA", "MD", "LBO", "CC"})

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WDTK_RE = re.compile(r"\d+")
_TRUE = {"true"}
_FALSE = {"false"}


@dataclass(frozen=True)
class AuthorityRecord:
    """One council, current or abolished, as in the register file."""

    code: str
    gss_code: str
    official_name: str
    short_name: str
    type_code: str
    type_name: str
    nation: str
    region: str
    social_care: bool
    start_date: date | None
    end_date: date | None
    replaced_by: tuple[str, ...]
    website: str
    alt_names: tuple[str, ...]
    wdtk_id: str

    @property
    def is_current(self) -> bool:
        return self.end_date is None

    def exists_on(self, day: date) -> bool:
        """True if the council existed on ``day``: start <= day < end.

        A blank start date means "existed before 2009" (see the data README). The
        source's end dates are sometimes the last day of existence (2015-03-31,
        2019-03-31, 2020-03-31) and sometimes the successor's first day (2021-04-01,
        2023-04-01). Use 1 April or any day away from a changeover: only 31 March
        2015, 2019 and 2020 are misclassified.
        """
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day < self.end_date


class RegisterError(tabular.TableError):
    """The register file has problems. ``problems`` lists (row, column, reason).

    Rows are numbered as in a spreadsheet: the header is row 1, the first data row 2.
    """


_LAYOUT = tabular.Layout(
    error=RegisterError,
    columns=COLUMNS,
    optional=None,
    no_header="no header row; the file is empty",
    twice="column appears more than once in the header",
    missing="missing column in the header",
    not_utf8="save the file as “CSV UTF-8”",
    file_column="(file)",
    file_row=True,
)


def default_register_path() -> Path:
    """The register shipped with fointracker."""
    return Path(__file__).resolve().parent / "data" / "authorities.csv"


def _split_codes(value: str) -> tuple[str, ...]:
    return tuple(code for code in re.split(r"[\s,]+", value) if code)


def _split_names(value: str) -> tuple[str, ...]:
    return tuple(name for name in (part.strip() for part in value.split("|")) if name)


def _read(source: str | os.PathLike | TextIO | None) -> bytes | str:
    if source is None:
        source = default_register_path()
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read()
    return source.read()


def read_register(source: str | os.PathLike | TextIO | None = None) -> list[AuthorityRecord]:
    """Read and validate a register file (default: the shipped one).

    Every row is checked. If anything is wrong, raises ``RegisterError`` listing all
    problems; otherwise returns all records in file order.
    """
    table = tabular.table(tabular.read_csv(_read(source), _LAYOUT), _LAYOUT)
    problems: list[Problem] = list(table.problems)
    records: list[AuthorityRecord] = []
    successors: list[tuple[int, tuple[str, ...]]] = []
    first_row_of: dict[str, int] = {}
    for row in table:  # blank lines are skipped
        if len(row.cells) != len(table.header):
            row.problem("(row)", f"has {len(row.cells)} fields, the header has {len(table.header)}")
        for column in REQUIRED_VALUES:
            if column in row and not row[column]:
                row.problem(column, "must not be blank")
        for column in COLUMNS:
            if control_character(row[column]):
                row.problem(column, CONTROL_CHARACTER_MESSAGE)

        code = row["code"]
        if code:
            if code in first_row_of:
                row.problem("code", f"duplicate code {code!r} (first at row {first_row_of[code]})")
            else:
                first_row_of[code] = row.number

        nation = row["nation"]
        if nation and nation not in NATIONS:
            row.problem("nation", f"unknown nation {nation!r} (expected one of: {', '.join(NATIONS)})")

        type_code = row["type_code"]
        if type_code and type_code not in TYPE_NAMES:
            row.problem("type_code", f"unknown type code {type_code!r} (expected one of: {', '.join(TYPE_NAMES)})")

        social_care = False
        raw = row["social_care"]
        if raw.casefold() in _TRUE:
            social_care = True
        elif raw.casefold() in _FALSE:
            social_care = False
        elif "social_care" in row:
            row.problem("social_care", f"not a boolean (true/false): {raw!r}")

        dates: dict[str, date | None] = {}
        for column in ("start_date", "end_date"):
            raw = row[column]
            dates[column] = None
            if not raw:
                continue
            try:
                if not _DATE_RE.fullmatch(raw):
                    raise ValueError
                dates[column] = date.fromisoformat(raw)
            except ValueError:
                row.problem(column, f"not a date (YYYY-MM-DD): {raw!r}")
        if dates["start_date"] and dates["end_date"] and dates["end_date"] <= dates["start_date"]:
            row.problem("end_date", f"{dates['end_date']} is not after start_date {dates['start_date']}")

        replaced_by = _split_codes(row["replaced_by"])
        if code and code in replaced_by:
            row.problem("replaced_by", f"{code!r} cannot replace itself")
        successors.append((row.number, tuple(c for c in replaced_by if c != code)))

        wdtk_id = row["wdtk_id"]
        if wdtk_id and not _WDTK_RE.fullmatch(wdtk_id):
            row.problem("wdtk_id", f"not a whole number: {wdtk_id!r}")

        problems.extend(row.problems)
        if row.problems:
            continue
        records.append(
            AuthorityRecord(
                code=code,
                gss_code=row["gss_code"],
                official_name=row["official_name"],
                short_name=row["short_name"] or row["official_name"],
                type_code=type_code,
                type_name=row["type_name"] or TYPE_NAMES.get(type_code, ""),
                nation=nation,
                region=row["region"],
                social_care=social_care,
                start_date=dates["start_date"],
                end_date=dates["end_date"],
                replaced_by=replaced_by,
                website=row["website"],
                alt_names=_split_names(row["alt_names"]),
                wdtk_id=wdtk_id,
            )
        )

    # Successor codes must be in the file (checked once all codes are known).
    for row_number, codes in successors:
        for successor in codes:
            if successor not in first_row_of:
                problems.append((row_number, "replaced_by", f"code {successor!r} is not in the register"))

    if problems:
        problems.sort(key=lambda p: p[0])  # stable: within a row, keeps column order
        raise RegisterError(problems)
    return records


# --- Name matching -------------------------------------------------------------

# Whole-phrase prefixes removed from the start of a name (after punctuation is gone).
_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("the",),
    ("council", "of", "the"),
    ("council", "of"),
    ("city", "and", "county", "of"),
    ("london", "borough", "of"),
    ("royal", "borough", "of"),
    ("metropolitan", "borough", "of"),
    ("borough", "of"),
    ("city", "of"),
    ("county", "of"),
)
# Suffixes such as "Bristol, City of" and "Herefordshire, County of".
_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("city", "of"),
    ("county", "of"),
    ("borough", "of"),
)
# Pairs removed wherever they occur ("Barnet London Borough Council").
_PAIRS: tuple[tuple[str, ...], ...] = (
    ("london", "borough"),
    ("royal", "borough"),
)
# Single words removed wherever they occur.
_WORDS = frozenset(
    {
        "council",
        "borough",
        "county",
        "city",
        "metropolitan",
        "district",
        "corporation",
        "ua",
    }
)
_EDGE_WORDS = frozenset({"and", "of", "the"})


def _tokens(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"['\u2019\u2018`]", "", text)  # King's Lynn -> kings lynn
    text = re.sub(r"[^\w]+|_", " ", text)
    return text.split()


def _strip_prefixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if len(tokens) > len(prefix) and tuple(tokens[: len(prefix)]) == prefix:
                tokens = tokens[len(prefix) :]
                changed = True
    return tokens


def normalise_name(name: str) -> str:
    """A lenient matching key for a council name.

    Case, accents, punctuation, '&' and spacing are ignored, and the generic words
    council, borough, county, city, metropolitan, district, corporation and "UA" are
    removed, with phrases such as "London Borough of", "Royal Borough of", "City of",
    "County of", "City and County of" and "Council of the". So "Kent County Council",
    "Kent" and "KENT" share the key "kent", and "Durham County Council", "County
    Durham" and "Durham" share "durham".

    Distinct councils whose names differ only in those words (e.g. "Dorset County
    Council", abolished 2019, and "Dorset Council") do share a key; ``build_name_index``
    keeps every candidate and ``match_name`` prefers an exact name first. Among
    current councils no two share the key of an official or short name (tested).
    A name made only of generic words keeps them rather than becoming empty.
    """
    tokens = _tokens(name)
    if not tokens:
        return ""
    original = list(tokens)
    tokens = _strip_prefixes(tokens)
    for suffix in _SUFFIXES:
        if len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == suffix:
            tokens = tokens[: -len(suffix)]
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        if any(tuple(tokens[i : i + len(pair)]) == pair for pair in _PAIRS):
            i += 2
            continue
        if tokens[i] not in _WORDS:
            kept.append(tokens[i])
        i += 1
    while kept and kept[0] in _EDGE_WORDS:
        kept.pop(0)
    while kept and kept[-1] in _EDGE_WORDS:
        kept.pop()
    return " ".join(kept or original)


def _exact_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _names(record: AuthorityRecord) -> list[str]:
    return [record.official_name, record.short_name, *record.alt_names]


def build_name_index(records: Iterable[AuthorityRecord]) -> dict[str, list[str]]:
    """Map ``normalise_name`` keys of every official, short and alternative name, and
    of each GSS code, to the codes of the councils that have them.

    Candidates are listed current councils first, then by code, so the list is
    stable. Look a name up with ``index.get(normalise_name(name), [])``.
    """
    ordered = sorted(records, key=lambda r: (not r.is_current, r.code))
    index: dict[str, list[str]] = {}
    for record in ordered:
        keys = [normalise_name(n) for n in _names(record)]
        if record.gss_code:
            keys.append(normalise_name(record.gss_code))
        for key in keys:
            if not key:
                continue
            codes = index.setdefault(key, [])
            if record.code not in codes:
                codes.append(record.code)
    return index


def match_name(
    name: str,
    records: Iterable[AuthorityRecord],
    on: date | None = None,
) -> list[AuthorityRecord]:
    """Councils that ``name`` could mean, best first.

    An exact match (ignoring case and spacing) on an official, short or alternative
    name or a GSS code wins; failing that, the lenient ``normalise_name`` key is used.
    With ``on``, only councils that existed on that day are kept, which resolves
    names such as "Somerset" or "North Yorkshire" (old county vs new council) for
    historical figures. Returns [] when nothing matches.
    """
    records = sorted(records, key=lambda r: (not r.is_current, r.code))
    if on is not None:
        records = [r for r in records if r.exists_on(on)]
    wanted = _exact_key(name)
    exact = [
        r
        for r in records
        if wanted in {_exact_key(n) for n in _names(r)} or (r.gss_code and wanted == r.gss_code.casefold())
    ]
    if exact:
        return exact
    key = normalise_name(name)
    if not key:
        return []
    by_code = {r.code: r for r in records}
    return [by_code[code] for code in build_name_index(records).get(key, []) if code in by_code]
