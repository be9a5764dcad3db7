"""The mail merge (#16) and the campaign's "send the drafts" page: .eml drafts in a ZIP, the CSV
for Word/Outlook, councils without an address left out and named, and who may use them
(membership enforced: another campaign's is a 404, a role without the right a 403, CSRF on POSTs)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import zipfile

from sqlalchemy import select

from fointracker.domain.mail.references import token_from_addresses
from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest, MailMessage, User
from tests.conftest import login, make_user, post
from tests.test_mail_sending import REPLY_TO, _drafts

MEMBERSHIP_ENFORCED = True


def _world(app, users, n: int = 3):
    """A campaign the coordinator runs, with `n` drafts (the last council without an address)."""
    app.config.update(MAIL_REPLY_TO=REPLY_TO, MAIL_FROM="foi@watch.example.org")
    with app.app_context():
        s = db.session
        requests = _drafts(s, n, subject='=HYPERLINK("x") care budgets')
        campaign = s.get(Campaign, requests[0].campaign_id)
        campaign.coordinators.append(s.get(User, users["coordinator"]))
        campaign.members.append(s.get(User, users["coordinator"]))
        requests[-1].authority.foi_email = ""
        s.commit()
        return campaign.id, [r.id for r in requests], requests[-1].authority.short_name


def _client(app, email_address: str):
    client = app.test_client()
    assert login(client, email_address).status_code == 302
    return client


def test_the_zip_holds_one_ready_draft_per_request_with_an_address(app, users):
    campaign_id, ids, missing = _world(app, users)
    client = _client(app, "coordinator@example.org")
    response = post(client, f"/mail/campaigns/{campaign_id}/merge.zip", {})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.endswith(".eml") for n in names)
    with app.app_context():
        tokens = {r.id: r.reply_token for r in db.session.scalars(select(FoiRequest).where(FoiRequest.id.in_(ids)))}
        addresses = {r.id: r.authority.foi_email for r in db.session.scalars(select(FoiRequest))}
    for name in names:
        request_id = int(name.split("-", 1)[0])
        message = email.message_from_bytes(archive.read(name), policy=email.policy.default)
        assert message["X-Unsent"] == "1"
        assert message["From"] is None and message["Message-ID"] is None  # the group's mail program sets them
        assert message["To"] == addresses[request_id]
        assert token_from_addresses(REPLY_TO, [message["Reply-To"]]) == tokens[request_id]
        assert f"FT-{request_id}" in message["Subject"]
        assert "adult social care budget" in message.get_content()
    assert ids[-1] not in {int(n.split("-", 1)[0]) for n in names}  # no address: not in the merge
    # The send page names the council without an address.
    page = client.get(f"/mail/campaigns/{campaign_id}/send").get_data(as_text=True)
    assert missing in page and "without an FOI address" in page


def test_the_csv_has_the_mail_merge_columns_and_is_safe_in_a_spreadsheet(app, users):
    campaign_id, ids, _missing = _world(app, users)
    client = _client(app, "coordinator@example.org")
    response = post(client, f"/mail/campaigns/{campaign_id}/merge.csv", {})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["request_id", "council", "to", "reply_to", "subject", "body"]
    assert [int(r["request_id"]) for r in rows] == ids[:2]
    for row in rows:
        assert row["to"].endswith(".gov.example") and row["reply_to"].startswith("foi+")
        assert row["subject"].startswith("'=HYPERLINK")  # a formula is text, not run
        assert "Yours faithfully" in row["body"]
    assert len({r["reply_to"] for r in rows}) == 2
    # Downloading again gives the same reply addresses: replies to either file are matched.
    again = list(
        csv.DictReader(io.StringIO(post(client, f"/mail/campaigns/{campaign_id}/merge.csv", {}).get_data(as_text=True)))
    )
    assert [r["reply_to"] for r in again] == [r["reply_to"] for r in rows]


def test_sending_the_campaign_drafts_queues_those_with_an_address_once(app, users):
    campaign_id, ids, missing = _world(app, users)
    client = _client(app, "coordinator@example.org")
    text = post(client, f"/mail/campaigns/{campaign_id}/send", {}, follow_redirects=True).get_data(as_text=True)
    assert "Queued 2 letters" in text and missing in text
    post(client, f"/mail/campaigns/{campaign_id}/send", {}, follow_redirects=True)
    with app.app_context():
        rows = list(db.session.scalars(select(MailMessage).where(MailMessage.direction == "out")))
        assert sorted(m.request_id for m in rows) == ids[:2]


def test_outsiders_get_404_others_403_and_posts_need_csrf(app, users):
    campaign_id, ids, _missing = _world(app, users)
    make_user(app, "outsider@example.org", "coordinator")
    outsider = _client(app, "outsider@example.org")
    for url in (f"/mail/campaigns/{campaign_id}/merge.zip", f"/mail/campaigns/{campaign_id}/merge.csv"):
        assert post(outsider, url, {}).status_code == 404
    assert outsider.get(f"/mail/campaigns/{campaign_id}/send").status_code == 404
    assert post(outsider, f"/mail/requests/{ids[0]}/send", {}).status_code == 404
    assert outsider.get(f"/mail/requests/{ids[0]}/letters/chaser").status_code == 404
    # The outbox lists nothing of a campaign the user is not a member of.
    coordinator = _client(app, "coordinator@example.org")
    post(coordinator, f"/mail/requests/{ids[0]}/send", {})
    with app.app_context():
        (message,) = db.session.scalars(select(MailMessage))
        message_id = message.id
    assert "FT-" not in outsider.get("/mail/outbox").get_data(as_text=True)
    assert f"FT-{ids[0]}" in coordinator.get("/mail/outbox").get_data(as_text=True)
    assert post(outsider, f"/mail/outbox/{message_id}/cancel", {}).status_code == 404
    # An author may not send.
    author = _client(app, "author@example.org")
    assert post(author, f"/mail/campaigns/{campaign_id}/merge.csv", {}).status_code == 403
    # No CSRF token: refused.
    assert coordinator.post(f"/mail/campaigns/{campaign_id}/merge.zip").status_code == 400
    assert coordinator.post(f"/mail/campaigns/{campaign_id}/send").status_code == 400
