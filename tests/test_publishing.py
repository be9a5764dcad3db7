"""Publishing a report (#18): versions frozen at publish time, republishing, unpublishing,
small numbers suppressed on the page and in the downloads, the public responses' headers, and
the author's page."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from fointracker.models import Answer, PublishedReport, PublishedReportVersion, Question
from fointracker.services import publishing
from fointracker.services.publishing import (
    PublishError,
    default_options,
    find_public_version,
    list_versions,
    publish,
    republish,
    unpublish,
)
from tests.conftest import csrf_token, login
from tests.test_report import councils, new_campaign, worked  # noqa: F401  (worked: the fixture)

CODES = ("B1011", "B1112", "STAFF", "EIA", "HOW")


def url_of(slug: str, number: int) -> str:
    return f"https://example.org/p/{slug}/v/{number}"


def public_urls(slug: str, number: int = 1) -> list[str]:
    return [
        f"/p/{slug}",
        f"/p/{slug}/v/{number}",
        f"/p/{slug}/data.csv",
        f"/p/{slug}/data.xlsx",
        f"/p/{slug}/v/{number}/data.csv",
        f"/p/{slug}/v/{number}/data.xlsx",
    ]


def _publish(session, campaign, users, note="", **options):
    chosen = default_options(session, campaign)
    values = chosen.as_json() | options
    version = publish(
        session,
        campaign,
        publishing.options_from_json(values, list(CODES)),
        note,
        users["author"],
        url_of,
    )
    session.commit()
    return version


def _small_staff(session, campaign):
    """Barking and Dagenham's social workers: 3, a small number."""
    staff = session.scalar(select(Question).where(Question.campaign_id == campaign.id, Question.code == "STAFF"))
    found = session.scalars(select(Answer).where(Answer.question_id == staff.id, Answer.value_number == 45)).one()
    found.value_number = Decimal(3)
    session.commit()


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_publish_makes_version_one_at_a_slug_of_the_title(session, users, worked):
    version = _publish(session, worked, users, note="First")
    published = session.scalar(select(PublishedReport))
    assert published.slug == "adult-social-care-budgets" and published.current_version == 1 and published.is_published
    assert version.number == 1 and version.published_by_id == users["author"] and version.note == "First"
    snapshot = json.loads(version.snapshot)
    assert snapshot["title"] == worked.title and snapshot["version"] == 1
    assert snapshot["licence"]["code"] == "cc-by-4.0"
    assert "https://example.org/p/adult-social-care-budgets/v/1" in snapshot["citation"]
    assert "id" not in snapshot["report"]["campaign"]
    assert "note" not in snapshot["dataset"]["columns"] and "source" not in snapshot["dataset"]["columns"]
    assert len(version.digest) == 64 and version.size == len(version.snapshot.encode())


def test_a_second_campaign_of_the_same_title_gets_its_own_slug(session, users, worked):
    _publish(session, worked, users)
    other = new_campaign(session, users, title="Adult social care budgets!")
    publish(session, other, default_options(session, other), "", users["author"], url_of)
    session.commit()
    assert sorted(session.scalars(select(PublishedReport.slug))) == [
        "adult-social-care-budgets",
        "adult-social-care-budgets-2",
    ]


def test_the_snapshot_is_frozen_and_republishing_makes_a_new_version(session, users, worked, client):
    _publish(session, worked, users)
    kent = councils(session, ["KEN"])["KEN"]
    before = session.scalar(select(Question).where(Question.campaign_id == worked.id, Question.code == "B1011"))
    kent_answer = session.scalars(
        select(Answer).where(Answer.question_id == before.id, Answer.value_number == 100000000)
    ).one()
    kent_answer.value_number = Decimal(123456789)
    session.commit()

    def kent_value(url):
        rows = _rows(client.get(url).get_data(as_text=True))
        return next(r["value"] for r in rows if r["council_code"] == kent.code and r["question_code"] == "B1011")

    assert kent_value("/p/adult-social-care-budgets/data.csv") == "100000000"  # as published, not as now
    page = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    assert "£123,456,789" not in page

    version = republish(session, worked, "Kent's figure corrected", users["coordinator"], url_of)
    session.commit()
    assert version.number == 2
    assert kent_value("/p/adult-social-care-budgets/data.csv") == "123456789"
    assert kent_value("/p/adult-social-care-budgets/v/1/data.csv") == "100000000"  # v1 still readable
    assert kent_value("/p/adult-social-care-budgets/v/2/data.csv") == "123456789"
    latest = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    assert "Kent&#39;s figure corrected" in latest and "Version 2" in latest
    old = client.get("/p/adult-social-care-budgets/v/1").get_data(as_text=True)
    assert "A newer version, version 2" in old
    assert [v.number for v in list_versions(session, session.scalar(select(PublishedReport)))] == [2, 1]


def test_unpublishing_takes_every_address_down_and_publishing_brings_it_back(session, users, worked, client):
    _publish(session, worked, users)
    assert all(client.get(url).status_code == 200 for url in public_urls("adult-social-care-budgets"))
    unpublish(session, session.scalar(select(PublishedReport)), users["author"])
    session.commit()
    assert [client.get(url).status_code for url in public_urls("adult-social-care-budgets")] == [404] * 6
    assert find_public_version(session, "adult-social-care-budgets") is None
    _publish(session, worked, users, note="Back")
    assert all(client.get(url).status_code == 200 for url in public_urls("adult-social-care-budgets", 2))
    assert client.get("/p/adult-social-care-budgets/v/1").status_code == 200


def test_unknown_slugs_and_versions_are_not_found(session, users, worked, client):
    _publish(session, worked, users)
    for url in ("/p/nothing-here", "/p/adult-social-care-budgets/v/2", "/p/ADULT", "/p/a..b/data.csv"):
        assert client.get(url).status_code == 404, url


def test_small_numbers_are_suppressed_in_the_page_and_the_downloads(session, users, worked, client):
    _small_staff(session, worked)
    _publish(session, worked, users)
    rows = _rows(client.get("/p/adult-social-care-budgets/data.csv").get_data(as_text=True))
    staff = {r["council_code"]: r for r in rows if r["question_code"] == "STAFF"}
    assert staff["BDG"]["value"] == "<5"  # a council's 3
    assert (staff["HAM"]["value"], staff["HAM"]["low"], staff["HAM"]["high"]) == ("<5", "", "")  # its own "<5"
    assert staff["KEN"]["value"] == "120"
    assert not any(r["value"] == "3" for r in staff.values())
    page = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    # Six councils, no region with five: every region's figures are withheld; the minimum is "<5".
    assert "Withheld: fewer than 5 councils" in page
    assert "&lt;5" in page
    assert "fewer than 5 councils is withheld" in page  # the methodology states the rule
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/p/adult-social-care-budgets/data.xlsx").data))
    data = list(workbook["Data"].iter_rows(values_only=True))
    header = data[0]
    values = [dict(zip(header, row)) for row in data[1:]]
    bdg = next(r for r in values if r["Council code"] == "BDG" and r["Question code"] == "STAFF")
    assert bdg["Value"] == "<5"
    kent = next(r for r in values if r["Council code"] == "KEN" and r["Question code"] == "B1011")
    assert kent["Value"] == 100000000  # a number, not text
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert about["Licence"].startswith("Creative Commons Attribution 4.0")
    assert about["Licence URL"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "version 1" in about["Suggested citation"]


def test_a_higher_threshold_suppresses_more(session, users, worked, client):
    _publish(session, worked, users, threshold=50)
    rows = _rows(client.get("/p/adult-social-care-budgets/data.csv").get_data(as_text=True))
    staff = {r["council_code"]: r["value"] for r in rows if r["question_code"] == "STAFF"}
    assert staff["KEN"] == "120" and staff["CAM"] == "<50" and staff["BDG"] == "<50"


def test_notes_sections_and_questions_are_the_authors_choice(session, users, worked, client):
    _publish(session, worked, users, questions=["B1011", "STAFF"], sections=["methodology"])
    rows = _rows(client.get("/p/adult-social-care-budgets/data.csv").get_data(as_text=True))
    assert {r["question_code"] for r in rows} == {"B1011", "STAFF"} and "note" not in rows[0]
    page = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    assert 'id="methodology"' in page and 'id="responses"' not in page and 'id="questions"' not in page
    _publish(session, worked, users, include_notes=True, questions=list(CODES))
    rows = _rows(client.get("/p/adult-social-care-budgets/data.csv").get_data(as_text=True))
    kent = next(r for r in rows if r["council_code"] == "KEN" and r["question_code"] == "B1112")
    assert kent["note"] == '\'=HYPERLINK("http://evil.example")'  # chosen, and neutralised


def test_refused_options_and_oversized_snapshots_write_nothing(session, users, worked, monkeypatch):
    with pytest.raises(PublishError):
        publish(
            session, worked, publishing.options_from_json({"threshold": 1}, list(CODES)), "", users["author"], url_of
        )
    session.rollback()
    monkeypatch.setattr(publishing, "MAX_SNAPSHOT_BYTES", 1000)
    with pytest.raises(PublishError, match="MB"):
        publish(session, worked, default_options(session, worked), "", users["author"], url_of)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PublishedReportVersion)) == 0
    with pytest.raises(PublishError):
        republish(session, worked, "", users["author"], url_of)


def test_public_responses_are_cacheable_and_set_no_cookie(session, users, worked, client):
    _publish(session, worked, users)
    for url in public_urls("adult-social-care-budgets"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        cache = response.headers["Cache-Control"]
        assert cache.startswith("public, max-age="), url
        assert ("immutable" in cache) == ("/v/" in url), url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
    page = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    assert "/login" not in page and "Log out" not in page and "csrf" not in page
    assert (
        client.get("/p/adult-social-care-budgets/data.csv")
        .headers["Link"]
        .startswith("<https://creativecommons.org/licenses/by/4.0/>")
    )


def test_the_author_publishes_and_unpublishes_from_the_page(session, users, worked, client):
    assert login(client, "author@example.org").status_code == 302
    page = client.get(f"/campaigns/{worked.id}/publish")
    assert page.status_code == 200 and "Not published yet" in page.get_data(as_text=True)
    token = csrf_token(client, f"/campaigns/{worked.id}/publish")
    form = {
        "csrf_token": token,
        "sections": ["summary", "methodology", "responses", "questions", "pairs"],
        "questions": list(CODES),
        "threshold": "5",
        "licence": "ogl-3.0",
        "publisher": "Care Watch",
        "summary": "What councils spent.",
        "note": "First publication",
    }
    refused = client.post(f"/campaigns/{worked.id}/publish", data=form | {"threshold": "1"})
    assert refused.status_code == 200 and "from 2 to 100" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PublishedReportVersion)) == 0
    response = client.post(f"/campaigns/{worked.id}/publish", data=form)
    assert response.status_code == 302
    shown = client.get(f"/campaigns/{worked.id}/publish").get_data(as_text=True)
    assert "/p/adult-social-care-budgets" in shown and "First publication" in shown
    public = client.get("/p/adult-social-care-budgets").get_data(as_text=True)
    assert "Open Government Licence v3.0" in public and "Care Watch (" in public and "What councils spent." in public
    response = client.post(f"/campaigns/{worked.id}/publish/unpublish", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/p/adult-social-care-budgets").status_code == 404


def test_staff_may_not_publish(session, users, worked, client):
    assert login(client, "staff@example.org").status_code == 302
    assert client.get(f"/campaigns/{worked.id}/publish").status_code == 403


def test_free_text_questions_are_left_out_unless_chosen(session, users, worked):
    from tests.test_report import new_question

    new_question(session, worked, "WHY", "text", 9, label="Why the cut was made")
    session.commit()
    assert "WHY" not in default_options(session, worked).questions
    assert set(default_options(session, worked).questions) == set(CODES)


def test_a_refused_publication_is_explained_on_the_page(session, users, worked, client, monkeypatch):
    monkeypatch.setattr(publishing, "MAX_SNAPSHOT_BYTES", 1000)
    assert login(client, "author@example.org").status_code == 302
    token = csrf_token(client, f"/campaigns/{worked.id}/publish")
    form = {"csrf_token": token, "sections": ["summary"], "questions": ["EIA"], "threshold": "5", "licence": "cc0-1.0"}
    response = client.post(f"/campaigns/{worked.id}/publish", data=form)
    assert response.status_code == 200
    assert "publish fewer questions" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PublishedReport)) == 0
