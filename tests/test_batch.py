"""Batch creation: choosing councils, previewing letters, creating many requests at once."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fointracker import clock
from fointracker.domain.regimes import regime_for_authority
from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, Campaign, ClosureDay, FoiRequest, Reminder, RequestEvent, User
from fointracker.services import batch as batch_service
from fointracker.services.batch import BatchError, create_batch, preview, select_councils
from fointracker.services.campaigns import letter_for, save_campaign
from fointracker.services.foi_requests import RequestError, create_request
from tests.conftest import csrf_token, post
from tests.written_rows import written_rows

LETTER = "Dear {authority_name} ({authority_code}),\nUnder the {regime_name}, for “{campaign_title}”. {today}"
NORTH_WEST_MDS = [
    "Bolton",
    "Bury",
    "Knowsley",
    "Liverpool",
    "Manchester",
    "Oldham",
    "Rochdale",
    "Salford",
    "Sefton",
    "St. Helens",
    "Stockport",
    "Tameside",
    "Trafford",
    "Wigan",
    "Wirral",
]


def _campaign(session, title="Adult social care 2026", letter=LETTER, regime="foia") -> Campaign:
    campaign = save_campaign(
        session,
        None,
        {"title": title, "description": "", "default_regime": regime, "letter_template": letter},
        [],
        None,
    )
    session.commit()
    return campaign


def _ids(session, *codes) -> list[int]:
    return list(session.scalars(select(Authority.id).where(Authority.code.in_(codes))))


def _count(session, campaign_id=None) -> int:
    stmt = select(func.count(FoiRequest.id))
    if campaign_id:
        stmt = stmt.where(FoiRequest.campaign_id == campaign_id)
    return session.scalar(stmt)


# ---------------------------------------------------------------- choosing councils


def test_select_by_region_and_type_gives_current_councils_by_name(session):
    councils = select_councils(session, nations=["England"], regions=["North West"], type_codes=["MD"])
    assert [a.short_name for a in councils] == NORTH_WEST_MDS


def test_select_by_nation_and_social_care(session):
    scottish = select_councils(session, nations=["Scotland"])
    assert len(scottish) == 32 and {a.nation for a in scottish} == {"Scotland"}
    english_care = select_councils(session, nations=["England"], social_care=True)
    assert len(english_care) == 153  # county, unitary, metropolitan, London boroughs, City of London
    assert all(a.social_care for a in english_care)
    assert {a.type_code for a in english_care} == {"CTY", "UA", "MD", "LBO", "CC"}
    districts = select_councils(session, nations="England", social_care=False)
    assert districts and {a.type_code for a in districts} == {"NMD"}


def test_select_by_hand_ignores_abolished_councils(session):
    picked = select_councils(session, codes="man, ken ALL")  # Allerdale was abolished in 2023
    assert [a.code for a in picked] == ["KEN", "MAN"]
    assert [a.code for a in select_councils(session, q="manch")] == ["MAN"]
    every_current = select_councils(session)
    assert len(every_current) == session.scalar(select(func.count(Authority.id)).where(Authority.end_date.is_(None)))


# ---------------------------------------------------------------- preview


def test_preview_fills_placeholders_picks_regime_and_marks_already_asked(session):
    campaign = _campaign(session)
    ids = _ids(session, "MAN", "EDH")
    create_batch(
        session,
        campaign,
        _ids(session, "MAN"),
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=False,
        user_id=None,
    )
    rows = preview(session, campaign, ids, date(2026, 3, 2))
    assert [(r.authority.code, r.regime, r.already_requested) for r in rows] == [
        ("EDH", "foisa", False),
        ("MAN", "foia", True),
    ]
    edinburgh, manchester = rows
    assert edinburgh.letter.startswith("Dear City of Edinburgh Council (EDH),\nUnder the FOISA 2002 (Scotland)")
    assert manchester.letter == (
        "Dear Manchester City Council (MAN),\nUnder the FOIA 2000, for “Adult social care 2026”. Mon 2 Mar 2026"
    )
    authority, regime, letter, asked = manchester  # a plain tuple as well
    assert (authority.code, asked) == ("MAN", True)


def test_preview_refuses_unknown_and_abolished_councils(session):
    campaign = _campaign(session)
    with pytest.raises(BatchError, match="no longer exist: Allerdale"):
        preview(session, campaign, _ids(session, "MAN", "ALL"), date(2026, 3, 2))
    with pytest.raises(BatchError, match="not in the register"):
        preview(session, campaign, [999999], date(2026, 3, 2))
    with pytest.raises(BatchError, match="at least one council"):
        preview(session, campaign, [], date(2026, 3, 2))


# ---------------------------------------------------------------- creation


def test_create_batch_of_sent_requests_with_letters_events_deadlines_and_audit(session, users):
    campaign = _campaign(session)
    ids = _ids(session, "MAN", "KEN", "GLG")
    result = create_batch(
        session,
        campaign,
        ids + ids[:1],
        subject="  Budgets ",
        sent_on=date(2026, 3, 2),
        owner_id=users["staff"],
        allow_duplicates=False,
        user_id=users["coordinator"],
        today=date(2026, 3, 5),
    )
    assert len(result.created_ids) == 3 and result.skipped_duplicates == []  # a council listed twice: once
    requests = session.scalars(select(FoiRequest).where(FoiRequest.id.in_(result.created_ids))).all()
    by_code = {r.authority.code: r for r in requests}
    assert by_code["GLG"].regime == "foisa" and by_code["MAN"].regime == "foia"
    for r in requests:
        assert (r.subject, r.status, r.sent_on, r.received_on, r.owner_id) == (
            "Budgets",
            "awaiting_response",
            date(2026, 3, 2),
            date(2026, 3, 2),
            users["staff"],
        )
        assert r.response_due_on is not None
        assert r.body.startswith(f"Dear {r.authority.official_name} ({r.authority.code})")
        assert r.body.endswith("Mon 2 Mar 2026")  # the letter is dated the day it was sent
        assert [e.kind for e in r.events] == ["sent"]
    audits = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "request")).all()
    assert sorted(a.entity_id for a in audits) == sorted(result.created_ids)
    assert {(a.action, a.user_id) for a in audits} == {("created", users["coordinator"])}


def test_create_batch_skips_councils_already_asked_unless_allowed(session):
    campaign = _campaign(session)
    other = _campaign(session, title="Another campaign")
    first = create_batch(
        session,
        campaign,
        _ids(session, "MAN"),
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=False,
        user_id=None,
    )
    create_batch(
        session,
        other,
        _ids(session, "KEN"),
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=False,
        user_id=None,
    )
    again = create_batch(
        session,
        campaign,
        _ids(session, "MAN", "KEN"),
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=False,
        user_id=None,
    )
    assert again.skipped_duplicates == _ids(session, "MAN") and again.skipped_names == ["Manchester"]
    assert len(again.created_ids) == 1  # Kent: asked only in another campaign
    assert _count(session, campaign.id) == 2
    allowed = create_batch(
        session,
        campaign,
        _ids(session, "MAN"),
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=True,
        user_id=None,
    )
    assert len(allowed.created_ids) == 1 and allowed.skipped_duplicates == []
    drafts = session.scalars(
        select(FoiRequest).where(
            FoiRequest.authority_id.in_(_ids(session, "MAN")), FoiRequest.campaign_id == campaign.id
        )
    ).all()
    assert len(drafts) == 2 and {d.status for d in drafts} == {"draft"}
    assert first.created_ids[0] in {d.id for d in drafts}
    assert session.scalar(select(func.count(RequestEvent.id))) == 0  # drafts have no "sent" event


def test_create_batch_is_all_or_nothing_and_refuses_as_create_request_does(session, monkeypatch):
    campaign = _campaign(session)
    ids = _ids(session, "MAN", "KEN", "EDH", "BIR")
    scottish = session.scalar(select(Authority).where(Authority.code == "EDH"))
    values = {"campaign_id": campaign.id, "authority_id": scottish.id, "regime": "foia", "subject": "s"}
    with pytest.raises(RequestError) as one_at_a_time:
        create_request(session, values, None)
    # A regime rule broken by one council in the middle (Edinburgh, third by name): nothing is written.
    monkeypatch.setattr(batch_service, "regime_for_authority", lambda default, nation: "foia")
    with pytest.raises(BatchError) as refused:
        create_batch(
            session,
            campaign,
            ids,
            subject="s",
            sent_on=date(2026, 3, 2),
            owner_id=None,
            allow_duplicates=False,
            user_id=None,
            today=date(2026, 3, 2),
        )
    session.rollback()  # as the view does
    assert (refused.value.message, refused.value.field) == (one_at_a_time.value.message, one_at_a_time.value.field)
    assert refused.value.message == "Scottish councils answer under FOISA or EISR, not FOIA"
    assert _count(session) == 0
    assert session.scalar(select(func.count(RequestEvent.id))) == 0
    assert session.scalar(select(func.count(Reminder.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "request")) == 0


# ---------------------------------------------------------------- the same rows as one at a time

# England, Scotland, Wales and Northern Ireland: both calendars, every regime's twin.
EVERY_NATION = ("MAN", "KEN", "EDH", "GLG", "CRF", "AGY", "BFS")


def _one_at_a_time(session, campaign, authority_ids, *, subject, sent_on, owner_id, user_id, today) -> list[int]:
    """The reference: create_request once per council, in name order (create_batch before issue 14)."""
    created = []
    for authority in session.scalars(
        select(Authority).where(Authority.id.in_(authority_ids)).order_by(Authority.short_name, Authority.code)
    ):
        regime = regime_for_authority(campaign.default_regime, authority.nation)
        values = {
            "campaign_id": campaign.id,
            "authority_id": authority.id,
            "regime": regime,
            "subject": subject,
            "body": letter_for(campaign, authority, regime, sent_on or today),
            "sent_on": sent_on,
            "owner_id": owner_id,
        }
        created.append(create_request(session, values, user_id).id)
    return created


@pytest.mark.parametrize(
    ("regime", "sent_days_ago"),
    [("foia", None), ("foia", 3), ("eir", 3), ("foia", 40)],
    ids=["drafts", "sent-this-week", "eir-sent-this-week", "sent-weeks-ago"],
)
def test_create_batch_writes_the_rows_create_request_writes(session, users, regime, sent_days_ago):
    """Requests, letters, events, deadlines (with an admin's closure day), reminders (owner,
    coordinator, webhook) and audit entries are the same as from create_request one by one."""
    campaign = _campaign(session, regime=regime)
    campaign.coordinators.append(session.get(User, users["coordinator"]))
    campaign.webhook_url = "https://hooks.example.org/foi"
    today = clock.today()
    sent_on = today - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    session.add(ClosureDay(day=today + timedelta(days=2), name="Office closed", calendar="all"))
    ids = _ids(session, *EVERY_NATION)
    create_batch(  # one council asked already: skipped both ways
        session,
        campaign,
        ids[:1],
        subject="s",
        sent_on=None,
        owner_id=None,
        allow_duplicates=False,
        user_id=None,
    )
    session.commit()
    kwargs = {"subject": " Budgets ", "sent_on": sent_on, "owner_id": users["staff"], "user_id": users["coordinator"]}
    asked = set(session.scalars(select(FoiRequest.authority_id)))

    expected_ids = _one_at_a_time(session, campaign, [i for i in ids if i not in asked], today=today, **kwargs)
    expected = written_rows(session)
    session.rollback()
    result = create_batch(session, campaign, ids, allow_duplicates=False, today=today, **kwargs)
    session.commit()

    assert result.skipped_duplicates == ids[:1] and len(result.created_ids) == len(expected_ids) == len(ids) - 1
    assert written_rows(session) == expected
    assert expected["foi_request"] and expected["audit_entry"]
    if sent_on is not None:
        assert len(expected["request_event"]) == len(expected_ids)
    if sent_days_ago == 3:
        assert expected["reminder"]  # owner, coordinator and webhook, for each request


def test_create_batch_refuses_bad_input(session, users):
    campaign = _campaign(session)
    ids = _ids(session, "MAN")
    kwargs = {"subject": "s", "sent_on": None, "owner_id": None, "allow_duplicates": False, "user_id": None}
    with pytest.raises(BatchError, match="subject"):
        create_batch(session, campaign, ids, **{**kwargs, "subject": "  "})
    with pytest.raises(BatchError, match="future"):
        create_batch(session, campaign, ids, **{**kwargs, "sent_on": date(2026, 3, 3)}, today=date(2026, 3, 2))
    with pytest.raises(BatchError, match="owner"):
        create_batch(session, campaign, ids, **{**kwargs, "owner_id": 999999})
    assert _count(session) == 0


# ---------------------------------------------------------------- the pages


@pytest.fixture
def campaign_id(app):
    with app.app_context():
        return _campaign(db.session).id


def test_batch_page_lists_the_filtered_councils_all_ticked(login_as, campaign_id):
    client = login_as("coordinator")
    html = client.get(f"/campaigns/{campaign_id}/batch?nation=England&region=North+West&type_code=MD").get_data(
        as_text=True
    )
    assert html.count('name="authority_ids"') == 15
    assert html.count(" checked") == 15
    assert "Stockport" in html and "Kent" not in html
    assert 'name="csrf_token"' in html
    assert 'src="/static/batch.js"' in html and "onclick" not in html and "style=" not in html
    empty = client.get(f"/campaigns/{campaign_id}/batch?nation=Wales&region=London").get_data(as_text=True)
    assert "No current council matches these filters." in empty


def test_campaign_page_links_to_batch(login_as, campaign_id):
    html = login_as("coordinator").get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}/batch"' in html and "Send to many councils" in html


def _form(app, *codes, **extra):
    with app.app_context():
        ids = _ids(db.session, *codes)
    return {"authority_ids": ids, "subject": "Budgets", "sent_on": "", "owner_id": "", **extra}


def test_preview_then_create_without_javascript(login_as, app, campaign_id):
    client = login_as("coordinator")
    url = f"/campaigns/{campaign_id}/batch?region=North+West&type_code=MD"
    response = post(client, url, {**_form(app, "MAN", "BOL"), "step": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<details>") == 2
    assert "Dear Manchester City Council (MAN)" in html and "Create 2 requests" in html
    assert "drafts" in html  # no sent date

    response = post(client, url, {**_form(app, "MAN", "BOL"), "step": "create"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/requests/?campaign={campaign_id}")
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created 2 requests." in listing

    again = post(client, url, {**_form(app, "MAN", "BOL", "BUR"), "step": "preview"}).get_data(as_text=True)
    assert again.count("Already asked: will be skipped") == 2 and "Create 1 request<" in again
    response = post(client, url, {**_form(app, "MAN", "BOL", "BUR"), "step": "create"}, follow_redirects=True)
    assert "Created 1 request. Skipped 2 already asked in this campaign: Bolton, Manchester." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert _count(db.session, campaign_id) == 3


def test_batch_form_errors_keep_the_selection(login_as, app, campaign_id):
    client = login_as("coordinator")
    url = f"/campaigns/{campaign_id}/batch?region=North+West&type_code=MD"
    html = post(client, url, {**_form(app, "MAN"), "subject": "", "step": "preview"}).get_data(as_text=True)
    assert "Please correct the following" in html and html.count(" checked") == 1
    html = post(client, url, {**_form(app), "step": "preview"}).get_data(as_text=True)
    assert "Tick at least one council." in html
    back = post(client, url, {**_form(app, "MAN", "BOL"), "step": "back"}).get_data(as_text=True)
    assert back.count(" checked") == 2 and "Please correct" not in back


def _json(client, campaign_id, payload, token=True):
    headers = {"X-CSRFToken": csrf_token(client, "/")} if token else {}
    return client.post(f"/campaigns/{campaign_id}/batch/create", json=payload, headers=headers)


def test_chunk_endpoint_creates_and_answers_json(login_as, app, campaign_id, users):
    client = login_as("coordinator")
    payload = {
        **_form(app, "MAN", "KEN"),
        "sent_on": "2026-03-02",
        "owner_id": users["staff"],
        "allow_duplicates": False,
    }
    response = _json(client, campaign_id, payload)
    assert response.status_code == 200 and response.is_json
    assert response.json["created"] == 2 and response.json["skipped"] == 0
    assert len(response.json["created_ids"]) == 2
    response = _json(client, campaign_id, payload)  # the same chunk again (a retry) creates nothing
    assert response.json["created"] == 0 and response.json["skipped_councils"] == ["Kent", "Manchester"]
    response = _json(
        client, campaign_id, {**payload, "allow_duplicates": True, "authority_ids": payload["authority_ids"][:1]}
    )
    assert response.json["created"] == 1
    with app.app_context():
        assert _count(db.session, campaign_id) == 3
        assert {r.owner_id for r in db.session.scalars(select(FoiRequest))} == {users["staff"]}


def test_chunk_endpoint_refuses_bad_json_without_writing(login_as, app, campaign_id):
    client = login_as("coordinator")
    payload = _form(app, "MAN")
    assert _json(client, campaign_id, {**payload, "subject": ""}).status_code == 400
    assert _json(client, campaign_id, {**payload, "authority_ids": ["x"]}).status_code == 400
    assert _json(client, campaign_id, {**payload, "authority_ids": "MAN"}).status_code == 400
    assert _json(client, campaign_id, {**payload, "sent_on": "2999-01-01"}).json["field"] == "sent_on"
    response = _json(client, campaign_id, {**payload, "authority_ids": _form(app, "ALL")["authority_ids"]})
    assert response.status_code == 422 and "Allerdale" in response.json["error"]
    with app.app_context():
        assert _count(db.session) == 0


def test_chunk_endpoint_needs_the_csrf_token(login_as, app, campaign_id):
    client = login_as("coordinator")
    response = _json(client, campaign_id, _form(app, "MAN"), token=False)
    assert response.status_code == 400
    response = client.post(
        f"/campaigns/{campaign_id}/batch/create", json=_form(app, "MAN"), headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert _count(db.session) == 0


def test_staff_send_to_many_councils(login_as, app, campaign_id):
    """Campaign staff send requests, one or a batch (#19: the campaign page offers it to them)."""
    client = login_as("staff")
    assert client.get(f"/campaigns/{campaign_id}/batch").status_code == 200
    assert _json(client, campaign_id, _form(app, "MAN")).status_code == 200
    with app.app_context():
        assert _count(db.session) == 1


@pytest.mark.parametrize("role", ["author"])
def test_batch_needs_request_edit(login_as, app, campaign_id, role):
    client = login_as(role)
    assert client.get(f"/campaigns/{campaign_id}/batch").status_code == 403
    assert post(client, f"/campaigns/{campaign_id}/batch", {**_form(app, "MAN"), "step": "create"}).status_code == 403
    assert _json(client, campaign_id, _form(app, "MAN")).status_code == 403
    with app.app_context():
        assert _count(db.session) == 0


def test_unknown_campaign_is_404(login_as):
    assert login_as("admin").get("/campaigns/999999/batch").status_code == 404
