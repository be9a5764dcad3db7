"""Bulk actions on the request list, and its CSV export."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from fointracker import clock
from fointracker.exports import csv_stream, neutralise
from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, Campaign, CampaignContact, FoiRequest, RequestEvent, User
from fointracker.services.batch import (
    BatchError,
    BulkError,
    bulk_add_note,
    bulk_assign_owner,
    bulk_mark_sent,
    create_batch,
)
from fointracker.services.campaigns import save_campaign
from fointracker.services.deadlines import recompute_requests
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event
from tests.conftest import post
from tests.written_rows import written_rows

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime

EXPORT_HEADER = [
    "id",
    "campaign",
    "council_code",
    "council",
    "gss_code",
    "nation",
    "region",
    "council_type",
    "regime",
    "subject",
    "council_reference",
    "status",
    "outcome",
    "sent_on",
    "received_on",
    "response_due_on",
    "deferred_due_on",
    "very_overdue_on",
    "review_due_on",
    "responded_on",
    "responded_on_time",
    "owner_email",
    "foi_email",
    "letter",
]


def _requests(session, codes, *, title="Care 2026", sent_on=None, owner_id=None) -> dict[str, int]:
    """One request per council code in a campaign (created if need be): {code: request id}."""
    campaign = session.scalar(select(Campaign).where(Campaign.title == title)) or save_campaign(
        session,
        None,
        {"title": title, "description": "", "default_regime": "foia", "letter_template": "Dear {authority_name}"},
        [],
        None,
    )
    ids = list(session.scalars(select(Authority.id).where(Authority.code.in_(codes))))
    result = create_batch(
        session,
        campaign,
        ids,
        subject="Budgets",
        sent_on=sent_on,
        owner_id=owner_id,
        allow_duplicates=True,
        user_id=None,
    )
    session.commit()
    requests = session.scalars(select(FoiRequest).where(FoiRequest.id.in_(result.created_ids))).all()
    return {r.authority.code: r.id for r in requests}


def _state(session, request_id):
    r = session.get(FoiRequest, request_id)
    return r.status, r.sent_on, r.owner_id, [e.kind for e in r.events]


# ---------------------------------------------------------------- bulk services


def test_bulk_mark_sent_records_a_sent_event_on_each(session, users):
    ids = _requests(session, ["MAN", "KEN"])
    assert bulk_mark_sent(session, ids.values(), date(2026, 3, 2), users["staff"], today=date(2026, 3, 4)) == 2
    session.expire_all()
    for request_id in ids.values():
        r = session.get(FoiRequest, request_id)
        assert (r.status, r.sent_on, r.received_on) == ("awaiting_response", date(2026, 3, 2), date(2026, 3, 2))
        assert r.response_due_on == date(2026, 3, 31)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == users["staff"])).all()
    assert actions == ["event added", "event added"]


def test_bulk_mark_sent_is_all_or_nothing_and_names_the_refusals(session, users):
    drafts = _requests(session, ["MAN", "KEN", "LDS"])
    sent = _requests(session, ["BIR"], sent_on=date(2026, 2, 2))
    before = {i: _state(session, i) for i in [*drafts.values(), *sent.values()]}
    audits = session.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(BulkError) as refused:
        bulk_mark_sent(
            session, [*drafts.values(), *sent.values()], date(2026, 3, 2), users["staff"], today=date(2026, 3, 4)
        )
    session.rollback()  # as the view does
    assert [(r.request_id, r.council) for r in refused.value.refusals] == [(sent["BIR"], "Birmingham")]
    assert "a request is sent once" in refused.value.refusals[0].reason and refused.value.total == 4
    session.expire_all()
    assert {i: _state(session, i) for i in before} == before
    assert session.scalar(select(func.count(AuditEntry.id))) == audits


def test_bulk_refuses_future_dates_blank_notes_and_unknown_requests(session, users):
    ids = list(_requests(session, ["MAN"]).values())
    with pytest.raises(BulkError, match="future"):
        bulk_mark_sent(session, ids, date(2026, 3, 5), None, today=date(2026, 3, 4))
    with pytest.raises(BatchError, match="write the note"):
        bulk_add_note(session, ids, "  ", None)
    with pytest.raises(BatchError, match="no such request: #999999"):
        bulk_add_note(session, ids + [999999], "hello", None)
    with pytest.raises(BatchError, match="owner"):
        bulk_assign_owner(session, ids, 999999, None)
    assert _state(session, ids[0])[3] == []


def test_bulk_add_note_and_assign_owner_are_audited(session, users):
    ids = _requests(session, ["MAN", "KEN"], owner_id=users["staff"])
    assert bulk_add_note(session, ids.values(), " Chased by phone ", users["coordinator"], today=date(2026, 3, 4)) == 2
    notes = session.scalars(select(RequestEvent)).all()
    assert {(n.kind, n.occurred_on, n.note, n.created_by_id) for n in notes} == {
        ("note", date(2026, 3, 4), "Chased by phone", users["coordinator"])
    }
    assert bulk_assign_owner(session, [ids["MAN"]], users["staff"], users["admin"]) == 0  # already theirs
    assert bulk_assign_owner(session, ids.values(), users["coordinator"], users["admin"]) == 2
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.user_id == users["admin"]).order_by(AuditEntry.entity_id)
    ).all()
    assert [(e.entity_id, e.action, e.before, e.after) for e in entries] == [
        (request_id, "updated", {"owner_id": users["staff"]}, {"owner_id": users["coordinator"]})
        for request_id in sorted(ids.values())
    ]


# ---------------------------------------------------------------- the same rows as one at a time


def _varied(session, users) -> dict[str, int]:
    """Requests to every nation in every state a bulk event meets, in a campaign whose reminders
    go to the owner, a coordinator and a webhook: {code: request id}."""
    today = clock.today()
    ids = _requests(session, ["MAN", "KEN", "EDH", "CRF", "BFS"], owner_id=users["staff"])  # drafts
    ids |= _requests(session, ["GLG", "AGY", "LDS", "BIR"], sent_on=today - timedelta(days=20), owner_id=users["staff"])
    campaign = session.scalar(select(Campaign).where(Campaign.title == "Care 2026"))
    campaign.coordinators.append(session.get(User, users["coordinator"]))
    campaign.webhook_url = "https://hooks.example.org/foi"
    for code, kind, days_ago, details in [
        ("GLG", "clarification_requested", 5, {}),  # a clarification we owe
        ("AGY", "fee_notice", 10, {}),  # the clock stopped
        ("LDS", "response_received", 2, {"outcome": "successful"}),  # figures wanted
    ]:
        request = session.get(FoiRequest, ids[code])
        add_event(
            session, request, kind=kind, occurred_on=today - timedelta(days=days_ago), details=details, user_id=None
        )
    recompute_requests(session, replan=True)  # the new coordinator and webhook get the reminders too
    session.commit()
    return ids


def _one_at_a_time(session, request_ids, user_id, **event):
    """The reference: add_event once per request, by id (the bulk actions before issue 14)."""
    for request in session.scalars(select(FoiRequest).where(FoiRequest.id.in_(request_ids)).order_by(FoiRequest.id)):
        add_event(session, request, user_id=user_id, today=clock.today(), **event)


@pytest.mark.parametrize("action", ["mark_sent", "mark_sent_received_later", "note"])
def test_bulk_events_write_the_rows_add_event_writes(session, users, action):
    """Events, status and deadlines, reminders and audit entries are the same as from add_event
    request by request."""
    ids = _varied(session, users)
    today = clock.today()
    if action == "note":
        chosen, event = list(ids.values()), {"kind": "note", "occurred_on": today, "note": " Chased by phone "}
        bulk = lambda: bulk_add_note(session, chosen, " Chased by phone ", users["coordinator"], today=today)  # noqa: E731
    else:
        chosen = [ids[code] for code in ("MAN", "KEN", "EDH", "CRF", "BFS")]
        sent_on = today - timedelta(days=4)
        received_on = today - timedelta(days=1) if action == "mark_sent_received_later" else None
        details = {"received_on": received_on.isoformat()} if received_on else {}
        event = {"kind": "sent", "occurred_on": sent_on, "details": details}
        bulk = lambda: bulk_mark_sent(  # noqa: E731
            session, chosen, sent_on, users["coordinator"], received_on=received_on, today=today
        )
    _one_at_a_time(session, chosen, users["coordinator"], **event)
    session.flush()
    expected = written_rows(session)
    session.rollback()

    assert bulk() == len(chosen)
    session.commit()
    assert written_rows(session) == expected
    added = [row for row in expected["request_event"] if ("created_by_id", users["coordinator"]) in row]
    assert len(added) == len(chosen) and all(("kind", event["kind"]) in row for row in added)


# ---------------------------------------------------------------- the bulk form


def test_list_page_has_row_checkboxes_bulk_form_and_export_link(login_as, app):
    with app.app_context():
        _requests(db.session, ["MAN", "KEN"])
    client = login_as("staff")
    html = client.get("/requests/?region=North+West&status=bogus&sort=council").get_data(as_text=True)
    assert html.count('name="ids"') == 1  # the bogus status is ignored, as the flash says
    assert 'for="pick-all"' in html and "Select all on this page" in html
    assert "Select the request to Manchester" in html
    assert 'action="/requests/bulk"' in html and 'name="csrf_token"' in html
    assert 'href="/requests/export.csv?region=North+West&amp;sort=council"' in html
    assert "onclick" not in html and "style=" not in html
    post(client, "/logout", {})
    author_html = login_as("author").get("/requests/").get_data(as_text=True)
    assert 'name="ids"' not in author_html and "/requests/bulk" not in author_html
    assert "Export CSV" in author_html


def test_bulk_form_marks_sent_and_returns_to_the_filtered_list(login_as, app):
    with app.app_context():
        ids = _requests(db.session, ["MAN", "KEN"])
    client = login_as("staff")
    response = post(
        client,
        "/requests/bulk",
        {
            "action": "mark_sent",
            "ids": list(ids.values()),
            "date": "2026-03-02",
            "back": "region=North+West&page=2&evil=x",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/requests/?region=North+West&page=2"
    assert "Marked 2 requests as sent on Mon 2 Mar 2026." in client.get("/requests/").get_data(as_text=True)
    with app.app_context():
        assert {r.status for r in db.session.scalars(select(FoiRequest))} == {"awaiting_response"}


def test_bulk_form_with_one_sent_request_changes_nothing_and_names_it(login_as, app):
    with app.app_context():
        drafts = _requests(db.session, ["MAN", "KEN"])
        sent = _requests(db.session, ["LDS"], sent_on=date(2026, 2, 2))
    client = login_as("staff")
    response = post(
        client,
        "/requests/bulk",
        {"action": "mark_sent", "ids": [*drafts.values(), *sent.values()], "date": "2026-03-02", "back": ""},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Nothing was changed: 1 of the 3 ticked requests refused." in html
    assert f"Leeds (request #{sent['LDS']})" in html and "a request is sent once" in html
    with app.app_context():
        assert {db.session.get(FoiRequest, i).status for i in drafts.values()} == {"draft"}


def test_bulk_form_assigns_owner_and_adds_note(login_as, app, users):
    with app.app_context():
        ids = list(_requests(db.session, ["MAN", "KEN"]).values())
    client = login_as("coordinator")
    response = post(
        client, "/requests/bulk", {"action": "assign_owner", "ids": ids, "owner": users["staff"]}, follow_redirects=True
    )
    assert "Assigned 2 requests to staff@example.org." in response.get_data(as_text=True)
    response = post(
        client, "/requests/bulk", {"action": "add_note", "ids": ids, "note": "Chased"}, follow_redirects=True
    )
    assert "Added the note to 2 requests." in response.get_data(as_text=True)
    with app.app_context():
        assert {r.owner_id for r in db.session.scalars(select(FoiRequest))} == {users["staff"]}
        assert db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.kind == "note")) == 2
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.user_id == users["coordinator"], AuditEntry.action == "updated"
                )
            )
            == 2
        )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "mark_sent", "date": ""}, "Sent on: give the date they were sent"),
        ({"action": "assign_owner"}, "New owner: choose the new owner"),
        ({"action": "add_note", "note": " "}, "Note: write the note"),
        ({"action": ""}, "Bulk action: choose what to do"),
    ],
)
def test_bulk_form_asks_for_what_the_action_needs(login_as, app, data, message):
    with app.app_context():
        ids = list(_requests(db.session, ["MAN"]).values())
    client = login_as("staff")
    html = post(client, "/requests/bulk", {"ids": ids, **data}, follow_redirects=True).get_data(as_text=True)
    assert "Nothing was changed" in html and message in html


def test_bulk_form_needs_a_ticked_request(login_as):
    html = post(
        login_as("staff"), "/requests/bulk", {"action": "add_note", "note": "x"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "tick at least one request" in html


def test_bulk_needs_request_edit_and_csrf(login_as, app):
    with app.app_context():
        ids = list(_requests(db.session, ["MAN"]).values())
    author = login_as("author")
    assert post(author, "/requests/bulk", {"action": "add_note", "ids": ids, "note": "x"}).status_code == 403
    post(author, "/logout", {})
    staff = login_as("staff")
    assert staff.post("/requests/bulk", data={"action": "add_note", "ids": ids, "note": "x"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(RequestEvent.id))) == 0


# ---------------------------------------------------------------- export


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_export_has_the_exact_columns_iso_dates_and_streams(login_as, app, users):
    with app.app_context():
        ids = _requests(db.session, ["MAN"], sent_on=date(2026, 3, 2), owner_id=users["staff"])
    client = login_as("author")
    response = client.get("/requests/export.csv")
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="requests-')
    header, row = _csv(response)
    assert header == EXPORT_HEADER
    values = dict(zip(header, row))
    assert values == {
        "id": str(ids["MAN"]),
        "campaign": "Care 2026",
        "council_code": "MAN",
        "council": "Manchester",
        "gss_code": values["gss_code"],
        "nation": "England",
        "region": "North West",
        "council_type": "Metropolitan district",
        "regime": "foia",
        "subject": "Budgets",
        "council_reference": "",
        "status": "awaiting_response",
        "outcome": "",
        "sent_on": "2026-03-02",
        "received_on": "2026-03-02",
        "response_due_on": "2026-03-31",
        "deferred_due_on": "2026-03-31",
        "very_overdue_on": values["very_overdue_on"],
        "review_due_on": "",
        "responded_on": "",
        "responded_on_time": "",
        "owner_email": "staff@example.org",
        "foi_email": "",  # none known yet
        "letter": "Dear Manchester City Council",
    }
    assert values["gss_code"].startswith("E08") and values["very_overdue_on"].startswith("2026-04")


def test_export_carries_each_councils_address_the_campaigns_own_first(login_as, app):
    with app.app_context():
        s = db.session
        ids = _requests(s, ["MAN", "KEN"])
        campaign_id = s.get(FoiRequest, ids["MAN"]).campaign_id
        s.execute(update(Authority).where(Authority.code.in_(["MAN", "KEN"])).values(foi_email="foi@register.example"))
        kent = s.scalar(select(Authority.id).where(Authority.code == "KEN"))
        s.add(CampaignContact(campaign_id=campaign_id, authority_id=kent, foi_email="=kent@campaign.example"))
        s.commit()
    rows = _csv(login_as("staff").get("/requests/export.csv?sort=council"))
    by_council = {row[3]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_council["Manchester"]["foi_email"] == "foi@register.example"
    assert by_council["Kent"]["foi_email"] == "'=kent@campaign.example"  # the campaign's own, neutralised
    assert by_council["Kent"]["letter"] == "Dear Kent County Council"


def test_export_respects_the_list_filters_across_pages(login_as, app):
    app.config["PER_PAGE"] = 2
    with app.app_context():
        _requests(db.session, ["MAN", "BOL", "BUR", "KEN"])
        _requests(db.session, ["LDS"], title="Other campaign")
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.title == "Care 2026"))
    client = login_as("staff")
    rows = _csv(client.get(f"/requests/export.csv?campaign={campaign_id}&region=North+West&sort=council&page=2"))
    assert [r[3] for r in rows[1:]] == ["Bolton", "Bury", "Manchester"]  # every page, in the list's order
    rows = _csv(client.get("/requests/export.csv?q=leeds"))
    assert [r[3] for r in rows[1:]] == ["Leeds"]
    assert len(_csv(client.get("/requests/export.csv"))) == 6
    assert _csv(client.get("/requests/export.csv?status=closed")) == [EXPORT_HEADER]


def test_export_neutralises_formulas(login_as, app):
    with app.app_context():
        campaign = save_campaign(
            db.session,
            None,
            {"title": '=HYPERLINK("http://evil")', "description": "", "default_regime": "foia", "letter_template": ""},
            [],
            None,
        )
        manchester = db.session.scalar(select(Authority).where(Authority.code == "MAN"))
        create_request(
            db.session,
            {
                "campaign_id": campaign.id,
                "authority_id": manchester.id,
                "regime": "foia",
                "subject": "=1+2",
                "body": "",
                "council_reference": "@SUM(A1)",
                "owner_id": None,
            },
            None,
        )
        db.session.commit()
    rows = _csv(login_as("staff").get("/requests/export.csv"))
    values = dict(zip(rows[0], rows[1]))
    assert values["campaign"] == '\'=HYPERLINK("http://evil")'
    assert values["subject"] == "'=1+2" and values["council_reference"] == "'@SUM(A1)"


def test_neutralise_and_csv_stream():
    assert [
        neutralise(v)
        for v in ("=cmd", "+1", "-1", "@x", "\tx", "plain", "", None, 7, -3, True, False, date(2026, 3, 2))
    ] == ["'=cmd", "'+1", "'-1", "'@x", "'\tx", "plain", "", "", "7", "-3", "true", "false", "2026-03-02"]
    chunks = list(csv_stream(["a", "=b"], ([i, f"=row{i}"] for i in range(450))))
    assert len(chunks) == 3  # written a few hundred rows at a time, never all at once
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows[0] == ["a", "'=b"] and rows[1] == ["0", "'=row0"] and len(rows) == 451


def test_export_is_for_logged_in_users_only(client):
    response = client.get("/requests/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bulk_all_matching_the_filter_reaches_every_page_once_the_count_is_confirmed(login_as, app):
    """#19: marking 153 requests as sent took four rounds of 50. "All N matching this filter"
    acts on every page of the filtered list, and only if N is still what the filter matches."""
    app.config["PER_PAGE"] = 2
    with app.app_context():
        _requests(db.session, ["MAN", "BOL", "BUR", "KEN"])
        other = _requests(db.session, ["LDS"], title="Other campaign")
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.title == "Care 2026"))
    client = login_as("staff")
    back = f"campaign={campaign_id}&region=North+West&sort=council"
    page = client.get(f"/requests/?{back}").get_data(as_text=True)
    assert 'name="matching" value="3"' in page and "Apply to all 3 matching this filter" in page
    form = {"action": "mark_sent", "date": "2026-03-02", "back": back}
    stale = post(client, "/requests/bulk", {**form, "matching": "4"}, follow_redirects=True).get_data(as_text=True)
    assert "Nothing was changed: the filter now matches 3 requests, not 4" in stale
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(FoiRequest.status == "awaiting_response")) == 0
    done = post(client, "/requests/bulk", {**form, "matching": "3"}, follow_redirects=True).get_data(as_text=True)
    assert "Marked 3 requests as sent on Mon 2 Mar 2026." in done
    with app.app_context():
        sent = {r.authority.code for r in db.session.scalars(select(FoiRequest).where(FoiRequest.sent_on.is_not(None)))}
        assert sent == {"MAN", "BOL", "BUR"}  # Kent is in the South East; Leeds in another campaign
        assert db.session.get(FoiRequest, other["LDS"]).sent_on is None
