"""Saved mappings (#17): figures taken from one council's spreadsheet saved as a mapping (by label
or by cell), previewed on other councils' differently-shaped files (real XLSX, XLS and CSV files in
the real file store), accepted all or none per council and audited, a council's own mapping reused
in a later campaign, a mapping deleted; who may do what (membership enforced), CSRF, hostile text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import xlwt
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from fointracker.extensions import db
from fointracker.models import Answer, Attachment, AuditEntry, Authority, Campaign, FileMapping, FoiRequest, Question
from fointracker.services.attachments import attach
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_figures import take_figure
from fointracker.services.file_mappings import MappingError, delete_mapping, save_mapping
from fointracker.services.foi_requests import create_request
from fointracker.services.mapping_preview import accept, files_without_figures, preview
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event
from tests.conftest import csrf_token, make_user
from tests.test_file_viewer import client_for, store_of

MEMBERSHIP_ENFORCED = True


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls(title: str, rows: list[list]) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet(title)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Kent's file, mapped by clicking; then five councils' files, each laid out its own way.
FILES = {
    "KEN": (
        "kent.xlsx",
        xlsx({"Budget": [["Adult social care (£000s)"], ["Net budget 2010/11", "1,234"], ["Staff (FTE)", 65]]}),
    ),
    # The label merged across two cells, in £m; the staff on a second sheet that states no unit.
    "CAM": (
        "cambs.xlsx",
        xlsx(
            {
                "Summary": [["Figures in £m"], ["", "NET BUDGET  2010/11:", "", 2.5]],
                "Workforce": [["Headcount"], ["Staff (FTE)", "40"]],
            }
        ),
    ),
    # An old Excel file, in pounds, the figure negative in brackets.
    "HAM": ("hants.xls", xls("Sheet1", [["Net budget 2010/11 (£)", "(1,300)"], ["Staff (FTE)", "12"]])),
    # A CSV without the staff figure.
    "SWK": ("southwark.csv", b'Net budget 2010/11,"\xc2\xa31,500,000"\n'),
    # A note where the figure should be: the council is not written, not even its staff figure.
    "BDG": ("barking.xlsx", xlsx({"Budget": [["Net budget 2010/11", "see note 3"], ["Staff (FTE)", 9]]})),
    # The label twice with different figures: ambiguous, so missing; its staff figure is written.
    "BIR": (
        "birmingham.xlsx",
        xlsx({"Budget": [["Net budget 2010/11", 10], ["Staff (FTE)", 7]], "Old": [["Net budget 2010/11", 11]]}),
    ),
}


def add_reply(app, s, foi_request: FoiRequest, data: bytes, name: str, user_id: int) -> int:
    """The council's response on the request's timeline, with its file in the file store."""
    event = add_event(
        s, foi_request, kind="response_received", occurred_on=date(2026, 3, 20), details={"outcome": "successful"},
        user_id=user_id,
    )  # fmt: skip
    attach(
        s,
        event,
        [FileStorage(io.BytesIO(data), filename=name)],
        store_of(app),
        app.config["MAX_CONTENT_LENGTH"],
        user_id,
    )
    s.commit()
    return event.attachments[-1].id


@dataclass
class World:
    campaign_id: int
    requests: dict[str, int]  # council code -> request id
    attachments: dict[str, int]
    questions: dict[str, int]


def new_campaign(s, users, title="Care budgets") -> Campaign:
    campaign = save_campaign(
        s,
        None,
        {"title": title, "description": "", "default_regime": "foia", "letter_template": ""},
        [users["coordinator"]],
        users["admin"],
        member_ids=[users["staff"], users["author"]],
    )
    s.commit()
    for code, qtype in (("b1011", "money"), ("staff", "count")):
        create_question(s, campaign, {"code": code, "label": f"{code} label", "qtype": qtype}, None)
    s.commit()
    return campaign


def new_request(s, campaign, code, user_id) -> FoiRequest:
    authority = s.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        s,
        {
            "campaign_id": campaign.id, "authority_id": authority.id, "regime": "foia", "subject": "Budgets",
            "body": "", "sent_on": date(2026, 3, 2), "received_on": None, "council_reference": "", "owner_id": None,
        },
        user_id,
    )  # fmt: skip
    s.commit()
    return foi_request


def build(app, users, files=FILES, title="Care budgets") -> World:
    with app.app_context():
        s = db.session
        campaign = new_campaign(s, users, title)
        requests, attachments = {}, {}
        for code, (name, data) in files.items():
            foi_request = new_request(s, campaign, code, users["staff"])
            requests[code] = foi_request.id
            attachments[code] = add_reply(app, s, foi_request, data, name, users["staff"])
        questions = {q.code: q.id for q in s.scalars(select(Question).where(Question.campaign_id == campaign.id))}
        return World(campaign.id, requests, attachments, questions)


@pytest.fixture
def world(app, users) -> World:
    make_user(app, "outsider@example.org", "staff")
    return build(app, users)


def take_kent(app, world, user_id, refs=(("b1011", "B2"), ("staff", "B3"))):
    with app.app_context():
        s = db.session
        attachment = s.get(Attachment, world.attachments["KEN"])
        for code, ref in refs:
            take_figure(
                s, attachment, "sheet:Budget", ref, s.get(Question, world.questions[code]), "thousands", user_id,
                store_of(app),
            )  # fmt: skip
        s.commit()


def save(app, world, user_id, by="label", scopes=("campaign",), name="Kent's layout", council="KEN"):
    with app.app_context():
        s = db.session
        saved = save_mapping(
            s,
            s.get(Campaign, world.campaign_id),
            s.get(FoiRequest, world.requests[council]),
            s.get(Attachment, world.attachments[council]),
            name,
            by,
            user_id,
            store_of(app),
            scopes=scopes,
        )
        s.commit()
        return [m.id for m in saved.mappings], saved.notes


def answers_of(app, request_id) -> dict[str, Answer]:
    with app.app_context():
        found = {}
        for a in db.session.scalars(select(Answer).where(Answer.request_id == request_id)):
            db.session.expunge(a)
            found[db.session.get(Question, a.question_id).code] = a
        return found


def council_of(shown, world, code):
    return next(c for c in shown.councils if c.request.id == world.requests[code])


# --------------------------------------------------------------------------- saving


def test_saving_by_label_and_by_cell_from_what_was_taken(app, world, users):
    with app.app_context(), pytest.raises(MappingError, match="no figure has been taken from this file yet"):
        save(app, world, users["staff"])
    take_kent(app, world, users["staff"])
    [general], notes = save(app, world, users["staff"])
    assert notes == []
    [by_cell, own], _ = save(app, world, users["staff"], by="cell", scopes=("campaign", "council"), name="cells")
    with app.app_context():
        s = db.session
        assert s.get(FileMapping, general).rules == [
            {"question": "b1011", "by": "label", "label": "Net budget 2010/11", "direction": "right"},
            {"question": "staff", "by": "label", "label": "Staff (FTE)", "direction": "right"},
        ]
        assert s.get(FileMapping, general).authority_id is None
        assert s.get(FileMapping, by_cell).rules[0] == {
            "question": "b1011",
            "by": "cell",
            "sheet": "Budget",
            "cell": "B2",
        }
        kent = s.scalar(select(Authority.id).where(Authority.code == "KEN"))
        assert s.get(FileMapping, own).authority_id == kent
        assert s.scalar(select(func.count()).where(AuditEntry.entity_type == "file_mapping")) == 3
    # Saved again under the same name and scope: replaced, not doubled.
    again, _ = save(app, world, users["staff"])
    assert again == [general]


def test_a_cell_no_label_names_is_saved_by_cell_and_said_so(app, users):
    files = {"KEN": ("kent.xlsx", xlsx({"Budget": [["Net budget 2010/11", "1,234", "1,100"], ["", "", ""]]}))}
    world = build(app, users, files)
    take_kent(app, world, users["staff"], refs=(("b1011", "C1"),))
    [mapping], notes = save(app, world, users["staff"])
    assert notes == ["b1011: no label names Budget!C1 alone, so it is found by its cell"]
    with app.app_context():
        assert db.session.get(FileMapping, mapping).rules[0]["by"] == "cell"


# --------------------------------------------------------------------------- preview and accept


def test_preview_lists_per_council_what_was_found_and_what_was_not(app, world, users):
    take_kent(app, world, users["staff"])
    [mapping_id], _ = save(app, world, users["staff"])
    with app.app_context():
        s = db.session
        waiting = files_without_figures(s, s.get(Campaign, world.campaign_id))
        assert {c.request.authority.code for c in waiting} == {"CAM", "HAM", "SWK", "BDG", "BIR"}  # Kent has figures
        shown = preview(s, s.get(Campaign, world.campaign_id), s.get(FileMapping, mapping_id), store_of(app))
        cam = council_of(shown, world, "CAM")
        assert [(v.question.code, v.parsed.number, v.sheet, v.ref, v.raw, v.unit.code) for v in cam.values] == [
            ("b1011", Decimal(2500000), "Summary", "D2", "2.5", "millions"),
            ("staff", Decimal(40), "Workforce", "B2", "40", "units"),  # its own sheet, stating no unit
        ]
        ham = council_of(shown, world, "HAM")
        assert [v.parsed.number for v in ham.values] == [Decimal(-1300), Decimal(12)]
        swk = council_of(shown, world, "SWK")
        assert [v.parsed.number for v in swk.values] == [Decimal(1500000)]
        assert [(q.code, why) for q, why in swk.missing] == [("staff", "no cell labelled 'Staff (FTE)'")]
        bdg = council_of(shown, world, "BDG")
        assert bdg.refusal.startswith("b1011: cell B1 says 'see note 3'")
        bir = council_of(shown, world, "BIR")
        assert [v.question.code for v in bir.values] == ["staff"]
        assert "labels 2 cells with different figures" in bir.missing[0][1]
        assert not cam.refusal and not bir.refusal
        assert s.scalar(select(func.count(Answer.id))) == 2  # a preview writes nothing


def test_accepting_is_all_or_nothing_per_council_audited_with_provenance(app, world, users):
    take_kent(app, world, users["staff"])
    [mapping_id], _ = save(app, world, users["staff"])
    chosen = [world.requests[c] for c in ("CAM", "HAM", "SWK", "BDG")]  # not Birmingham: accept some
    with app.app_context():
        s = db.session
        result = accept(
            s, s.get(Campaign, world.campaign_id), s.get(FileMapping, mapping_id), chosen, store_of(app),
            users["coordinator"],
        )  # fmt: skip
        s.commit()
        assert [(r.authority.code, n) for r, n in result.written] == [("CAM", 2), ("HAM", 2), ("SWK", 1)]
        [(refused, why)] = result.refused
        assert refused.authority.code == "BDG" and "see note 3" in why
    cam = answers_of(app, world.requests["CAM"])
    assert cam["b1011"].value_number == Decimal(2500000)
    assert (cam["b1011"].source_sheet, cam["b1011"].source_cell, cam["b1011"].raw, cam["b1011"].source_unit) == (
        "Summary", "D2", "2.5", "millions",
    )  # fmt: skip
    assert cam["b1011"].source_attachment_id == world.attachments["CAM"]
    assert cam["b1011"].source_mapping_id == mapping_id and cam["b1011"].entered_by_id == users["coordinator"]
    assert answers_of(app, world.requests["BDG"]) == {}  # its staff figure parsed, but the council is all or none
    assert answers_of(app, world.requests["BIR"]) == {}  # not chosen
    with app.app_context():
        s = db.session
        created = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "answer", AuditEntry.action == "created")
        ).all()
        by_mapping = [e for e in created if e.after.get("source_mapping_id") == mapping_id]
        assert len(by_mapping) == 5 and all(e.user_id == users["coordinator"] for e in by_mapping)
        assert by_mapping[0].after["source_cell"] and by_mapping[0].after["raw"]
        assert s.get(FoiRequest, world.requests["CAM"]).figures_entered is True
        assert s.get(FoiRequest, world.requests["SWK"]).figures_entered is False  # staff still to enter
        # The unit the preview showed is confirmed for a file in one unit; one in two is left for the viewer.
        assert s.get(Attachment, world.attachments["HAM"]).figures_unit == "units"
        assert s.get(Attachment, world.attachments["CAM"]).figures_unit is None
        # Accepted again: those councils have figures now, and are left alone.
        again = accept(
            s, s.get(Campaign, world.campaign_id), s.get(FileMapping, mapping_id), chosen[:1], store_of(app),
            users["coordinator"],
        )  # fmt: skip
        assert again.written == [] and "figures already" in again.refused[0][1]


def test_accepting_after_the_preview_reads_no_file_again_and_writes_what_it_showed(app, world, users, monkeypatch):
    """The findings of a preview are kept by the file's content and the rules
    (services/mapping_findings.py): its accept reads nothing again; other rules read afresh."""
    from fointracker.services import mapping_findings

    take_kent(app, world, users["staff"])
    [mapping_id], _ = save(app, world, users["staff"])
    reads = []
    real_read = mapping_findings.read_file
    monkeypatch.setattr(mapping_findings, "read_file", lambda *a: reads.append(a[1].id) or real_read(*a))
    with app.app_context():
        s = db.session
        campaign, mapping = s.get(Campaign, world.campaign_id), s.get(FileMapping, mapping_id)
        shown = preview(s, campaign, mapping, store_of(app))
        previewed = len(reads)
        assert previewed == 5  # the five councils without figures, one file each
        result = accept(s, campaign, mapping, [world.requests["CAM"]], store_of(app), users["coordinator"])
        assert len(reads) == previewed  # nothing read again
        [cam] = [c for c in shown.councils if c.request.id == world.requests["CAM"]]
        written = {a.question_id: a for a in s.scalars(select(Answer).where(Answer.request_id == cam.request.id))}
        assert [(written[v.question.id].source_cell, written[v.question.id].value_number) for v in cam.values] == [
            (v.ref, v.parsed.number) for v in cam.values
        ]
        assert [r.authority.code for r, _n in result.written] == ["CAM"]
        mapping.rules = [{**rule, "direction": "below"} for rule in mapping.rules]  # other rules: read again
        preview(s, campaign, mapping, store_of(app))
        assert len(reads) == previewed + 4
        s.rollback()


def test_a_councils_own_mapping_wins_and_is_reused_in_a_later_campaign(app, world, users):
    take_kent(app, world, users["staff"])
    save(app, world, users["staff"], by="cell", scopes=("council",), name="Kent's own")
    # The next year's campaign: Kent answers on the same template, with other figures.
    files = {"KEN": ("kent 2012.xlsx", xlsx({"Budget": [["Social care"], ["Spend", "2,000"], ["People", 70]]}))}
    later = build(app, users, files, title="Care budgets 2012")
    with app.app_context():
        s = db.session
        campaign = s.get(Campaign, later.campaign_id)
        shown = preview(s, campaign, None, store_of(app))  # councils' own mappings only
        [kent] = shown.councils
        assert kent.own_mapping.name == "Kent's own"
        assert [(v.question.code, v.ref, v.parsed.number) for v in kent.values] == [
            ("b1011", "B2", Decimal(2000)),  # no unit stated, none confirmed: as shown
            ("staff", "B3", Decimal(70)),
        ]
        # A general mapping by label ("Net budget 2010/11") would find nothing: Kent's own wins.
        general = FileMapping(
            campaign_id=campaign.id, name="General", unit="",
            rules=[{"question": "b1011", "by": "label", "label": "Net budget 2010/11", "direction": "right"}],
        )  # fmt: skip
        s.add(general)
        s.commit()
        [kent] = preview(s, campaign, general, store_of(app)).councils
        assert [v.ref for v in kent.values] == ["B2", "B3"] and kent.missing == []
        result = accept(s, campaign, general, [later.requests["KEN"]], store_of(app), users["staff"])
        s.commit()
        assert result.answers == 2
    own_id = answers_of(app, later.requests["KEN"])["b1011"].source_mapping_id
    with app.app_context():
        assert db.session.get(FileMapping, own_id).name == "Kent's own"


def test_deleting_a_mapping_keeps_the_figures_and_forgets_the_mapping(app, world, users):
    take_kent(app, world, users["staff"])
    [mapping_id], _ = save(app, world, users["staff"])
    with app.app_context():
        s = db.session
        campaign, mapping = s.get(Campaign, world.campaign_id), s.get(FileMapping, mapping_id)
        accept(s, campaign, mapping, [world.requests["HAM"]], store_of(app), users["staff"])
        s.commit()
        assert delete_mapping(s, s.get(FileMapping, mapping_id), users["coordinator"]) == 2
        s.commit()
        assert s.get(FileMapping, mapping_id) is None
        entry = s.scalar(
            select(AuditEntry).where(AuditEntry.entity_type == "file_mapping", AuditEntry.action == "deleted")
        )
        assert entry.after["answers_forgetting_it"] == 2 and entry.before["name"] == "Kent's layout"
    ham = answers_of(app, world.requests["HAM"])
    assert ham["b1011"].value_number == Decimal(-1300) and ham["b1011"].source_mapping_id is None
    assert ham["b1011"].source_cell == "B1"


# --------------------------------------------------------------------------- pages


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def test_the_pages_save_preview_and_accept(app, world, users):
    take_kent(app, world, users["staff"])
    staff = client_for(app, "staff")
    viewer = staff.get(f"/figures/documents/{world.attachments['KEN']}").get_data(as_text=True)
    assert "Save as mapping" in viewer
    response = _post(
        staff,
        f"/figures/documents/{world.attachments['KEN']}/mapping",
        {"name": "Kent's layout", "by": "label", "scope": ["campaign"]},
    )
    assert response.status_code == 302
    listing = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kent&#39;s layout" in listing and "every council" in listing and "Net budget 2010/11" in listing
    with app.app_context():
        mapping_id = db.session.scalar(select(FileMapping.id))
    base = f"/figures/campaigns/{world.campaign_id}/mappings"
    page = staff.get(f"{base}/preview?mapping={mapping_id}").get_data(as_text=True)
    assert "£2,500,000" in page and "Summary!D2" in page and "(£m)" in page
    assert "no cell labelled &#39;Staff (FTE)&#39;" in page
    assert "Not saved if accepted: b1011: cell B1 says &#39;see note 3&#39;" in page
    assert f'name="request" value="{world.requests["BDG"]}"' not in page  # it cannot be ticked
    result = _post(staff, f"{base}/accept", {"mapping": str(mapping_id), "request": [str(world.requests["CAM"])]})
    assert result.status_code == 200
    assert "2 figures saved for 1 council" in result.get_data(as_text=True)
    assert answers_of(app, world.requests["CAM"])["staff"].value_number == Decimal(40)
    # Posted values are not read: only the councils chosen; the figures come from the files.
    _post(staff, f"{base}/accept", {"mapping": str(mapping_id), "request": [str(world.requests["HAM"])], "value": "9"})
    assert answers_of(app, world.requests["HAM"])["b1011"].value_number == Decimal(-1300)
    deleted = _post(staff, f"{base}/{mapping_id}/delete", {})
    assert deleted.status_code == 302
    assert "Deleted the mapping" in staff.get(deleted.headers["Location"]).get_data(as_text=True)


def test_who_may_do_what_and_csrf(app, world, users):
    take_kent(app, world, users["staff"])
    [mapping_id], _ = save(app, world, users["staff"])
    base = f"/figures/campaigns/{world.campaign_id}/mappings"
    accept_form = {"mapping": str(mapping_id), "request": [str(world.requests["HAM"])]}
    outsider = client_for(app, "outsider@example.org")
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}/preview?mapping={mapping_id}").status_code == 404
    assert _post(outsider, f"{base}/accept", accept_form).status_code == 404
    assert _post(outsider, f"{base}/{mapping_id}/delete", {}).status_code == 404
    author = client_for(app, "author")
    assert author.get(base).status_code == 200  # a member reads the list
    assert author.get(f"{base}/preview?mapping={mapping_id}").status_code == 403
    assert _post(author, f"{base}/accept", accept_form).status_code == 403
    assert _post(author, f"{base}/{mapping_id}/delete", {}).status_code == 403
    save_url = f"/figures/documents/{world.attachments['KEN']}/mapping"
    assert _post(author, save_url, {"name": "x", "by": "cell", "scope": "campaign"}).status_code == 403
    assert app.test_client().get(base).status_code == 302  # to the login page
    staff = client_for(app, "staff")
    assert staff.post(f"{base}/accept", data=accept_form).status_code == 400  # no token
    assert staff.post(f"{base}/{mapping_id}/delete").status_code == 400
    # Another campaign's mapping is not this campaign's.
    other = build(app, users, {}, title="Other")
    assert staff.get(f"/figures/campaigns/{other.campaign_id}/mappings/preview?mapping={mapping_id}").status_code == 404
    assert answers_of(app, world.requests["HAM"]) == {}
    with app.app_context():
        assert db.session.get(FileMapping, mapping_id) is not None


def test_hostile_labels_and_names_are_escaped(app, users):
    hostile = "<script>alert(1)</script>"
    files = {
        "KEN": ("kent.xlsx", xlsx({"Budget": [[hostile, "1"]]})),
        "CAM": ("cambs.xlsx", xlsx({"Budget": [["Other", "2"]]})),
    }
    world = build(app, users, files)
    take_kent(app, world, users["staff"], refs=(("b1011", "B1"),))
    [mapping_id], _ = save(app, world, users["staff"], name="<img src=x onerror=alert(2)>")
    staff = client_for(app, "staff")
    base = f"/figures/campaigns/{world.campaign_id}/mappings"
    for html in (
        staff.get(base).get_data(as_text=True),
        staff.get(f"{base}/preview?mapping={mapping_id}").get_data(as_text=True),
    ):
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    page = staff.get(f"{base}/preview?mapping={mapping_id}").get_data(as_text=True)
    assert "no cell labelled &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in page
