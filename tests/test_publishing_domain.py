"""The pure rules of publishing (#18): slugs, licences, the citation, the options, and
small-number suppression of council values and of groups."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fointracker.domain.publishing import (
    LICENCES,
    MAX_SLUG,
    PublishOptions,
    check_options,
    citation,
    group_withheld,
    is_slug,
    make_slug,
    published_figures,
    suppress_count,
    suppression_statement,
    unique_slug,
)


def test_slugs_are_readable_ascii():
    assert make_slug("Adult social care budgets, 2010–2012") == "adult-social-care-budgets-2010-2012"
    assert make_slug("Café “Budgets” in Ynys Môn") == "cafe-budgets-in-ynys-mon"
    assert make_slug("!!!") == "report"
    assert make_slug("") == "report"
    assert len(make_slug("word " * 40)) <= MAX_SLUG


@given(st.text(max_size=300))
def test_any_title_makes_a_valid_slug(title):
    slug = make_slug(title)
    assert is_slug(slug), slug


@given(st.text(max_size=200), st.integers(0, 30))
def test_unique_slugs_avoid_every_taken_one(title, how_many):
    base = make_slug(title)
    taken = {base} | {f"{base[: MAX_SLUG - len(str(n)) - 1].rstrip('-')}-{n}" for n in range(2, how_many + 2)}
    slug = unique_slug(base, taken)
    assert slug not in taken and is_slug(slug)


def test_unique_slug_keeps_a_free_base_and_numbers_a_taken_one():
    assert unique_slug("budgets", set()) == "budgets"
    assert unique_slug("budgets", {"budgets"}) == "budgets-2"
    assert unique_slug("budgets", {"budgets", "budgets-2"}) == "budgets-3"


def test_is_slug_refuses_anything_else():
    for bad in ("", "Budgets", "a--b", "-a", "a-", "a/b", "a b", "é", "x" * (MAX_SLUG + 1), "../etc"):
        assert not is_slug(bad), bad


def test_the_four_licences_have_a_name_and_an_address():
    assert set(LICENCES) == {"cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "ogl-3.0"}
    assert PublishOptions().licence == "cc-by-4.0"
    for licence in LICENCES.values():
        assert licence.url.startswith("https://") and licence.name


def test_the_citation_names_publisher_title_year_version_address_and_licence():
    text = citation("Care budgets", "Unison", 2026, 3, "https://example.org/p/care-budgets/v/3", "ogl-3.0")
    assert text.startswith("Unison (2026). Care budgets, version 3")
    assert "https://example.org/p/care-budgets/v/3" in text and "Open Government Licence v3.0" in text
    assert "[date accessed]" in text
    assert citation("Care budgets", "", 2026, 1, "u", "cc0-1.0").startswith("(2026). Care budgets")


def test_options_are_checked():
    assert check_options(PublishOptions(questions=("A",)), ["A", "B"]) == []
    assert check_options(PublishOptions(threshold=1), []) != []
    assert check_options(PublishOptions(threshold=101), []) != []
    assert check_options(PublishOptions(licence="mine"), []) != []
    assert check_options(PublishOptions(sections=()), []) != []
    assert check_options(PublishOptions(sections=("secrets",)), []) != []
    assert check_options(PublishOptions(questions=("OTHER",)), ["A"]) != []
    assert check_options(PublishOptions(summary="x" * 5000), []) != []


def test_small_counts_are_suppressed_and_others_kept():
    assert suppress_count(Decimal(3), None, None, 5) == ("<5", None, None)
    assert suppress_count("4", None, None, 5) == ("<5", None, None)
    assert suppress_count(Decimal(5), None, None, 5) == (Decimal(5), None, None)
    assert suppress_count(Decimal(0), None, None, 5) == (Decimal(0), None, None)  # zero is not disclosive
    assert suppress_count(Decimal(7), None, None, 10) == ("<10", None, None)
    # A council's own range: wholly below the threshold, shown as the threshold's; else as given.
    assert suppress_count(None, Decimal(1), Decimal(3), 5) == ("<5", None, None)
    assert suppress_count(None, Decimal(0), Decimal(4), 5) == ("<5", None, None)
    assert suppress_count(None, Decimal(0), Decimal(9), 5) == (None, Decimal(0), Decimal(9))
    assert suppress_count(None, None, None, 5) == (None, None, None)


@given(st.integers(0, 10_000), st.integers(2, 100))
def test_no_published_count_is_small(value, threshold):
    shown, low, high = suppress_count(Decimal(value), None, None, threshold)
    if isinstance(shown, str):
        assert shown == f"<{threshold}" and 0 < value < threshold and low is None and high is None
    else:
        assert shown == 0 or shown >= threshold


def test_groups_below_the_threshold_are_withheld():
    assert group_withheld(4, 5) and group_withheld(0, 5) and not group_withheld(5, 5)
    assert "5" in suppression_statement(5) and "withheld" in suppression_statement(5)


def _figure(group, n, **values):
    base = {"group": group, "asked": 10, "answers": n, "n": n, "sum": 100, "mean": 10, "median": 9, "min": 2}
    return {
        **base,
        "max": 40,
        "estimates": 0,
        "suppressed": 0,
        "not_held": 0,
        "yes": 0,
        "no": 0,
        "choices": {},
        **values,
    }


def _report():
    count_q = {"code": "STAFF", "label": "Staff", "type": "count", "period": "", "pair_group": "", **_figure(None, 6)}
    del count_q["group"]
    count_q["by_region"] = [_figure("North", 5), _figure("South", 1, min=3, max=3, sum=3)]
    count_q["by_type"] = [_figure("County", 6)]
    hidden = {**count_q, "code": "HIDDEN", "label": "Not chosen"}
    pair_row = {"n": 6, "cut": 3, "before_total": 10, "after_total": 8, "total_change": -2}
    pair = {
        "before": "STAFF",
        "after": "STAFF",
        **pair_row,
        "distribution": [{"bin": "cut", "councils": 3}],
        "top_cuts": [
            {"rank": 1, "council": "Kent", "before": 40, "after": 3, "change": -37, "change_pct": -92.5},
            {"rank": 2, "council": "Hampshire", "before": 40, "after": 30, "change": -10, "change_pct": -25},
        ],
        "by_region": [{"group": "North", **pair_row}, {"group": "South", **pair_row, "n": 2}],
        "by_type": [],
    }
    group = {"asked": 6, "sent": 6, "answered": 5}
    return {
        "campaign": {"id": 42, "title": "Care"},
        "generated_on": "2026-04-01",
        "responses": {
            "group": "All councils",
            **group,
            "refused_by_exemption": [],
            "by_region": [{"group": "North", **group}, {"group": "South", **group, "asked": 1}],
            "by_type": [],
        },
        "questions": [count_q, hidden],
        "pairs": [pair],
        "methodology": {"asked": "2 questions (STAFF, HIDDEN).", "caveats": ["One."]},
    }


def test_published_figures_suppress_withhold_and_leave_out():
    out = published_figures(_report(), PublishOptions(questions=("STAFF",), threshold=5))
    assert out["campaign"] == {"title": "Care"}  # no internal id
    assert [q["code"] for q in out["questions"]] == ["STAFF"]
    staff = out["questions"][0]
    assert staff["min"] == "<5" and staff["max"] == 40  # a council's small count, as "<5"
    north, south = staff["by_region"]
    assert not north["withheld"] and north["min"] == "<5"
    assert south["withheld"] and south["sum"] is None and south["min"] is None and south["n"] == 1
    pair = out["pairs"][0]
    kent, hampshire = pair["top_cuts"]
    assert kent["after"] == "<5" and kent["change"] is None and kent["withheld"]
    assert hampshire["after"] == 30 and hampshire["change"] == -10
    assert pair["by_region"][1]["withheld"] and pair["by_region"][1]["before_total"] is None
    assert out["responses"]["by_region"][1]["withheld"] and out["responses"]["by_region"][1]["answered"] is None
    assert not out["responses"]["withheld"]
    assert "1 of the campaign's 2 questions" in out["methodology"]["asked"]
    assert "HIDDEN" not in str(out)
    assert out["methodology"]["caveats"][-1] == suppression_statement(5)


def test_a_pair_needs_both_questions_chosen():
    report = _report()
    report["pairs"][0]["after"] = "HIDDEN"
    assert published_figures(report, PublishOptions(questions=("STAFF",)))["pairs"] == []
