"""The mail pages (#16): the intake page (triage inbox, uploads of many .eml at once), a
message's page (text only, files as downloads, the suggested step: confirm, correct, dismiss,
file by hand), the request page's mail, and who may see and do what (membership enforced)."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest, RequestEvent, User
from fointracker.models.mail import MailMessage
from fointracker.services.mail_filing import arrived_on
from fointracker.services.mail_intake import receive
from tests.conftest import csrf_token, login, make_user, post
from tests.mail_intake_support import REPLY_TO, bounce, build_world, eml, store_of
from tests.mail_samples import REPLY_TEMPLATE, REPLY_TOKEN, sample, sample_names

MEMBERSHIP_ENFORCED = True  # services.access as in production: members see their campaigns only

ACKNOWLEDGEMENT = "Thank you for your request for information. We will respond within 20 working days."


@pytest.fixture
def world(app, users):
    # No app context is held open while the clients make requests: Flask would share it (and its
    # `g`, where Flask-Login keeps the signed-in user) between the clients' requests.
    app.config["MAIL_REPLY_TO"] = REPLY_TO
    with app.app_context():
        built = build_world(db.session, users["admin"])
        care = db.session.get(Campaign, built.campaign_id)
        care.members = [db.session.get(User, users["staff"]), db.session.get(User, users["author"])]
        care.coordinators = [db.session.get(User, users["coordinator"])]
        db.session.commit()
    make_user(app, "outsider@example.org", "staff")
    return built


def take(app, raw: bytes):
    with app.app_context():
        result = receive(db.session, raw, source="pipe", store=store_of(app), config=app.config)
        db.session.commit()
        return result.message.id


@contextmanager
def database(app):
    with app.app_context():
        yield db.session


def as_user(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def upload(client, url: str, files: list[tuple[bytes, str]]):
    return post(
        client,
        url,
        {"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


# ---------------------------------------------------------------- the upload door


def test_several_emails_uploaded_at_once_each_say_where_they_went(app, world):
    client = as_user(app, "staff@example.org")
    filed = eml(subject=f"Re: FT-{world.kent_id}", message_id="<up-1@kent.gov.uk>")
    stranger = eml(from_="stranger@nowhere.example", subject="Hello", message_id="<up-2@nowhere.example>")
    response = upload(
        client,
        "/mail/upload",
        [
            (filed, "reply.eml"),
            (stranger, "hello.eml"),
            (filed, "reply again.eml"),
            (b"", "empty.eml"),
            (b"x", "a.pdf"),
        ],
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "filed to the request to Kent" in html
    assert "in triage" in html
    assert "received before" in html  # the same file twice is filed once
    assert "the message is empty" in html
    assert "not an email file" in html
    with database(app) as s:
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 2
        assert set(s.scalars(select(MailMessage.source))) == {"upload"}


def test_every_real_world_shape_uploaded_at_once_outlook_msg_included(app, world):
    app.config["MAIL_REPLY_TO"] = REPLY_TEMPLATE
    with database(app) as s:
        s.get(FoiRequest, world.kent_id).reply_token = REPLY_TOKEN
        s.commit()
    names = [*sample_names(".eml"), "outlook_reply.msg"]
    response = upload(as_user(app, "staff@example.org"), "/mail/upload", [(sample(n), n) for n in names])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<tr class="result-') == len(names)
    assert "refused" not in html and "result-refused" not in html
    with database(app) as s:
        assert s.scalar(select(func.count()).select_from(MailMessage)) == len(names)
        outlook = s.scalar(select(MailMessage).where(MailMessage.message_id == "<outlook-0412@barsetshire.gov.uk>"))
        assert outlook.request_id == world.kent_id and [a.filename for a in outlook.attachments][0] == "response.pdf"


def test_an_email_uploaded_on_a_request_page_is_filed_on_that_request(app, world):
    client = as_user(app, "staff@example.org")
    raw = eml(from_="stranger@nowhere.example", subject="Forwarded answer", message_id="<fw@x>")
    response = upload(client, f"/mail/requests/{world.hampshire_id}/upload", [(raw, "answer.eml")])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/requests/{world.hampshire_id}#mail")
    with database(app) as s:
        message = s.scalar(select(MailMessage))
        assert message.request_id == world.hampshire_id and message.match_reason == "uploaded on this request's page"
    page = client.get(f"/requests/{world.hampshire_id}").get_data(as_text=True)
    assert page.count('id="mail"') == 1 and "Forwarded answer" in page  # one target for the #mail links


# ---------------------------------------------------------------- a message's page


def test_a_message_page_shows_text_only_and_files_as_downloads(app, world):
    raw = eml(
        subject=f"Re: FT-{world.kent_id} <b>bold</b>",
        body='Hello <script>alert("x")</script> there.',
        attachments=(
            ("Response.pdf", "application/pdf", b"%PDF-1.4 r"),
            ("page.html", "text/html", b"<script>alert(1)</script>"),
        ),
    )
    message_id = take(app, raw)
    client = as_user(app, "author@example.org")
    html = client.get(f"/mail/{message_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "our reference FT-" in html  # the reason it was filed here
    with database(app) as s:
        attachment_ids = [a.id for a in s.get(MailMessage, message_id).attachments]
    assert len(attachment_ids) == 2
    for attachment_id in attachment_ids:
        response = client.get(f"/mail/{message_id}/files/{attachment_id}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "html" not in response.headers["Content-Type"]
    original = client.get(f"/mail/{message_id}/original")
    assert original.headers["Content-Disposition"].startswith("attachment") and original.data == raw


def test_confirm_from_the_request_page_records_the_step_and_dismiss_records_none(app, world):
    ack = take(app, eml(subject=f"FT-{world.kent_id}", body=ACKNOWLEDGEMENT, message_id="<ack@kent.gov.uk>"))
    other = take(app, eml(subject=f"FT-{world.kent_id}", body=ACKNOWLEDGEMENT, message_id="<ack2@kent.gov.uk>"))
    client = as_user(app, "staff@example.org")
    page = client.get(f"/requests/{world.kent_id}").get_data(as_text=True)
    assert "Suggested: <strong>Acknowledged" in page
    acknowledged = select(RequestEvent).where(RequestEvent.kind == "acknowledged")
    with database(app) as s:
        assert s.scalars(acknowledged).all() == []
    response = post(client, f"/mail/{ack}/confirm", {"next": "request"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#mail")
    with database(app) as s:
        event = s.scalar(acknowledged)
        assert event is not None and {a.original_name for a in event.attachments} == {"message.txt"}
    assert post(client, f"/mail/{other}/dismiss", {}).status_code == 302
    with database(app) as s:
        assert s.get(MailMessage, other).suggestion_state == "dismissed"
        assert len(s.scalars(acknowledged).all()) == 1


def test_correct_records_another_step_with_its_details(app, world):
    message_id = take(app, eml(subject=f"FT-{world.kent_id}", body=ACKNOWLEDGEMENT))
    client = as_user(app, "staff@example.org")
    with database(app) as s:
        day = arrived_on(s.get(MailMessage, message_id))
    response = post(
        client,
        f"/mail/{message_id}/correct",
        {
            "kind": "response_received",
            "occurred_on": day.isoformat(),
            "outcome": "refused",
            "exemptions": ["s12"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with database(app) as s:
        kent = s.get(FoiRequest, world.kent_id)
        assert (kent.status, kent.outcome, kent.responded_on) == ("responded", "refused", day)
        event = s.scalar(select(RequestEvent).where(RequestEvent.kind == "response_received"))
        assert event.details == {"outcome": "refused", "exemptions": ["s12"]}
        assert {a.original_name for a in event.attachments} == {"message.txt"}


def test_a_triage_message_is_found_and_filed_by_hand(app, world):
    message_id = take(app, eml(from_="stranger@nowhere.example", subject="Our answer", body=ACKNOWLEDGEMENT))
    client = as_user(app, "staff@example.org")
    # The message has no campaign yet: admins and coordinators sort it, not every member.
    assert client.get(f"/mail/{message_id}").status_code == 404
    client = as_user(app, "coordinator@example.org")
    assert "Our answer" in client.get("/mail/").get_data(as_text=True)
    page = client.get(f"/mail/{message_id}?q=Hampshire").get_data(as_text=True)
    assert "File here" in page and "Hampshire" in page
    response = post(client, f"/mail/{message_id}/assign", {"request_id": world.hampshire_id})
    assert response.status_code == 302
    with database(app) as s:
        message = s.get(MailMessage, message_id)
        assert (message.status, message.request_id, message.campaign_id) == (
            "filed",
            world.hampshire_id,
            world.campaign_id,
        )
        assert message.suggestion_state == "pending"  # the step its text suggests, once it has a request
    # Now a member of the campaign sees it.
    assert as_user(app, "staff@example.org").get(f"/mail/{message_id}").status_code == 200


# ---------------------------------------------------------------- who may see and do what


def test_a_non_member_can_neither_see_nor_act_on_a_campaigns_mail(app, world):
    message_id = take(app, eml(subject=f"FT-{world.kent_id}", body=ACKNOWLEDGEMENT))
    with database(app) as s:
        assert s.get(MailMessage, message_id).campaign_id == world.campaign_id
    outsider = as_user(app, "outsider@example.org")
    assert outsider.get(f"/mail/{message_id}").status_code == 404
    assert outsider.get(f"/mail/{message_id}/original").status_code == 404
    assert f"/mail/{message_id}" not in outsider.get("/mail/?state=all").get_data(as_text=True)
    for action in ("confirm", "dismiss"):
        assert post(outsider, f"/mail/{message_id}/{action}", {}).status_code == 404
    assert post(outsider, f"/mail/{message_id}/assign", {"request_id": world.kent_id}).status_code == 404
    response = upload(outsider, f"/mail/requests/{world.kent_id}/upload", [(eml(message_id="<o@x>"), "a.eml")])
    assert response.status_code == 404
    with database(app) as s:
        assert s.get(MailMessage, message_id).suggestion_state == "pending"
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 1
    # An author (a member) reads it but may not act.
    author = as_user(app, "author@example.org")
    assert author.get(f"/mail/{message_id}").status_code == 200
    assert post(author, f"/mail/{message_id}/confirm", {}).status_code == 403


def test_every_post_needs_the_csrf_token(app, world):
    message_id = take(app, eml(subject=f"FT-{world.kent_id}", body=ACKNOWLEDGEMENT))
    client = as_user(app, "staff@example.org")
    csrf_token(client, "/")  # a session with a token, which the forms below leave out
    for url, data in (
        (f"/mail/{message_id}/confirm", {}),
        (f"/mail/{message_id}/dismiss", {}),
        (f"/mail/{message_id}/assign", {"request_id": world.kent_id}),
        ("/mail/upload", {"files": [(io.BytesIO(eml()), "a.eml")]}),
    ):
        assert client.post(url, data=data, content_type="multipart/form-data").status_code == 400, url
    with database(app) as s:
        assert s.get(MailMessage, message_id).suggestion_state == "pending"
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 1


def test_a_bounce_shows_on_the_dashboards_to_do_until_dealt_with(app, world):
    original = eml(to="foi@kent.gov.uk", headers={"Reply-To": "foi+" + "k" * 32 + "@replies.example.org"})
    message_id = take(app, bounce(original=original, recipient="foi@kent.gov.uk"))
    client = as_user(app, "staff@example.org")
    html = client.get("/?scope=all").get_data(as_text=True)
    assert 'id="todo-mail_bounced"' in html and 'href="#mail-bounced">1<' in html
    assert post(client, f"/mail/{message_id}/dismiss", {}).status_code == 302
    html = client.get("/?scope=all").get_data(as_text=True)
    assert 'id="mail-bounced"' not in html


def test_the_intake_page_says_what_to_do_when_triage_is_empty(app, world):
    html = as_user(app, "coordinator@example.org").get("/mail/").get_data(as_text=True)
    assert "Nothing waits in triage" in html and 'action="/mail/upload"' in html
