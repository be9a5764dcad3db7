"""The request list's search through its indexes (services.request_search, migration 0011) finds
exactly the rows of the plain scan it replaced: a case-insensitive substring of the council's names
or code, or of the request's reference, subject or body, with % and _ literal."""

from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text

from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User
from fointracker.services.backup import SEARCH_INDEX_TABLES
from fointracker.services.request_search import SEARCH_INDEX_NAMES, scan_condition, search_condition

# Texts that tell the two apart if anything is off: LIKE's wildcards and escape character, FTS5's
# query syntax, quotes, case in and beyond ASCII (SQLite's lower() folds ASCII only, FTS5 all of
# Unicode), letters whose case changes their length, and text shorter than a trigram.
TEXTS = [
    "Adult social care budgets 2025/26",
    "100% of the 1000 pupils",
    "a_b_c and abc",
    "under_score, percent% and slash/ and back\\slash",
    'it\'s "quoted" -- ; DROP TABLE foi_request; --',
    "ÉMILE Zola émile",
    "Straße STRASSE strasse",
    "KELVIN \u212a kelvin k",
    "İstanbul istanbul",
    "ΣΊΣΥΦΟΣ σίσυφος",
    "Ｆｕｌｌｗｉｄｔｈ",
    "emoji 🙂 smile",
    "NEAR(a b) OR c* AND d: ^e",
    "tab\tand\nnew line",
    "ab",
    "",
]
QUERIES = [
    "%",
    "_",
    "%%",
    "100%",
    "0%",
    "a_b",
    "_b_",
    "/",
    "\\",
    "'",
    '"',
    '"quoted"',
    "it's",
    "; drop table foi_request; --",
    "émile",
    "ÉMILE",
    "Émi",
    "mile",
    "straße",
    "STRASSE",
    "kelvin k",
    "\u212a",
    "k",
    "i̇st",
    "İst",
    "σίσ",
    "ΣΊΣ",
    "ｆｕｌｌ",
    "🙂",
    "🙂 s",
    "near(a b)",
    "c* and",
    "d: ^e",
    "\t",
    "and\nnew",
    "a",
    "ab",
    "abc",
    "Kent",
    "kent county",
    "KEN",
    "council",
    "REF-1",
    "ref-",
    "budgets 2025/26",
    "zzzz not there",
]


def _world(session) -> dict:
    """A request per text (as subject, body or reference in turn) to councils named like it."""
    user = User(email="search@example.org", role="admin", name="", password_hash="x")
    session.add(user)
    session.flush()
    campaign = Campaign(title="Search", default_regime="foia", created_by_id=user.id)
    session.add(campaign)
    session.flush()
    councils = session.scalars(select(Authority).order_by(Authority.code).limit(len(TEXTS) * 3)).all()
    column_names = ("subject", "body", "council_reference")
    for index, value in enumerate(TEXTS * 3):
        fields = {"subject": f"Request {index}", "body": "", "council_reference": f"REF-{index}"}
        fields[column_names[index % 3]] = value
        session.add(
            FoiRequest(
                campaign_id=campaign.id,
                authority_id=councils[index].id,
                regime="foia",
                sent_on=date(2026, 3, 2),
                status="awaiting_response",
                owner_id=user.id,
                **fields,
            )
        )
    session.commit()
    return {"campaign": campaign.id, "user": user.id}


def _found(session, condition) -> list[int]:
    stmt = select(FoiRequest.id).join(FoiRequest.authority).where(condition).order_by(FoiRequest.id)
    return list(session.scalars(stmt))


def _same_as_scan(session, q: str) -> list[int]:
    indexed = _found(session, search_condition(session, q))
    assert indexed == _found(session, scan_condition(q)), f"the indexed search differs from the scan for {q!r}"
    return indexed


def test_the_indexed_search_finds_exactly_what_the_scan_finds(session):
    _world(session)
    for q in QUERIES + TEXTS:
        _same_as_scan(session, q)
    if session.get_bind().dialect.name == "sqlite":  # PostgreSQL refuses a NUL in any text (so does web.py)
        for q in ("abc\x00def", "\x00\x00\x00"):
            _same_as_scan(session, q)
    for q in ("x" * 200, "100%" * 50, '"""', "\ufffd\ufffd\ufffd"):  # the form allows up to 200 characters
        _same_as_scan(session, q)
    # The queries do find things (so the comparison is not between two empty lists).
    assert len(_same_as_scan(session, "100%")) == 3
    assert len(_same_as_scan(session, "_b_")) == 3  # not "abc": _ is literal
    assert len(_same_as_scan(session, '"quoted"')) == 3
    assert _same_as_scan(session, "zzzz not there") == []


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_query_finds_what_the_scan_finds(session, data):
    """Random queries: pieces of the stored texts (in any case) and strings of the awkward characters."""
    if not session.scalar(select(FoiRequest.id).limit(1)):
        _world(session)  # once: the database outlives the examples
    pieces = st.sampled_from(TEXTS + QUERIES).flatmap(
        lambda s: st.tuples(st.integers(0, len(s)), st.integers(0, len(s))).map(lambda ij: s[min(ij) : max(ij)])
    )
    cased = pieces.flatmap(lambda s: st.sampled_from([s, s.upper(), s.lower(), s.swapcase()]))
    awkward = st.text(alphabet="%_/\\'\" abcKÉéßSſ\u212aİiσΣ🙂*:^()-\t\n", max_size=6)
    _same_as_scan(session, data.draw(st.one_of(cased, awkward)))


def test_writes_reach_the_index(session):
    """Insert, edit, delete and a campaign's cascade: the search sees each at once (on SQLite
    through migration 0011's triggers, which a later rebuild of foi_request must keep)."""
    world = _world(session)
    request = session.scalar(select(FoiRequest).where(FoiRequest.subject == "Adult social care budgets 2025/26"))
    request.subject = "Potholes repaired in 2025"
    session.commit()
    assert request.id not in _same_as_scan(session, "social care budgets")
    assert _same_as_scan(session, "potholes repaired") == [request.id]
    request.status = "acknowledged"  # a write that does not touch the searched columns
    request.council_reference = "FOI/2025/0042"
    session.commit()
    assert _same_as_scan(session, "foi/2025/00") == [request.id]
    session.delete(request)
    session.commit()
    assert _same_as_scan(session, "potholes repaired") == []

    council = session.scalar(select(Authority).where(Authority.code == "KEN"))
    added = FoiRequest(
        campaign_id=world["campaign"],
        authority_id=council.id,
        regime="foia",
        subject="Gritting routes",
        body="Which roads are gritted first?",
        council_reference="",
        status="draft",
    )
    session.add(added)
    session.commit()
    assert _same_as_scan(session, "roads are gritted") == [added.id]
    council.short_name = "Kent Renamed For Search"  # the councils are matched by scanning them
    session.commit()
    assert added.id in _same_as_scan(session, "renamed for sea")

    session.delete(session.get(Campaign, world["campaign"]))  # ON DELETE CASCADE to its requests
    session.commit()
    assert session.scalar(select(FoiRequest.id).limit(1)) is None
    assert _same_as_scan(session, "roads are gritted") == []
    _check_index(session)


def _check_index(session) -> None:
    """SQLite: FTS5's own check that request_search agrees with foi_request (it raises if not).
    PostgreSQL: request_search_text holds every request's text as foi_request does, and nothing else."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO request_search (request_search, rank) VALUES ('integrity-check', 1)"))
        return
    differ = session.scalar(
        text(
            "SELECT count(*) FROM foi_request f FULL JOIN request_search_text t ON t.request_id = f.id "
            "WHERE (f.id, f.council_reference, f.subject, f.body) IS DISTINCT FROM "
            "(t.request_id, t.council_reference, t.subject, t.body)"
        )
    )
    assert differ == 0


def test_the_list_page_searches_literally(login_as, app):
    client = login_as("admin")
    with app.app_context():
        _world(db.session)
    page = client.get("/requests/", query_string={"q": "100%"}).get_data(as_text=True)
    assert "3 in all" in page
    page = client.get("/requests/", query_string={"q": "_b_", "status": "awaiting_response"}).get_data(as_text=True)
    assert "3 in all" in page
    page = client.get("/requests/", query_string={"q": "_b_", "status": "draft"}).get_data(as_text=True)
    assert "No request matches" in page


def _search_index(session) -> set[str]:
    """What migration 0011 made: SQLite's FTS5 table (its shadow tables, its triggers) or PostgreSQL's indexes."""
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text("SELECT name FROM sqlite_master WHERE name LIKE 'request\\_search%' ESCAPE '\\'")
        ).scalars()
        return set(rows)
    inspector = inspect(session.get_bind())
    tables = {"foi_request"} | ({"request_search_text"} & set(inspector.get_table_names()))
    indexes = {index["name"] for table in tables for index in inspector.get_indexes(table)}
    return (indexes | tables) & SEARCH_INDEX_NAMES


def test_migration_0011_builds_the_index_from_existing_requests_and_removes_it(app):
    with app.app_context():
        session = db.session
        _world(session)
        expected = {q: _same_as_scan(session, q) for q in ("100%", "émile", "quoted", "ref-1", "a")}
        made = _search_index(session)
        if session.get_bind().dialect.name == "sqlite":
            assert made == set(SEARCH_INDEX_TABLES) | {
                "request_search_insert",
                "request_search_update",
                "request_search_delete",
            }
            assert set(SEARCH_INDEX_TABLES) <= SEARCH_INDEX_NAMES
        else:
            # 0011's indexes, moved by 0018 to the text's copy
            assert made == {"request_search_text"} | {
                f"ix_request_search_text_{c}_trgm" for c in ("council_reference", "subject", "body")
            }
        session.remove()

        downgrade(revision="0010")
        assert _search_index(db.session) == set()
        assert "request_search" not in inspect(db.engine).get_table_names()
        db.session.remove()
        upgrade()  # back to the head: 0011 fills the index from the requests already there
        assert _search_index(db.session) == made
        for q, ids in expected.items():
            assert _same_as_scan(db.session, q) == ids
        _check_index(db.session)


@pytest.mark.parametrize("q", ["", " ", "ab", "é"])
def test_short_queries_fall_back_to_the_scan(session, q):
    """Too short for a trigram: found by the scan (the empty string matches every request)."""
    _world(session)
    found = _same_as_scan(session, q)
    assert found and (q or len(found) == len(TEXTS) * 3)
