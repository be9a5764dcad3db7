"""Councils' FOI addresses (issue #16, "Addresses"): the register's address with its source and
the day it was checked, a campaign's own address that wins over it, the import of the group's
own list (`fointracker authorities contacts import`), and the batch preview's list of councils
without one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select

from fointracker import clock
from fointracker.domain.email_addresses import address_problem
from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, CampaignContact
from fointracker.services.campaigns import save_campaign
from fointracker.services.contacts import (
    CAMPAIGN,
    REGISTER,
    AddressError,
    councils_without_address,
    foi_address,
    foi_addresses,
    import_contacts,
    set_campaign_address,
)
from tests.conftest import login, make_user, post
from tests.test_cli import run_cli

MEMBERSHIP_ENFORCED = True  # tests/conftest.py opens every campaign to everyone elsewhere
CAMPAIGN_VALUES = {"description": "", "default_regime": "foia", "letter_template": "Dear {authority_name}"}
DAY = date(2026, 3, 2)


def _council(code: str) -> Authority:
    return db.session.scalar(select(Authority).where(Authority.code == code))


def _addresses() -> dict[str, tuple[str, str, date | None]]:
    rows = db.session.execute(
        select(Authority.code, Authority.foi_email, Authority.foi_email_source, Authority.foi_email_checked_on).where(
            Authority.foi_email != ""
        )
    )
    return {code: (email, source, checked) for code, email, source, checked in rows}


def _campaign(title: str, coordinators: list[int], by: int | None, members: list[int] | None = None) -> int:
    campaign = save_campaign(db.session, None, {**CAMPAIGN_VALUES, "title": title}, coordinators, by, members)
    db.session.commit()
    return campaign.id


# ---------------------------------------------------------------- what an address is


@pytest.mark.parametrize(
    "text, reason",
    [
        ("FOI Team <foi@kent.gov.uk>", "without a name"),
        ("foi@kent.gov.uk, info@kent.gov.uk", "one address only"),
        ("foi@kent.gov.uk\r\nBcc: everyone@example.org", "one line"),
        ("foi@kent.gov.uk\nx", "one line"),
        ("foi.kent.gov.uk", "needs one @"),
        ("foi@kent", "not a valid email address"),
        ("foi@@kent.gov.uk", "needs one @"),
        ("", "give an email address"),
    ],
)
def test_an_address_is_one_bare_address_or_a_reason(text, reason):
    problem = address_problem(text)
    assert problem is not None and reason in problem


def test_a_plain_address_passes():
    assert address_problem("foi.requests@kent.gov.uk") is None
    assert address_problem("information.governance+foi@council.gov.uk") is None


# ---------------------------------------------------------------- the import


def test_import_adds_changes_and_marks_checked(session):
    kent = _council("KEN")
    kent.foi_email = "old@kent.gov.uk"
    session.commit()
    data = (
        b"authority,foi_email,source\n"
        b"KEN,foi@kent.gov.uk,council website\n"
        b"E10000014,foi@hants.gov.uk,\n"  # Hampshire by its GSS code; no source: the file's name
    )
    result = import_contacts(session, "our-list.csv", data, DAY)
    session.commit()
    assert not result.problems
    assert (result.added, result.changed, result.unchanged) == (1, 1, 0)
    assert _addresses() == {
        "KEN": ("foi@kent.gov.uk", "council website", DAY),
        "HAM": ("foi@hants.gov.uk", "our-list.csv", DAY),
    }
    # Once more, a day later: nothing is new, but every address was checked again.
    again = import_contacts(session, "our-list.csv", data, date(2026, 3, 3))
    session.commit()
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    assert _addresses()["KEN"][2] == date(2026, 3, 3)
    assert session.scalar(select(func.count()).where(AuditEntry.entity_type == "authority")) == 4


def test_import_tolerates_bom_crlf_and_header_case(session):
    data = "\ufeffAuthority,FOI_Email\r\nken,foi@kent.gov.uk\r\n\r\n".encode()
    result = import_contacts(session, "list.csv", data, DAY)
    session.commit()
    assert not result.problems and result.added == 1
    assert _addresses() == {"KEN": ("foi@kent.gov.uk", "list.csv", DAY)}


def test_import_is_all_or_nothing_and_names_every_row_and_column(session):
    data = (
        b"authority,foi_email\n"
        b"KEN,foi@kent.gov.uk\n"
        b"HAM,FOI <foi@hants.gov.uk>\n"
        b"NOPE,foi@nope.gov.uk\n"
        b"KEN,other@kent.gov.uk\n"
        b"MAN,\n"
    )
    result = import_contacts(session, "list.csv", data, DAY)
    session.commit()
    lines = result.error_lines()
    assert lines[0].startswith("row 3, column foi_email: give the address alone")
    assert lines[1].startswith("row 4, column authority: no council has the code or GSS code 'NOPE'")
    assert lines[2] == "row 5, column authority: Kent County Council (KEN) is also on row 2"
    assert lines[3] == "row 6, column foi_email: give an email address"
    assert len(lines) == 4
    assert _addresses() == {}  # Kent's good row was not written either


def test_import_refuses_a_missing_column_and_too_many_rows(session):
    result = import_contacts(session, "list.csv", b"authority,email\nKEN,foi@kent.gov.uk\n", DAY)
    assert [p[:2] for p in result.problems] == [(1, "foi_email")]
    rows = "authority,foi_email\n" + "KEN,foi@kent.gov.uk\n" * 5_001
    result = import_contacts(session, "list.csv", rows.encode(), DAY)
    assert result.problems == [(1, "(file)", "more than 5,000 rows: split the file")]
    assert _addresses() == {}


def test_cli_import_prints_counts_and_exits_2_on_errors(app, tmp_path):
    good = tmp_path / "councils.csv"
    good.write_text("authority,foi_email,source\r\nKEN,foi@kent.gov.uk,council website\r\n", encoding="utf-8-sig")
    run = run_cli(app, "authorities", "contacts", "import", str(good))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "FOI addresses: 1 added, 0 changed, 0 unchanged."
    bad = tmp_path / "bad.csv"
    bad.write_text("authority,foi_email\nHAM,foi@hants.gov.uk\nKEN,not an address\n")
    run = run_cli(app, "authorities", "contacts", "import", str(bad))
    assert run.returncode == 2
    assert "row 3, column foi_email: give one address only" in run.stderr
    assert "nothing imported: 1 error(s)." in run.stderr
    with app.app_context():
        assert _addresses() == {"KEN": ("foi@kent.gov.uk", "council website", clock.today())}
        db.session.remove()


def test_cli_import_refuses_a_file_too_large_to_read(app, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"authority,foi_email\n" + b"#" * (2 * 1024 * 1024 + 1))
    run = run_cli(app, "authorities", "contacts", "import", str(big))
    assert run.returncode == 2
    assert "big.csv: larger than the 2 MB read: split the file" in run.stderr


# ---------------------------------------------------------------- which address applies


def test_a_campaigns_address_wins_over_the_registers(session):
    kent, hampshire, durham = _council("KEN"), _council("HAM"), _council("DUR")
    kent.foi_email, hampshire.foi_email = "foi@kent.gov.uk", "foi@hants.gov.uk"
    ours, other = _campaign("Ours", [], None), _campaign("Other", [], None)
    set_campaign_address(session, ours, kent, "asc.foi@kent.gov.uk", None)
    session.commit()
    assert foi_address(session, ours, kent.id) == ("asc.foi@kent.gov.uk", CAMPAIGN)
    assert foi_address(session, other, kent.id) == ("foi@kent.gov.uk", REGISTER)
    assert foi_address(session, ours, durham.id) == ("", "")
    assert foi_addresses(session, ours, [kent.id, hampshire.id, durham.id]) == {
        kent.id: ("asc.foi@kent.gov.uk", CAMPAIGN),
        hampshire.id: ("foi@hants.gov.uk", REGISTER),
    }
    assert councils_without_address(session, ours, [kent, hampshire, durham]) == [durham]
    # Cleared: the register's address applies again.
    set_campaign_address(session, ours, kent, "  ", None)
    session.commit()
    assert foi_address(session, ours, kent.id) == ("foi@kent.gov.uk", REGISTER)
    assert session.scalar(select(func.count(CampaignContact.id))) == 0


def test_a_campaign_address_is_checked_like_the_registers(session):
    ours = _campaign("Ours", [], None)
    with pytest.raises(AddressError, match="without a name"):
        set_campaign_address(session, ours, _council("KEN"), "Kent <foi@kent.gov.uk>", None)


def test_a_whole_campaigns_addresses_are_read_in_one_query(session):
    councils = list(session.scalars(select(Authority).where(Authority.region == "North West")))
    for council in councils:
        council.foi_email = f"foi@{council.code.lower()}.gov.uk"
    ours = _campaign("Ours", [], None)
    set_campaign_address(session, ours, councils[0], "asc@example.gov.uk", None)
    session.commit()
    ids = [c.id for c in councils]
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        found = foi_addresses(session, ours, ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 1
    assert len(found) == len(councils) > 30
    assert found[ids[0]] == ("asc@example.gov.uk", CAMPAIGN)


# ---------------------------------------------------------------- pages


def test_admin_edits_the_address_its_source_and_checked_date(app, client, users):
    login(client, "admin@example.org")
    form = {
        "official_name": "Kent County Council",
        "short_name": "Kent",
        "foi_email": "FOI <foi@kent.gov.uk>",
        "foi_email_source": "council website",
        "foi_email_checked_on": "2026-03-02",
        "website": "",
    }
    page = post(client, "/councils/KEN/edit", form).get_data(as_text=True)
    assert "give the address alone, without a name or angle brackets" in page
    response = post(client, "/councils/KEN/edit", {**form, "foi_email": " foi@kent.gov.uk "})
    assert response.status_code == 302
    with app.app_context():
        assert _addresses() == {"KEN": ("foi@kent.gov.uk", "council website", DAY)}
        db.session.remove()
    page = client.get("/councils/KEN").get_data(as_text=True)
    assert "foi@kent.gov.uk" in page and "from council website, checked Mon 2 Mar 2026" in page


def test_campaign_address_page_for_its_coordinator(app, client, users):
    with app.app_context():
        ours = _campaign("Ours", [users["coordinator"]], users["coordinator"])
    login(client, "coordinator@example.org")
    url = f"/councils/KEN/campaigns/{ours}/address"
    assert client.get(url).status_code == 200
    page = post(client, url, {"foi_email": "a@kent.gov.uk; b@kent.gov.uk"}).get_data(as_text=True)
    assert "give one address only" in page
    assert post(client, url, {"foi_email": "asc@kent.gov.uk"}).status_code == 302
    with app.app_context():
        assert foi_address(db.session, ours, _council("KEN").id) == ("asc@kent.gov.uk", CAMPAIGN)
        db.session.remove()
    assert "Ours: asc@kent.gov.uk" in client.get("/councils/KEN").get_data(as_text=True)


def test_only_the_campaigns_people_may_set_its_address(app, client, users):
    """Staff may never set it (a campaign's settings are its coordinators'); a coordinator who is not
    a member of the campaign is answered as if it did not exist; nothing is written either way."""
    with app.app_context():
        theirs = _campaign("Theirs", [], users["admin"], [users["staff"]])
        make_user(app, "coordinator2@example.org", "coordinator")
    url = f"/councils/KEN/campaigns/{theirs}/address"
    for email, status in (("staff@example.org", 403), ("coordinator2@example.org", 404)):
        client = app.test_client()
        assert login(client, email).status_code == 302
        assert client.get(url).status_code == status
        assert post(client, url, {"foi_email": "evil@example.org"}).status_code == status
    with app.app_context():
        assert db.session.scalar(select(func.count(CampaignContact.id))) == 0
        db.session.remove()


def test_setting_a_campaign_address_needs_the_csrf_token(app, client, users):
    with app.app_context():
        ours = _campaign("Ours", [users["coordinator"]], users["coordinator"])
    login(client, "coordinator@example.org")
    response = client.post(f"/councils/KEN/campaigns/{ours}/address", data={"foi_email": "forged@example.org"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(CampaignContact.id))) == 0
        db.session.remove()


def test_batch_preview_lists_councils_without_an_address(app, client, users):
    with app.app_context():
        ours = _campaign("Ours", [users["coordinator"]], users["coordinator"])
        kent, hampshire, durham = _council("KEN"), _council("HAM"), _council("DUR")
        kent.foi_email = "foi@kent.gov.uk"
        set_campaign_address(db.session, ours, hampshire, "asc@hants.gov.uk", None)
        db.session.commit()
        ids = [str(a.id) for a in (kent, hampshire, durham)]
        db.session.remove()
    login(client, "coordinator@example.org")
    response = post(client, f"/campaigns/{ours}/batch", {"authority_ids": ids, "subject": "Budgets", "step": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 council has no FOI email address" in page
    warning = page.split('class="flash flash-warning no-address-warning"', 1)[1].split("</section>", 1)[0]
    assert "Durham" in warning and "Kent" not in warning and "Hampshire" not in warning
    assert f'href="/councils/DUR/campaigns/{ours}/address"' in warning
    # A warning only: the batch can still be created.
    assert 'value="create"' in page
