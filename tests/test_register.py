"""The shipped council register (fointracker/data/authorities.csv) and fointracker.register."""

from __future__ import annotations

import importlib.util
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from fointracker.register import (
    COLUMNS,
    NATIONS,
    TYPE_NAMES,
    AuthorityRecord,
    RegisterError,
    build_name_index,
    default_register_path,
    match_name,
    normalise_name,
    read_register,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_authority_register.py"
REGISTER_SOURCES = REPO_ROOT / "tests" / "fixtures" / "register_sources"  # a cut: tests/fixtures/README.md
ENGLISH_SOCIAL_CARE_TYPES = {"CTY", "UA", "MD", "LBO", "CC"}


@pytest.fixture(scope="module")
def records() -> list[AuthorityRecord]:
    return read_register()


@pytest.fixture(scope="module")
def by_code(records) -> dict[str, AuthorityRecord]:
    return {r.code: r for r in records}


@pytest.fixture(scope="module")
def current(records) -> list[AuthorityRecord]:
    return [r for r in records if r.is_current]


# --- the shipped file ----------------------------------------------------------


def test_shipped_file_reads_without_errors(records):
    assert default_register_path().name == "authorities.csv"
    assert default_register_path().is_file()
    assert len(records) == 455
    assert all(isinstance(r, AuthorityRecord) for r in records)


def test_shipped_file_format():
    raw = default_register_path().read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    raw.decode("utf-8")
    assert raw.split(b"\n", 1)[0].decode() == ",".join(COLUMNS)


def test_sorted_by_code_and_unique(records):
    codes = [r.code for r in records]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert len({r.official_name for r in records}) == len(records)


def test_current_counts_by_nation(current):
    assert len(current) == 382
    assert Counter(r.nation for r in current) == {
        "England": 317,
        "Scotland": 32,
        "Wales": 22,
        "Northern Ireland": 11,
    }


def test_current_counts_by_type(current):
    assert Counter(r.type_code for r in current) == {
        "CTY": 21,
        "UA": 63,
        "MD": 36,
        "LBO": 32,
        "CC": 1,
        "NMD": 164,
        "SCO": 32,
        "WPA": 22,
        "NID": 11,
    }
    assert not any(r.type_code in {"COMB", "SRA"} for r in current)


def test_social_care_counts(records, current):
    english = [r for r in current if r.nation == "England" and r.social_care]
    assert len(english) == 153
    assert Counter(r.type_code for r in english) == {"CTY": 21, "UA": 63, "MD": 36, "LBO": 32, "CC": 1}
    assert sum(1 for r in current if r.social_care) == 153 + 32 + 22
    for r in records:  # the rule, on every row
        expected = (r.nation == "England" and r.type_code in ENGLISH_SOCIAL_CARE_TYPES) or r.type_code in {"SCO", "WPA"}
        assert r.social_care is expected, r.code


@pytest.mark.parametrize(
    "year, expected",
    [
        (2011, 152),
        (2018, 152),
        (2019, 151),
        (2020, 151),
        (2021, 152),
        (2023, 153),
    ],
)
def test_english_social_care_councils_on_1_april(records, year, expected):
    on = date(year, 4, 1)
    assert sum(1 for r in records if r.nation == "England" and r.social_care and r.exists_on(on)) == expected


def test_abolished_counts(records):
    abolished = [r for r in records if not r.is_current]
    assert len(abolished) == 73
    assert Counter((r.nation, r.type_code) for r in abolished) == {
        ("England", "CTY"): 6,
        ("England", "UA"): 2,
        ("England", "NMD"): 40,
        ("Northern Ireland", "NID"): 25,
    }
    assert all(r.end_date is not None for r in abolished)


def test_successors(records, by_code):
    assert by_code["NTH"].replaced_by == ("NNT", "WNT")
    assert by_code["CMA"].replaced_by == ("CBD", "WAF")
    for r in records:
        for code in r.replaced_by:
            assert code in by_code, (r.code, code)
        if r.is_current:
            assert r.replaced_by == ()
        elif r.nation == "England":
            assert r.replaced_by, r.code  # every abolished English authority has a successor
        else:
            assert r.replaced_by == ()  # mySociety gives none for the pre-2015 NI districts


def test_specific_rows(by_code):
    ken = by_code["KEN"]
    assert (ken.official_name, ken.short_name, ken.type_code, ken.type_name) == (
        "Kent County Council",
        "Kent",
        "CTY",
        "County",
    )
    assert (ken.nation, ken.region, ken.social_care, ken.is_current) == ("England", "South East", True, True)
    assert ken.gss_code == "E10000016" and ken.wdtk_id == "228" and ken.website == "https://www.kent.gov.uk"

    assert by_code["IOS"].social_care and by_code["IOS"].type_code == "UA"
    assert by_code["LND"].social_care and by_code["LND"].type_code == "CC"
    assert by_code["LND"].start_date is None  # 2005-06-28 in mySociety: register date, not a legal start

    dor = by_code["DOR"]
    assert not dor.is_current and dor.end_date == date(2019, 3, 31) and dor.replaced_by == ("DST",)
    assert dor.region == "South West" and dor.social_care

    assert by_code["NTH"].end_date == date(2021, 4, 1)  # the other end-date convention, kept as given
    assert by_code["DUR"].start_date == date(2009, 4, 1)
    assert by_code["BKM"].region == "South East"  # blank in mySociety, filled from BUC
    assert by_code["NMD"].type_code == "NID"  # code NMD (Newry, Mourne and Down) is not type NMD
    assert by_code["NMD"].short_name == "Newry, Mourne and Down"  # trailing space trimmed
    assert by_code["NSM"].official_name == "North Somerset Council"  # double space collapsed


def test_websites(records, by_code):
    assert all(r.website for r in records if r.nation == "England" and r.is_current)
    assert not any(r.website for r in records if r.nation != "England")
    assert by_code["NNT"].website == "https://www.northnorthants.gov.uk/"  # matched on GSS code


def test_alt_names(records, by_code):
    for r in records:
        folded = [n.casefold() for n in r.alt_names]
        assert len(folded) == len(set(folded)), r.code
        assert r.official_name.casefold() not in folded and r.short_name.casefold() not in folded, r.code
        assert all("|" not in n and n == n.strip() for n in r.alt_names)
    assert "Durham" in by_code["DUR"].alt_names
    assert set(by_code["RCT"].alt_names) >= {"rhondda, cynon, taff", "rhondda,cynon,taff"}
    assert "cynon" not in by_code["RCT"].alt_names


def test_dates_and_values_are_sane(records):
    for r in records:
        assert r.nation in NATIONS and r.type_code in TYPE_NAMES and r.region
        assert r.start_date is None or r.start_date >= date(2009, 1, 1)
        assert r.wdtk_id == "" or r.wdtk_id.isdigit()


# --- read_register validation --------------------------------------------------

HEADER = ",".join(COLUMNS)


def _row(**values) -> str:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        code="AAA",
        official_name="Alpha Council",
        short_name="Alpha",
        type_code="UA",
        type_name="Unitary authority",
        nation="England",
        region="North East",
        social_care="true",
    )
    base.update(values)
    return ",".join(base[c] for c in COLUMNS)


def test_good_small_file_from_path_and_text_stream(tmp_path):
    text = (
        "\n".join(
            [
                HEADER,
                _row(code="OLD", official_name="Old Council", end_date="2020-03-31", replaced_by="NEW AAA"),
                _row(code="NEW", official_name="New Council", start_date="2020-04-01", alt_names="Newtown|new town"),
                _row(),
            ]
        )
        + "\n"
    )
    path = tmp_path / "register.csv"
    path.write_text(text, encoding="utf-8")
    for source in (path, str(path), io.StringIO(text)):
        records = read_register(source)
        assert [r.code for r in records] == ["OLD", "NEW", "AAA"]
    old = records[0]
    assert old.replaced_by == ("NEW", "AAA") and not old.is_current and old.end_date == date(2020, 3, 31)
    assert records[1].alt_names == ("Newtown", "new town")
    assert records[2].social_care is True and records[2].start_date is None


def test_bad_file_lists_every_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                _row(),  # row 2: fine
                _row(code="AAA", official_name="Another"),  # row 3: duplicate code
                _row(code="BBB", official_name="", nation="Narnia"),  # row 4: blank name, unknown nation
                _row(code="CCC", official_name="C", end_date="2020-13-01"),  # row 5: bad date
                _row(code="DDD", official_name="D", social_care="yes"),  # row 6: bad boolean
                _row(
                    code="EEE", official_name="E", end_date="2021-04-01", replaced_by="ZZZ"
                ),  # row 7: unknown successor
                _row(code="", official_name="F", type_code=""),  # row 8: blank code and type
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    with pytest.raises(RegisterError) as caught:
        read_register(path)
    problems = caught.value.problems
    located = {(row, column) for row, column, _ in problems}
    assert located == {
        (3, "code"),
        (4, "official_name"),
        (4, "nation"),
        (5, "end_date"),
        (6, "social_care"),
        (7, "replaced_by"),
        (8, "code"),
        (8, "type_code"),
    }
    assert [row for row, _, _ in problems] == sorted(row for row, _, _ in problems)
    message = str(caught.value)
    assert message.splitlines() == [f"row {row}, column {column}: {reason}" for row, column, reason in problems]
    assert "row 5, column end_date: not a date (YYYY-MM-DD): '2020-13-01'" in message.splitlines()
    assert "row 3, column code: duplicate code 'AAA' (first at row 2)" in message
    assert "row 7, column replaced_by: code 'ZZZ' is not in the register" in message
    assert "row 6, column social_care: not a boolean (true/false): 'yes'" in message
    assert isinstance(caught.value, ValueError)


def test_missing_header_columns_are_reported_with_row_problems():
    columns = [c for c in COLUMNS if c not in ("nation", "end_date")]
    values = {"code": "AAA", "official_name": "A", "type_code": "UA", "social_care": "maybe"}
    text = ",".join(columns) + "\n" + ",".join(values.get(c, "") for c in columns) + "\n"
    with pytest.raises(RegisterError) as caught:
        read_register(io.StringIO(text))
    assert caught.value.problems == [
        (1, "nation", "missing column in the header"),
        (1, "end_date", "missing column in the header"),
        (2, "social_care", "not a boolean (true/false): 'maybe'"),
    ]


def test_empty_file_and_wrong_field_count():
    with pytest.raises(RegisterError) as caught:
        read_register(io.StringIO(""))
    assert caught.value.problems[0][0] == 1
    with pytest.raises(RegisterError) as caught:
        read_register(io.StringIO(HEADER + "\n" + _row() + ",extra\n"))
    assert caught.value.problems == [(2, "(row)", f"has {len(COLUMNS) + 1} fields, the header has {len(COLUMNS)}")]


# --- names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, key",
    [
        ("Kent County Council", "kent"),
        ("KENT", "kent"),
        ("Durham County Council", "durham"),
        ("County Durham", "durham"),
        ("Bristol, City of", "bristol"),
        ("Bristol City Council", "bristol"),
        ("London Borough of Barnet", "barnet"),
        ("Royal Borough of Kensington & Chelsea", "kensington and chelsea"),
        ("St Albans City and District Council", "st albans"),
        ("King's Lynn and West Norfolk", "kings lynn and west norfolk"),
        ("Stoke-on-Trent City Council", "stoke on trent"),
        ("Ynys Môn", "ynys mon"),
        ("  Council  ", "council"),
        ("", ""),
    ],
)
def test_normalise_name(name, key):
    assert normalise_name(name) == key


def _keys(records, with_alt_names: bool) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for r in records:
        names = [r.official_name, r.short_name, *(r.alt_names if with_alt_names else ())]
        for name in names:
            keys.setdefault(normalise_name(name), set()).add(r.code)
    return {key: codes for key, codes in keys.items() if len(codes) > 1}


def test_normalised_names_of_current_councils_are_unique(current):
    assert _keys(current, with_alt_names=False) == {}
    assert _keys(current, with_alt_names=True) == {}


def test_normalised_name_collisions_are_only_old_county_and_successor(records):
    # Documented in fointracker/data/README.md; build_name_index keeps both candidates.
    assert _keys(records, with_alt_names=True) == {
        "buckinghamshire": {"BKM", "BUC"},
        "dorset": {"DOR", "DST"},
        "north yorkshire": {"NYK", "NYE"},
        "somerset": {"SOM", "SMT"},
    }


def test_name_index(records):
    index = build_name_index(records)

    def lookup(name):
        return index.get(normalise_name(name), [])

    assert lookup("Durham") == ["DUR"]
    assert lookup("County Durham") == ["DUR"]
    assert lookup("Kent County Council") == ["KEN"]
    assert lookup("kent") == ["KEN"]
    assert lookup("E10000016") == ["KEN"]  # GSS code
    assert lookup("City of Bristol") == ["BST"]
    assert lookup("Rhondda, Cynon, Taff") == ["RCT"]
    assert lookup("Dorset County Council") == ["DST", "DOR"]  # current first
    assert lookup("Nowhere at all") == []


def test_match_name_prefers_exact_names_and_filters_by_date(records):
    assert [r.code for r in match_name("Dorset County Council", records)] == ["DOR"]
    assert [r.code for r in match_name("dorset", records)] == ["DST"]
    assert [r.code for r in match_name("Somerset", records)] == ["SMT", "SOM"]
    assert [r.code for r in match_name("Somerset", records, on=date(2015, 4, 1))] == ["SOM"]
    assert [r.code for r in match_name("Somerset", records, on=date(2024, 4, 1))] == ["SMT"]
    assert [r.code for r in match_name("Durham", records)] == ["DUR"]
    assert [r.code for r in match_name("Hull City Council", records)] == ["KHL"]
    assert match_name("Atlantis District Council", records) == []


# --- the build script ----------------------------------------------------------


@pytest.fixture(scope="module")
def build_script():
    """scripts/build_authority_register.py as a module (standard library only), run in this process."""
    spec = importlib.util.spec_from_file_location("build_authority_register", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOURCE_FILES = ("uk_local_authorities_current.csv", "lookup_name_to_registry.csv", "digital-land_local-authority.csv")
FIXTURE_CODES = {
    "KEN",
    "DBY",
    "LND",
    "NSM",
    "BKM",
    "BUC",
    "DOR",
    "DST",
    "NTH",
    "NNT",
    "WNT",
    "TAU",
    "SWT",
    "SMT",
    "RCT",
    "EDH",
    "NMD",
    "NIR-A",
    "DUR",
}  # and GLA (SRA), GMCA (COMB): not principal councils


def test_build_script_on_a_cut_of_the_sources_gives_the_shipped_rows(build_script, tmp_path, capsys):
    """tests/fixtures/register_sources holds a few rows of each source file, copied unchanged
    (tests/fixtures/README.md): every row the script builds from them is the shipped row for
    that code, byte for byte, and a second run writes the same bytes."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    for out in (first, second):
        assert build_script.main([str(REGISTER_SOURCES), "--output", str(out), "--allow-other-sources"]) == 0
    assert first.read_bytes() == second.read_bytes()
    printed = capsys.readouterr()
    assert printed.out.splitlines()[0] == (
        f"wrote {first}: 19 rows: 13 current (England 10, Northern Ireland 1, Scotland 1, Wales 1), "
        "6 abolished; 10 current English social-care councils"
    )
    for name in SOURCE_FILES:  # not the documented versions: built anyway, with a warning for each
        assert f"warning: {REGISTER_SOURCES / name}: git blob " in printed.err

    raw = first.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")
    header, *lines = raw.decode("utf-8").splitlines()
    assert header == ",".join(COLUMNS)
    shipped = dict(line.split(",", 1) for line in default_register_path().read_text(encoding="utf-8").splitlines()[1:])
    built = dict(line.split(",", 1) for line in lines)
    assert list(built) == sorted(FIXTURE_CODES)  # sorted by code; the combined authority and the GLA left out
    for code, rest in built.items():
        assert rest == shipped[code], code

    by_code = {r.code: r for r in read_register(first)}  # and it is a valid register
    assert Counter(r.nation for r in by_code.values() if r.is_current) == {
        "England": 10,
        "Scotland": 1,
        "Wales": 1,
        "Northern Ireland": 1,
    }
    assert {c for c, r in by_code.items() if r.social_care} == {
        "KEN",
        "DBY",
        "LND",
        "NSM",
        "BKM",
        "BUC",
        "DOR",
        "DST",
        "NTH",
        "NNT",
        "WNT",
        "SMT",
        "DUR",
        "RCT",
        "EDH",
    }
    assert by_code["DBY"].region == "East Midlands"  # corrected
    assert by_code["BKM"].region == "South East"  # blank at the source, the successor's
    assert by_code["TAU"].region == "South West"  # through SWT
    assert by_code["LND"].start_date is None and by_code["DUR"].start_date == date(2009, 4, 1)
    assert by_code["NSM"].official_name == "North Somerset Council"
    assert by_code["NMD"].short_name == "Newry, Mourne and Down"
    assert by_code["NTH"].replaced_by == ("NNT", "WNT") and by_code["DOR"].replaced_by == ("DST",)
    assert by_code["KEN"].website == "https://www.kent.gov.uk" and by_code["KEN"].wdtk_id == "228"
    assert by_code["NNT"].website == "https://www.northnorthants.gov.uk/" and by_code["NNT"].wdtk_id == ""
    assert not by_code["EDH"].website and not by_code["RCT"].website
    assert set(by_code["RCT"].alt_names) >= {"rhondda, cynon, taff", "rhondda,cynon,taff"}


def test_build_script_refuses_sources_that_are_not_the_documented_versions(build_script, tmp_path, capsys):
    out = tmp_path / "register.csv"
    with pytest.raises(SystemExit) as exited:
        build_script.main([str(REGISTER_SOURCES), "--output", str(out)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "uk_local_authorities_current.csv: git blob" in err and "--allow-other-sources" in err
    assert not out.exists()
    with pytest.raises(SystemExit):
        build_script.main([str(tmp_path / "no-such-folder"), "--output", str(out)])
    assert "missing source file" in capsys.readouterr().err and not out.exists()


def test_register_module_is_pure():
    # fointracker/__init__ imports Flask itself; what matters is that register.py does not.
    source = (REPO_ROOT / "fointracker" / "register.py").read_text(encoding="utf-8")
    imports = [line for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))]
    assert imports
    assert not any("flask" in line.lower() or "sqlalchemy" in line.lower() for line in imports)
