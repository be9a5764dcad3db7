"""The dashboard's and the statistics page's numbers, checked against plain Python.

Requests are built through the real services (create_request, add_event), so the stored
columns the SQL reads are the ones the app writes; every SQL count is then recomputed
from the ORM objects in Python, and the deadline buckets also from the domain's own
`deadline_state`, so the SQL boundaries cannot drift from the rest of the app.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, join, select

from fointracker.domain.deadlines import DeadlineState, calendar_name_for, get_calendar
from fointracker.domain.event_details import EXEMPTIONS
from fointracker.domain.lifecycle import OPEN_STATUSES
from fointracker.domain.report_statistics import percentage
from fointracker.models import AuditEntry, Authority, Campaign, FoiRequest, User
from fointracker.services.deadlines import Calendars, request_state
from fointracker.services.foi_requests import create_request
from fointracker.services.sql_stats import median_select
from fointracker.services.stats import (
    PROGRESS_COLUMNS,
    TODO_BUCKETS,
    TODO_FILTERS,
    Scope,
    campaign_progress,
    campaign_statistics,
    default_scope,
    end_of_week,
    everything_dashboard,
    todo_condition,
    todo_counts,
    todo_table,
    todo_where,
)
from fointracker.services.timeline import add_event

TODAY = date(2026, 11, 23)  # a Monday
SOON = 5
# Councils in different regions and of different types; GLG and ABD are Scottish (FOISA calendar).
CODES = ("KEN", "ESX", "BDG", "LND", "BIR", "BNS", "CAM", "BAS", "GLG", "ABD", "AGY", "ABC")
OPEN = {s.value for s in OPEN_STATUSES}


# ---------------------------------------------------------------- building requests


@pytest.fixture
def world(session, users):
    """Two campaigns (the coordinator coordinates A only) and the councils by code."""
    a = Campaign(title="A: care budgets", default_regime="foia", created_by_id=users["admin"])
    b = Campaign(title="B: libraries", default_regime="foia", created_by_id=users["admin"])
    a.coordinators.append(session.get(User, users["coordinator"]))
    session.add_all([a, b])
    session.commit()
    councils = dict(session.execute(select(Authority.code, Authority.id).where(Authority.code.in_(CODES))).all())
    return {"campaigns": (a.id, b.id), "councils": councils, "users": users}


def new_request(session, campaign_id, authority_id, sent, owner_id=None):
    authority = session.get(Authority, authority_id)
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority_id,
            "regime": "foisa" if authority.nation == "Scotland" else "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": sent,
            "received_on": None,
            "council_reference": "",
            "owner_id": owner_id,
        },
        None,
    )
    session.commit()
    return foi_request


def event(session, req, kind, on, **details):
    add_event(session, req, kind=kind, occurred_on=on, details=details, user_id=None, today=TODAY)


def play(session, req, story: str, outcome: str, exemptions: list[str], gap: int, figures: bool):
    """Put a sent request through one of a few typical timelines; events `gap` days apart."""
    sent = req.sent_on
    day = lambda n: min(sent + timedelta(days=gap * n), TODAY)  # noqa: E731
    if exemptions and outcome in ("successful", "not_held"):
        exemptions = []
    if story == "clarification":
        event(session, req, "clarification_requested", day(1))
    elif story == "clarified":
        event(session, req, "clarification_requested", day(1))
        event(session, req, "clarification_sent", day(2))
    elif story == "fee":
        event(session, req, "fee_notice", day(1))
    elif story == "withdrawn":
        event(session, req, "withdrawn", day(1))
    elif story in ("response", "review", "reviewed", "complaint"):
        event(session, req, "response_received", day(1), outcome=outcome, exemptions=exemptions)
        if story in ("review", "reviewed"):
            event(session, req, "review_requested", day(2))
        if story == "reviewed":
            new = "partially_successful" if outcome == "refused" else outcome
            event(
                session,
                req,
                "review_outcome",
                day(3),
                outcome=new,
                exemptions=[e for e in exemptions if e != "s12"] if new != "successful" else [],
            )
        if story == "complaint":
            event(session, req, "complaint_lodged", day(2), regulator="ICO")
        if figures:
            req.figures_entered = True
            session.commit()


STORIES = ("none", "clarification", "clarified", "fee", "withdrawn", "response", "review", "reviewed", "complaint")
OUTCOMES = ("successful", "partially_successful", "not_held", "refused", "ncnd")
request_specs = st.lists(
    st.fixed_dictionaries(
        {
            "campaign": st.integers(0, 1),
            "council": st.sampled_from(CODES),
            "sent_days_ago": st.integers(0, 150).map(lambda n: None if n > 130 else n),  # about one draft in eight
            "owner": st.sampled_from((None, "staff", "coordinator")),
            "story": st.sampled_from(STORIES),
            "outcome": st.sampled_from(OUTCOMES),
            "exemptions": st.lists(st.sampled_from(("s12", "s40", "s43", "eir_12_5_e")), max_size=2, unique=True),
            "gap": st.integers(1, 30),
            "figures": st.booleans(),
        }
    ),
    min_size=6,
    max_size=24,
)


def build(session, world, specs) -> list[FoiRequest]:
    session.execute(delete(FoiRequest))  # events go with them (ON DELETE CASCADE)
    session.execute(delete(AuditEntry))
    session.commit()
    session.expunge_all()
    made = []
    for spec in specs:
        sent = TODAY - timedelta(days=spec["sent_days_ago"]) if spec["sent_days_ago"] is not None else None
        owner = world["users"][spec["owner"]] if spec["owner"] else None
        campaign_id = world["campaigns"][spec["campaign"]]
        req = new_request(session, campaign_id, world["councils"][spec["council"]], sent, owner)
        if sent is not None and spec["story"] != "none":
            play(session, req, spec["story"], spec["outcome"], spec["exemptions"], spec["gap"], spec["figures"])
        made.append(req)
    return made


# ---------------------------------------------------------------- the reference computations


def python_bucket(req: FoiRequest, name: str, today: date) -> bool:
    sunday = end_of_week(today)
    if name == "very_overdue":
        return req.very_overdue_on is not None and req.very_overdue_on < today
    if name == "overdue":
        return req.response_due_on is not None and req.response_due_on < today
    if name == "due_next_working_days":  # services.chasing: today and the next 5 working days
        calendar = get_calendar(calendar_name_for(req.regime))
        due = req.response_due_on
        return due is not None and today <= due <= calendar.add_working_days(today, 5)
    if name == "overdue_not_chased":  # past the deferred date, not chased on the last 5 working days
        calendar = get_calendar(calendar_name_for(req.regime))
        due = req.response_due_on
        chased = req.last_chased_on
        return (
            due is not None
            and (req.deferred_due_on or due) < today
            and (chased is None or calendar.working_days_between(chased, today) >= 5)
        )
    if name == "clarification_owed":
        return req.status == "clarification_requested"
    if name == "figures_missing":
        return (
            req.status in ("responded", "closed", "internal_review", "complaint")
            and req.outcome in ("successful", "partially_successful")
            and not req.figures_entered
        )
    if name == "review_due":
        return req.status == "internal_review" and req.review_due_on <= sunday
    if name == "outstanding":
        return req.status in OPEN
    raise AssertionError(name)


def python_progress(reqs) -> dict:
    return {
        "requests": len(reqs),
        "sent": sum(r.sent_on is not None for r in reqs),
        "answered": sum(r.responded_on is not None for r in reqs),
        "on_time": sum(r.responded_on_time is True for r in reqs),
        "late": sum(r.responded_on_time is False for r in reqs),
        "refused": sum(r.outcome == "refused" for r in reqs),
        "not_held": sum(r.outcome == "not_held" for r in reqs),
        "outstanding": sum(r.status in OPEN for r in reqs),
        "withdrawn": sum(r.status == "withdrawn" for r in reqs),
    }


def python_group(reqs) -> dict:
    kinds = lambda r: {e.kind for e in r.events}  # noqa: E731
    days = [r.response_working_days for r in reqs if r.response_working_days is not None]
    values = python_progress(reqs)
    del values["requests"]
    values.update(
        {
            "councils": len({r.authority_id for r in reqs if r.sent_on}),
            "within_20": sum(r.response_working_days is not None and r.response_working_days <= 20 for r in reqs),
            "ncnd": sum(r.outcome == "ncnd" for r in reqs),
            "successful": sum(r.outcome == "successful" for r in reqs),
            "partially_successful": sum(r.outcome == "partially_successful" for r in reqs),
            "reviews_requested": sum("review_requested" in kinds(r) for r in reqs),
            "reviews_decided": sum("review_outcome" in kinds(r) for r in reqs),
            "reviews_under_way": sum(r.status == "internal_review" for r in reqs),
            "median_working_days": statistics.median(days) if days else None,
        }
    )
    return values


def as_dict(group) -> dict:
    return {k: getattr(group, k) for k in python_group([])}


def check_everything(session, world, reqs, today=TODAY):
    calendars = Calendars.from_db(session)
    campaign_a, campaign_b = world["campaigns"]
    for r in reqs:
        session.refresh(r)

    # The to-do buckets, everything and "mine", against Python and against the domain's deadline state.
    everything = todo_table(session, today, calendars, SOON)
    assert everything.mine is None
    for name in TODO_BUCKETS:
        assert everything.total[name] == sum(python_bucket(r, name, today) for r in reqs), name
        for campaign_id in (campaign_a, campaign_b):
            expected = sum(python_bucket(r, name, today) for r in reqs if r.campaign_id == campaign_id)
            assert everything.by_campaign.get(campaign_id, {}).get(name, 0) == expected
    states = Counter(request_state(r, today, calendars, SOON) for r in reqs)
    assert everything.total["very_overdue"] == states[DeadlineState.VERY_OVERDUE]
    assert everything.total["overdue"] == states[DeadlineState.VERY_OVERDUE] + states[DeadlineState.OVERDUE]

    coordinator = world["users"]["coordinator"]
    mine = todo_table(session, today, calendars, SOON, Scope.mine(session, coordinator))
    in_scope = [r for r in reqs if r.owner_id == coordinator or r.campaign_id == campaign_a]
    for name in TODO_BUCKETS:
        assert mine.total[name] == sum(python_bucket(r, name, today) for r in in_scope), name
        assert mine.mine[name] == sum(python_bucket(r, name, today) for r in reqs if r.owner_id == coordinator)
        assert mine.by_campaign.get(campaign_a, {}).get(name, 0) == sum(
            python_bucket(r, name, today) for r in reqs if r.campaign_id == campaign_a
        )
    staff = world["users"]["staff"]
    assert todo_counts(session, today, calendars, SOON, Scope.mine(session, staff)) == {
        name: sum(python_bucket(r, name, today) for r in reqs if r.owner_id == staff) for name in TODO_BUCKETS
    }

    # Each condition selects exactly the requests Python picks (what the list's ?todo= will show).
    for name in TODO_FILTERS:
        ids = set(session.scalars(select(FoiRequest.id).where(todo_condition(name, today, calendars, SOON))))
        assert ids == {r.id for r in reqs if python_bucket(r, name, today)}, name

    # Progress per campaign.
    rows = {row.id: row._asdict() for row in campaign_progress(session)}
    for campaign_id in (campaign_a, campaign_b):
        expected = python_progress([r for r in reqs if r.campaign_id == campaign_id])
        assert {k: rows[campaign_id][k] for k in expected} == expected
    assert [row.id for row in campaign_progress(session, [campaign_b])] == [campaign_b]
    assert campaign_progress(session, []) == []
    check_one_pass_dashboard(session, today, calendars)

    # Statistics, overall and by region and by council type.
    for campaign_id in (campaign_a, campaign_b):
        in_campaign = [r for r in reqs if r.campaign_id == campaign_id]
        stats = campaign_statistics(session, campaign_id)
        assert as_dict(stats.overall) == python_group(in_campaign)
        for attribute, stats_groups in (("region", stats.by_region), ("type_name", stats.by_type)):
            by = defaultdict(list)
            for r in in_campaign:
                by[getattr(r.authority, attribute)].append(r)
            expected = {k: python_group(v) for k, v in sorted(by.items()) if python_group(v)["sent"]}
            assert [g.label for g in stats_groups] == list(expected)
            assert [as_dict(g) for g in stats_groups] == list(expected.values())
        # Exemptions: requests citing each, from the response and review events.
        citing = defaultdict(set)
        last_review = {}
        for r in in_campaign:
            outcome_before = None
            for e in r.events:
                for code in (e.details or {}).get("exemptions", []):
                    citing[code].add(r.id)
                if e.kind == "review_outcome":
                    last_review[r.id] = (outcome_before, e.details.get("outcome"))
                if e.kind in ("response_received", "review_outcome") and e.details.get("outcome"):
                    outcome_before = e.details["outcome"]
        assert {e.code: e.requests for e in stats.exemptions} == {c: len(ids) for c, ids in citing.items()}
        assert all(e.label == EXEMPTIONS[e.code] for e in stats.exemptions)
        counts = [e.requests for e in stats.exemptions]
        assert counts == sorted(counts, reverse=True)
        changed = sum(1 for before, after in last_review.values() if after and after != before)
        assert (stats.reviews_upheld, stats.reviews_changed) == (len(last_review) - changed, changed)
        assert stats.reviews_upheld + stats.reviews_changed == stats.overall.reviews_decided


def check_one_pass_dashboard(session, today, calendars):
    """The dashboard's one statement for "everything" counts what todo_table and campaign_progress count."""
    todo, rows = everything_dashboard(session, today, calendars, SOON)
    expected = todo_table(session, today, calendars, SOON)
    assert (todo.total, todo.mine, todo.by_campaign) == (expected.total, None, expected.by_campaign)
    columns = ("id", "title", "requests", *PROGRESS_COLUMNS)
    assert [tuple(getattr(row, c) for c in columns) for row in rows] == [
        tuple(getattr(row, c) for c in columns) for row in campaign_progress(session)
    ]


# ---------------------------------------------------------------- the tests


@pytest.mark.slow
def test_counts_match_python_on_random_campaigns(session, world):
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(specs=request_specs, today_shift=st.sampled_from((0, -1, 3, 6, 13, -20)))
    def check(specs, today_shift):
        reqs = build(session, world, specs)
        check_everything(session, world, reqs, today=TODAY + timedelta(days=today_shift))

    check()


@pytest.mark.slow
def test_counts_match_python_on_a_larger_seeded_campaign(session, world):
    rng = random.Random(2026)
    specs = [
        {
            "campaign": rng.randint(0, 1),
            "council": rng.choice(CODES),
            "sent_days_ago": None if rng.random() < 0.1 else rng.randint(0, 130),
            "owner": rng.choice((None, "staff", "coordinator")),
            "story": rng.choice(STORIES),
            "outcome": rng.choice(OUTCOMES),
            "exemptions": rng.sample(["s12", "s40", "s43", "eir_12_5_e"], 2),
            "gap": rng.randint(1, 30),
            "figures": rng.random() < 0.5,
        }
        for _ in range(80)
    ]
    reqs = build(session, world, specs)
    statuses = Counter(r.status for r in reqs)
    assert len(statuses) >= 8  # the data really covers the workflow
    seen = Counter()
    for shift in (0, 6, -30):
        today = TODAY + timedelta(days=shift)
        check_everything(session, world, reqs, today=today)
        seen.update(todo_counts(session, today, Calendars.from_db(session), SOON))
    assert all(seen[name] for name in TODO_BUCKETS), seen  # every bucket was exercised


def test_a_small_campaign_by_hand(session, world):
    """Numbers worked out on paper, so the checks above are not just SQL agreeing with itself."""
    a, _ = world["campaigns"]
    c, staff = world["councils"], world["users"]["staff"]
    on_time = new_request(session, a, c["KEN"], date(2026, 9, 1), staff)  # Tue 1 Sep: due Tue 29 Sep
    event(session, on_time, "response_received", date(2026, 9, 15), outcome="successful")  # 10 working days
    late = new_request(session, a, c["ESX"], date(2026, 9, 1))
    event(session, late, "response_received", date(2026, 10, 13), outcome="refused", exemptions=["s12", "s40"])
    event(session, late, "review_requested", date(2026, 10, 14))  # 30 working days, late
    partial = new_request(session, a, c["BDG"], date(2026, 9, 1))
    event(
        session, partial, "response_received", date(2026, 9, 3), outcome="partially_successful", exemptions=["s40"]
    )  # 2 working days
    overdue = new_request(session, a, c["BIR"], date(2026, 10, 1), staff)  # due Thu 29 Oct
    new_request(session, a, c["GLG"], date(2026, 8, 3))  # FOISA; very overdue by November
    this_week = new_request(session, a, c["CAM"], date(2026, 10, 27))  # due Tue 24 Nov
    new_request(session, a, c["LND"], None)  # a draft counts for nothing but "requests"

    calendars = Calendars.from_db(session)
    assert this_week.response_due_on == date(2026, 11, 24) and overdue.response_due_on == date(2026, 10, 29)
    assert late.status == "internal_review" and late.review_due_on == date(2026, 11, 11)
    assert todo_counts(session, TODAY, calendars, SOON) == {
        "very_overdue": 1,  # Glasgow
        "overdue": 2,  # Glasgow and Birmingham
        "due_next_working_days": 1,  # Cambridgeshire, due tomorrow
        "overdue_not_chased": 2,  # Glasgow and Birmingham, never chased
        "clarification_owed": 0,
        "figures_missing": 2,  # the successful and the partially successful answers (not the refusal)
        "review_due": 1,  # East Sussex's review, overdue since 11 Nov, still counts
    }
    assert todo_counts(session, date(2026, 11, 2), calendars, SOON)["review_due"] == 0  # not due that week
    assert todo_counts(session, date(2026, 11, 9), calendars, SOON)["review_due"] == 1  # due by that Sunday
    assert todo_counts(session, TODAY, calendars, SOON, Scope.mine(session, staff)) == {
        "very_overdue": 0,
        "overdue": 1,
        "due_next_working_days": 0,
        "overdue_not_chased": 1,
        "clarification_owed": 0,
        "figures_missing": 1,
        "review_due": 0,
    }

    [row] = campaign_progress(session, [a])
    assert (
        row.requests,
        row.sent,
        row.answered,
        row.on_time,
        row.late,
        row.refused,
        row.not_held,
        row.outstanding,
        row.withdrawn,
    ) == (7, 6, 3, 2, 1, 1, 0, 3, 0)

    stats = campaign_statistics(session, a)
    o = stats.overall
    assert (o.councils, o.sent, o.answered, o.on_time, o.late, o.within_20, o.outstanding) == (6, 6, 3, 2, 1, 2, 3)
    assert o.median_working_days == 10.0 and o.response_rate == 50.0 and o.pct("late", "answered") == 100 / 3
    assert (o.reviews_requested, o.reviews_under_way, o.reviews_decided) == (1, 1, 0)
    assert [(e.code, e.requests) for e in stats.exemptions] == [("s40", 2), ("s12", 1)]
    assert stats.refusals_citing_exemptions == 2
    assert [(g.label, g.sent, g.answered, g.median_working_days) for g in stats.by_region] == [
        ("East of England", 1, 0, None),
        ("London", 1, 1, 2.0),
        ("Scotland", 1, 0, None),
        ("South East", 2, 2, 20.0),
        ("West Midlands", 1, 0, None),
    ]  # South East: median of 10 and 30
    assert [(g.label, g.sent) for g in stats.by_type] == [
        ("County", 3),
        ("London borough", 1),
        ("Metropolitan district", 1),
        ("Scottish unitary authority", 1),
    ]


def test_statistics_of_an_empty_campaign(session, world):
    a, b = world["campaigns"]
    new_request(session, b, world["councils"]["KEN"], None)  # a draft: nothing sent
    for campaign_id in (a, b):
        stats = campaign_statistics(session, campaign_id)
        assert stats.nothing_sent and stats.overall.sent == 0 and stats.overall.response_rate is None
        assert stats.overall.median_working_days is None
        assert stats.by_region == [] and stats.by_type == [] and stats.exemptions == []
    assert todo_counts(session, TODAY, Calendars.from_db(session), SOON) == dict.fromkeys(TODO_BUCKETS, 0)
    todo, rows = everything_dashboard(session, TODAY, Calendars.from_db(session), SOON)
    assert todo.by_campaign == {b: dict.fromkeys(TODO_BUCKETS, 0)}  # a has no request, so no to-do row
    assert {row.id: (row.requests, row.sent) for row in rows} == {a: (0, 0), b: (1, 0)}
    check_one_pass_dashboard(session, TODAY, Calendars.from_db(session))


def test_todo_names_and_scopes(session, world):
    calendars = Calendars.from_db(session)
    assert todo_where(None, TODAY, calendars, SOON) == [] and todo_where("nonsense", TODAY, calendars, SOON) == []
    assert len(todo_where("review_due", TODAY, calendars, SOON)) == 1
    with pytest.raises(ValueError):
        todo_condition("nonsense", TODAY, calendars, SOON)
    assert end_of_week(date(2026, 11, 23)) == end_of_week(date(2026, 11, 29)) == date(2026, 11, 29)
    assert default_scope("staff") == default_scope("coordinator") == "mine"
    assert default_scope("admin") == default_scope("author") == "all"
    coordinator = Scope.mine(session, world["users"]["coordinator"])
    assert coordinator.campaign_ids == (world["campaigns"][0],) and not coordinator.is_everything
    assert Scope.mine(session, world["users"]["staff"]).campaign_ids == ()
    assert Scope.everything().is_everything


def test_percentage():
    assert percentage(1, 3) == pytest.approx(33.333, abs=1e-3)
    assert percentage(0, 0) is None and percentage(5, None) is None and percentage(None, 4) == 0.0


# ---------------------------------------------------------------- the median


def grouped_median(session, value, groups=(), where=(), from_=None) -> dict[tuple, float]:
    """{group values: median} read from `median_select` (what the report joins against)."""
    width = len(groups)
    return {
        tuple(row[:width]): float(row.median)
        for row in session.execute(median_select(value, groups, where, from_))
        if row.median is not None
    }


def _insert_values(session, world, groups: dict[str, list[int | None]]):
    """One request per value, the group being the council's code."""
    session.execute(delete(FoiRequest))
    campaign_id = world["campaigns"][0]
    rows = [
        {
            "campaign_id": campaign_id,
            "authority_id": world["councils"][code],
            "regime": "foia",
            "subject": "m",
            "body": "",
            "council_reference": "",
            "status": "responded",
            "clock_paused": False,
            "figures_entered": False,
            "response_working_days": value,
        }
        for code, values in groups.items()
        for value in values
    ]
    if rows:
        session.execute(insert(FoiRequest), rows)
    session.commit()


def test_median_for_odd_and_even_counts_per_group(session, world):
    _insert_values(
        session, world, {"KEN": [5, 1, 3], "ESX": [4, 1, 2, 10], "BDG": [7], "LND": [None, None], "BIR": [2, None, 8]}
    )
    by_code = grouped_median(
        session, FoiRequest.response_working_days, [Authority.code], from_=join(FoiRequest, Authority)
    )
    assert by_code == {("KEN",): 3.0, ("ESX",): 3.0, ("BDG",): 7.0, ("BIR",): 5.0}  # LND: no values, no row
    overall = grouped_median(session, FoiRequest.response_working_days)
    assert overall == {(): statistics.median([5, 1, 3, 4, 1, 2, 10, 7, 2, 8])}  # 3.5
    counts = {
        row.g0: row.n
        for row in session.execute(
            median_select(FoiRequest.response_working_days, [Authority.code], from_=join(FoiRequest, Authority))
        )
    }
    assert counts == {"KEN": 3, "ESX": 4, "BDG": 1, "BIR": 2}
    filtered = grouped_median(
        session,
        FoiRequest.response_working_days,
        [Authority.code],
        [Authority.code == "ESX", FoiRequest.response_working_days > 1],
        from_=join(FoiRequest, Authority),
    )
    assert filtered == {("ESX",): 4.0}


def test_median_of_nothing(session, world):
    _insert_values(session, world, {"KEN": [None]})
    assert grouped_median(session, FoiRequest.response_working_days) == {}
    assert grouped_median(session, FoiRequest.response_working_days, [FoiRequest.authority_id]) == {}


def test_median_matches_python_on_random_groups(session, world):
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.dictionaries(
            st.sampled_from(CODES), st.lists(st.one_of(st.none(), st.integers(0, 60)), max_size=9), max_size=5
        )
    )
    def check(groups):
        _insert_values(session, world, groups)
        expected = {
            (code,): float(statistics.median([v for v in values if v is not None]))
            for code, values in groups.items()
            if any(v is not None for v in values)
        }
        assert (
            grouped_median(
                session, FoiRequest.response_working_days, [Authority.code], from_=join(FoiRequest, Authority)
            )
            == expected
        )
        everything = [v for values in groups.values() for v in values if v is not None]
        assert grouped_median(session, FoiRequest.response_working_days) == (
            {(): float(statistics.median(everything))} if everything else {}
        )

    check()
