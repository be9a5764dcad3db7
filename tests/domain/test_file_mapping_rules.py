"""domain.file_mappings (#17): rules by cell and by label applied to councils' real files (written by
openpyxl, read back by file_tables), the label that names a cell, and why a figure was not found."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from fointracker.domain.file_mappings import (
    MAX_RULES,
    Found,
    MappingError,
    Missing,
    Rule,
    apply_rules,
    label_for,
    label_key,
    rules_from_json,
    rules_to_json,
)
from fointracker.file_tables import read_tables


def xlsx(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tables(sheets, hidden=()):
    return read_tables(xlsx(sheets, hidden), "reply.xlsx")


def label(text, direction="right", question="b1011"):
    return Rule(question, "label", label=text, direction=direction)


def test_a_label_matches_whatever_its_case_spacing_and_unit_text():
    file = tables({"Budget": [["Adult social care"], ["NET  Budget 2010 / 11 (£000s):", "1,234"]]})
    for text in ("net budget 2010/11", "Net Budget 2010/11 £m", "net budget 2010/11 (£000s)"):
        assert apply_rules(file, [label(text)]) == [Found("b1011", "Budget", "B2", "1,234", "sheet:Budget")]
    assert label_key("Net budget (£000s)") == label_key("net  BUDGET £ thousands") == "netbudget"
    assert label_key("Staff (FTE)") == "staff(fte)"  # not unit text: kept
    # A prefix is not enough unless what follows is unit text.
    [missing] = apply_rules(file, [label("net budget")])
    assert missing == Missing("b1011", "no cell labelled 'net budget'")


def test_right_of_a_merged_label_and_below_a_heading_on_another_sheet():
    file = tables(
        {
            "Summary": [["Figures"], ["", "Net budget 2010/11", "", "", "2.5"]],
            "Staff": [["Headcount", "Staff (FTE)"], ["", "40"]],
        }
    )
    found = apply_rules(file, [label("net budget 2010/11"), label("staff (fte)", "below", "staff")])
    assert found == [
        Found("b1011", "Summary", "E2", "2.5", "sheet:Summary"),
        Found("staff", "Staff", "B2", "40", "sheet:Staff"),
    ]


def test_cell_rules_and_the_reasons_a_figure_is_missing():
    file = tables({"Budget": [["Net budget 2010/11", ""], ["Staff", "65"]]})
    rules = [
        Rule("staff", "cell", sheet="Budget", cell="B2"),
        Rule("staff", "cell", sheet="budget", cell="B2"),  # a sheet's title: case ignored
        Rule("b1011", "cell", sheet="Budget", cell="B1"),
        Rule("b1011", "cell", sheet="Figures", cell="B1"),
        Rule("b1011", "cell", sheet="Budget", cell="Z99"),
        label("net budget 2010/11"),
        label("net budget 2011/12"),
    ]
    assert apply_rules(file, rules) == [
        Found("staff", "Budget", "B2", "65", "sheet:Budget"),
        Found("staff", "Budget", "B2", "65", "sheet:Budget"),
        Missing("b1011", "cell B1 of 'Budget' is empty"),
        Missing("b1011", "no sheet 'Figures'"),
        Missing("b1011", "no cell Z99 in 'Budget'"),
        Missing("b1011", "no figure right of or below 'net budget 2010/11'"),  # "Staff" below is a label
        Missing("b1011", "no cell labelled 'net budget 2011/12'"),
    ]


def test_a_label_naming_two_different_figures_is_ambiguous_and_the_same_twice_is_not():
    twice = tables({"Budget": [["Net budget", "1,234"]], "Summary": [["Net budget", "1,300"]]})
    [missing] = apply_rules(twice, [label("net budget")])
    assert isinstance(missing, Missing)
    assert missing.why == ("'net budget' labels 2 cells with different figures: Budget!B1 '1,234', Summary!B1 '1,300'")
    same = tables({"Budget": [["Net budget", "1,234"]], "Summary": [["Net budget", "1,234"]]})
    assert apply_rules(same, [label("net budget")])[0] == Found("b1011", "Budget", "B1", "1,234", "sheet:Budget")
    # A hidden working sheet's copy does not make the visible figure ambiguous.
    hidden = tables({"Workings": [["Net budget", "999"]], "Budget": [["Net budget", "1,234"]]}, hidden=("Workings",))
    assert apply_rules(hidden, [label("net budget")])[0].ref == "B1"
    assert apply_rules(hidden, [label("net budget")])[0].sheet == "Budget"


def test_the_label_that_names_a_cell():
    file = tables(
        {
            "Budget": [
                ["Adult social care (£000s)", "2010/11", "2011/12"],
                ["Net budget", "1,234", "1,100"],
                ["Savings", "(56)", "(60)"],
                ["Staff (FTE)", "65", ""],
            ]
        }
    )
    grid = file.grids[0]
    assert label_for(grid, "B2") == ("Net budget", "right")
    assert label_for(grid, "B4") == ("Staff (FTE)", "right")
    # Right of "Net budget" is B2, so C2 is named by its column's heading.
    assert label_for(grid, "C2") == ("2011/12", "below")
    # Neither "Savings" (B3 is right of it) nor "2011/12" (C2 is below it) names C3 alone.
    assert label_for(grid, "C3") is None
    assert label_for(grid, "Z9") is None


def test_stored_rules_are_checked_and_bounded():
    rules = [label("Net budget"), Rule("staff", "cell", sheet="Budget", cell="b5")]
    data = rules_to_json(rules[:1]) + [{"question": "staff", "by": "cell", "sheet": "Budget", "cell": "b5"}]
    assert rules_from_json(data) == [rules[0], Rule("staff", "cell", sheet="Budget", cell="B5")]
    for bad, reason in (
        ("nonsense", "a list"),
        ([{"question": "q", "by": "regex", "label": ".*"}], "by cell or by label"),
        ([{"question": "q", "by": "cell", "sheet": "S", "cell": "../etc"}], "not a cell reference"),
        ([{"question": "q", "by": "label", "label": "x" * 201, "direction": "right"}], "longer than 200"),
        ([{"question": "q", "by": "label", "label": "x", "direction": "left"}], "right or below"),
        ([{"question": "", "by": "label", "label": "x", "direction": "right"}], "the question is missing"),
        ([{"question": "q", "by": "label", "label": "x", "direction": "right"}] * (MAX_RULES + 1), "at most"),
        ([["q"]], "not a rule"),
    ):
        with pytest.raises(MappingError, match=reason):
            rules_from_json(bad)


def test_a_hostile_label_is_quoted_short():
    hostile = "<script>alert(1)</script>" + "x" * 150
    [missing] = apply_rules(tables({"Budget": [["Net budget", "1"]]}), [label(hostile)])
    assert missing.why.startswith("no cell labelled '<script>alert(1)</script>xxx") and missing.why.endswith("…'")
    assert len(missing.why) < 100


def test_a_label_finds_its_figure_below_when_a_council_lays_the_table_out_the_other_way():
    """The issue's label rule: "the number beside or below the cell whose text matches"."""
    file = tables({"Revenue": [["NET BUDGET  2010/11", ""], ["£2,345,678", ""]]})
    assert apply_rules(file, [label("net budget 2010/11")]) == [
        Found("b1011", "Revenue", "A2", "£2,345,678", "sheet:Revenue")
    ]
