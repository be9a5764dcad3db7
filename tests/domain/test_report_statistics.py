"""The report's statistics without a database: answers as plain tuples in, tables out.
(tests/test_report.py checks the same against plain Python through the database, on both
backends.)"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from fointracker.domain.report_statistics import (
    ALL_COUNCILS,
    CHANGE_BINS,
    COUNT_FIELDS,
    COUNTED_FIELDS,
    NO_VALUE_STATES,
    VALUE_STATES,
    change_bin,
    figures_by_question,
    largest_cut_first,
    largest_cuts,
    pair_figures,
    pair_rows,
    percent_change,
    question_figures,
    round_figure,
)

D = Decimal
ASKED = {("all", ALL_COUNCILS): 5, ("region", "North"): 3, ("region", "South"): 2, ("type", "County"): 5}
COUNCILS = {  # request id: (region, type, code, name)
    1: ("North", "County", "AAA", "Avon"),
    2: ("North", "County", "BBB", "Bury"),
    3: ("North", "County", "CCC", "Bury"),  # the same name as BBB: ties are broken by code
    4: ("South", "County", "DDD", "Dorset"),
    5: ("South", "County", "EEE", "Essex"),
}


def answer(
    question_id, request_id, state="provided", number=None, *, suppressed=False, boolean=None, text="", region=None
):
    """An answer as the database holds it, with its council's region and type."""
    council_region, type_name, _code, _name = COUNCILS[request_id]
    return dict(
        question_id=question_id,
        request_id=request_id,
        region=council_region if region is None else region,
        type_name=type_name,
        state=state,
        value_number=None if number is None else D(number),
        suppressed=suppressed,
        value_bool=boolean,
        value_text=text,
    )


def tables(answers, choice_questions=()):
    """What services.report_answers reads of these answers: the figures by question
    (figures_by_question), every other answer counted by the module docstring's rules
    (COUNTED_FIELDS, a row per answer: the domain sums them), and the councils (COUNCIL_FIELDS)."""
    counted, figures = [], []
    for a in answers:
        valued = a["state"] in VALUE_STATES
        is_figure = valued and a["value_number"] is not None
        if is_figure:
            figures.append((a["question_id"], str(a["value_number"]), a["request_id"], a["state"] == "estimate"))
            if a["value_bool"] is None and not a["value_text"]:
                continue  # nothing more to count
        range_only = a["value_number"] is None and a["suppressed"]
        counts = dict(
            answers=not is_figure,
            yes=valued and a["value_bool"] is True,
            no=valued and a["value_bool"] is False,
            n_text=valued and bool(a["value_text"]),
            estimates=a["state"] == "estimate" and not range_only and not is_figure,
            suppressed=valued and range_only,
            **{state: a["state"] == state for state in NO_VALUE_STATES},
        )
        choice = a["value_text"] if a["question_id"] in choice_questions and valued and a["value_text"] else None
        row = dict(question_id=a["question_id"], region=a["region"], type_name=a["type_name"], choice=choice)
        row |= {name: int(counts[name]) for name in COUNT_FIELDS}
        counted.append(tuple(row[name] for name in COUNTED_FIELDS))
    councils = {
        request_id: (code, name, region, type_name) for request_id, (region, type_name, code, name) in COUNCILS.items()
    }
    return counted, figures_by_question(figures), councils


def figures_of(answers, questions, choice_questions=()):
    counted, figures, councils = tables(answers, choice_questions)
    return question_figures(counted, figures, councils, questions, ASKED)


def _bin_by_definition(pct) -> int:
    matches = [
        i
        for i, (_label, low, high, low_in, high_in) in enumerate(CHANGE_BINS)
        if (low is None or (pct >= low if low_in else pct > low))
        and (high is None or (pct <= high if high_in else pct < high))
    ]
    assert len(matches) == 1, (pct, matches)
    return matches[0]


@given(st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False))
def test_change_bins_are_the_definitions(pct):
    assert change_bin(pct) == _bin_by_definition(pct)


def test_change_bins_at_their_edges():
    for edge in (-100, -50, -25, -10, 0, 10, 25, 50):
        for pct in (D(edge) - D("0.000001"), D(edge), D(edge) + D("0.000001")):
            assert change_bin(pct) == _bin_by_definition(pct), pct


def test_a_question_counted_by_state_and_group():
    answers = [
        answer(10, 1, number="100.5"),
        answer(10, 2, "estimate", "50"),
        answer(10, 3, number="20"),
        answer(10, 4, "provided", suppressed=True),  # "<5": not in n
        answer(10, 5, "not_held"),
        answer(99, 1, number="7"),  # another campaign's question: not counted
    ]
    figures = figures_of(answers, [(10, "money", ())])[10]
    o = figures.overall
    assert (o.asked, o.answers, o.n, o.estimates, o.suppressed, o.not_held, o.missing) == (5, 5, 3, 1, 1, 1, 0)
    assert (o.total, o.mean, o.minimum, o.median, o.maximum) == (
        D("170.50"),
        D("56.83"),
        D("20.00"),
        D("50.00"),
        D("100.50"),
    )
    assert (o.q1, o.q3) == (D("35.00"), D("75.25"))
    assert [(g.label, g.n, g.total) for g in figures.by_region] == [("North", 3, D("170.50")), ("South", 0, None)]
    assert [(g.label, g.asked, g.answers) for g in figures.by_type] == [("County", 5, 5)]


def test_yes_no_choices_and_groups_with_no_name():
    answers = [
        answer(1, 1, boolean=True),
        answer(1, 2, boolean=False),
        answer(1, 5, "refused", region=""),  # a council with no region recorded
        answer(2, 1, text="Mixed"),
        answer(2, 2, text="Other"),
        answer(2, 5, text="Mixed", region=""),
    ]
    questions = [(1, "yes_no", ()), (2, "choice", ("In house", "Mixed"))]
    found = figures_of(answers, questions, choice_questions={2})
    yes_no = found[1].overall
    assert (yes_no.n, yes_no.yes, yes_no.no, yes_no.refused, yes_no.yes_pct) == (2, 1, 1, 1, 50.0)
    assert [g.label for g in found[1].by_region] == ["(none)", "North", "South"]
    assert found[2].overall.choices == {"In house": 0, "Mixed": 2, "Other": 1}  # offered first, then the rest
    assert found[2].overall.n == 3


def test_a_figure_given_to_a_question_that_asks_for_none_is_an_answer_still():
    answers = [
        answer(1, 1, "estimate", "5", boolean=True),  # a yes/no question, and a number besides
        answer(1, 2, boolean=False),
    ]
    o = figures_of(answers, [(1, "yes_no", ())])[1].overall
    assert (o.answers, o.yes, o.no, o.n, o.estimates, o.total) == (2, 1, 1, 2, 1, None)


def test_a_pair_its_changes_and_largest_cuts():
    answers = [
        answer(1, 1, number="100"),
        answer(2, 1, number="90"),  # -10%
        answer(1, 2, "estimate", "50"),
        answer(2, 2, number="40"),  # -20%, an estimate
        answer(1, 3, number="60"),
        answer(2, 3, number="50"),  # -10 like Avon and Bury (BBB): named Bury too, a later code
        answer(1, 4, number="0"),
        answer(2, 4, number="5"),  # up from nothing: no percentage
        answer(1, 5, number="10"),  # no "after": not compared
    ]
    _counted, by_question, councils = tables(answers)
    figures = pair_figures(pair_rows(by_question, 1, 2, councils), "money", councils)
    o = figures.overall
    assert (o.n, o.cut, o.increased, o.unchanged, o.estimates, o.with_pct) == (4, 3, 1, 0, 1, 3)
    assert (o.before_total, o.after_total, o.total_change) == (D("210.00"), D("185.00"), D("-25.00"))
    assert o.total_change_pct == round_figure(percent_change(D(210), D(185)), "decimal")
    assert o.median_pct_change == D("-16.666667")  # of -10%, -16.67% and -20%
    assert dict(o.bins)["Cut by 10% to 25%"] == 3
    # All cut by 10: by name (Avon, Bury, Bury), then code.
    assert [(c.rank, c.code, c.change) for c in figures.top_cuts] == [
        (1, "AAA", D("-10.00")),
        (2, "BBB", D("-10.00")),
        (3, "CCC", D("-10.00")),
    ]
    assert [c.estimate for c in figures.top_cuts] == [False, True, False]
    assert [(g.label, g.n) for g in figures.by_region] == [("North", 3), ("South", 1)]


def test_a_pair_nobody_answered_has_empty_bins():
    figures = pair_figures([], "count", {})
    assert figures.overall.n == 0 and figures.overall.median_pct_change is None
    assert [count for _label, count in figures.overall.bins] == [0] * len(CHANGE_BINS)
    assert figures.by_region == [] and figures.top_cuts == []


@given(st.lists(st.integers(0, 40), min_size=1, max_size=30))
def test_quartiles_are_the_inclusive_method(values):
    """What statistics.quantiles(method="inclusive") gives, exactly (counts: no rounding needed)."""
    import statistics

    answers = [answer(1, 1 + i % 5, number=str(v)) for i, v in enumerate(values)]
    o = figures_of(answers, [(1, "count", ())])[1].overall
    expected = (
        [Fraction(values[0])] * 3
        if len(values) == 1
        else statistics.quantiles([Fraction(v) for v in values], n=4, method="inclusive")
    )
    assert [o.q1, o.median, o.q3] == [round_figure(D(f.numerator) / D(f.denominator), "count") for f in expected]


def test_largest_cuts_break_ties_at_the_tenth_by_name():
    """Twelve councils cut; the tenth and eleventh largest cuts are equal, so the name decides."""
    cuts = [10, 20, 30, 40, 50, 60, 70, 80, 90, 5, 5, 1]  # two cuts of 5 compete for tenth place
    rows = [
        (D(100), D(100 - cut), False, D(-cut), "North", "County", request_id, D(-cut))
        for request_id, cut in enumerate(cuts, 1)
    ]
    names = {request_id: (f"C{request_id:02d}", name) for request_id, name in enumerate("LKJIHGFEDBAZ", 1)}
    ranked = largest_cuts(rows, names)
    assert [names[row[6]][1] for row in ranked] == list("DEFGHIJKLA")  # the 5s: A (11) before B (10)
    assert ranked == sorted(rows, key=largest_cut_first(names))[:10]
