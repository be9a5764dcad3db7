"""The report page links each figure to the table of answers behind it (a page of its own);
the full report file (`fointracker report --format html`, and its download on the page)
prints every such table. On the worked example of tests/test_report.py."""

from __future__ import annotations

import re
from html import unescape

from fointracker.reports.views import STANDALONE_POLICY
from fointracker.services.report import build_report
from fointracker.services.report_details import question_table
from tests.test_report import councils, new_campaign, new_question, new_request, worked  # noqa: F401  (fixture)

CODES = ("B1011", "B1112", "STAFF", "EIA", "HOW")


def links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link."""
    return [
        (unescape(href), re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    ]


def rows(html: str) -> list[str]:
    """The body rows of the page's table, as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_page_links_each_figure_to_its_council_table(worked, login_as):  # noqa: F811
    client = login_as("staff")
    base = f"/campaigns/{worked.id}/report"
    html = client.get(base).get_data(as_text=True)
    # The tables themselves are not on the page (the note is only in KEN's row of B1112's table).
    assert "with an answer recorded (n =" not in html and "HYPERLINK" not in html
    found = links(html)
    assert (f"{base}/pairs/0", "Per-council table (4 councils)") in found
    assert (
        f"{base}/pairs/0",
        "Change: Adult social care budget, 2010/11 to 2011/12",
    ) in found  # and in the list at the end
    answered = {"B1011": 5, "B1112": 5, "STAFF": 5, "EIA": 5, "HOW": 3}
    for code, n in answered.items():
        assert (f"{base}/questions/{code}", f"Per-council table ({n} councils)") in found, code
    # The list at the end names them all too, and the full report file is offered.
    assert html.count(f'href="{base}/questions/') == 2 * len(CODES) and f'href="{base}.html"' in html

    money = client.get(f"{base}/questions/B1011")
    assert money.status_code == 200
    page = money.get_data(as_text=True)
    assert "B1011: 5 councils with an answer recorded (n = 4 counted)" in page
    assert rows(page) == [
        "Barking and Dagenham London London borough £10,000,000",
        "Cambridgeshire East of England County £20,000,000",
        "Hampshire South East County £50,000,000 estimate",
        "Kent South East County £100,000,000",
        "Southwark London London borough Not held",
    ]
    assert f'href="{base}#question-B1011"' in page  # back to the figures
    staff = client.get(f"{base}/questions/STAFF").get_data(as_text=True)
    assert "STAFF: 5 councils with an answer recorded (n = 3 counted)" in staff
    assert "&lt;5 suppressed" in " ".join(rows(staff)) and "Refused s12" in " ".join(rows(staff))

    pair = client.get(f"{base}/pairs/0").get_data(as_text=True)
    assert (
        "Adult social care budget, 2010/11 and 2011/12: n = 4 councils giving both figures, largest cut first" in pair
    )
    assert [row.split(" ")[0] for row in rows(pair)] == ["Kent", "Cambridgeshire", "Barking", "Hampshire"]
    assert rows(pair)[0].endswith("£100,000,000 £90,000,000 −£10,000,000 −10.0%")
    assert f'href="{base}#change-0"' in pair


def test_a_table_counts_what_the_report_counts(session, worked):  # noqa: F811
    report = build_report(session, worked)
    for q in report.questions:
        table = question_table(session, worked.id, q.question.code)
        assert (len(table.rows), table.counted) == (q.overall.answers, q.overall.n), q.question.code


def test_tables_that_do_not_exist(session, users, worked, login_as):  # noqa: F811
    other = new_campaign(session, users, "Libraries")
    new_question(session, other, "LIB", "count", 1)
    session.commit()
    client = login_as("author")
    for url in (
        f"/campaigns/{worked.id}/report/questions/LIB",  # another campaign's question
        f"/campaigns/{worked.id}/report/questions/nope",
        f"/campaigns/{worked.id}/report/pairs/1",
        f"/campaigns/{other.id}/report/pairs/0",
        "/campaigns/999999/report/questions/B1011",
        "/campaigns/999999/report/pairs/0",
        "/campaigns/999999/report.html",
    ):
        assert client.get(url).status_code == 404, url
    # A question with no answer yet: its page says so.
    assert "No answer recorded." in client.get(f"/campaigns/{other.id}/report/questions/LIB").get_data(as_text=True)


def test_the_tables_need_a_login(client, worked):  # noqa: F811
    for url in (
        f"/campaigns/{worked.id}/report/questions/B1011",
        f"/campaigns/{worked.id}/report/pairs/0",
        f"/campaigns/{worked.id}/report.html",
        f"/campaigns/{worked.id}/report.docx",
        f"/campaigns/{worked.id}/report.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_full_report_file_has_every_table(app, session, worked, login_as, tmp_path):  # noqa: F811
    output = tmp_path / "report.html"
    result = app.test_cli_runner().invoke(args=["report", str(worked.id), "--format", "html", "--output", str(output)])
    assert result.exit_code == 0, result.output
    from_cli = output.read_text(encoding="utf-8")

    download = login_as("author").get(f"/campaigns/{worked.id}/report.html")
    assert download.status_code == 200 and download.mimetype == "text/html"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="report-')
    assert download.headers["Content-Security-Policy"] == STANDALONE_POLICY  # no script, whatever the file holds
    assert download.get_data(as_text=True) == from_cli  # the same file both ways

    for code in CODES:
        assert f'<h3 id="appendix-{code}">' in from_cli and f'href="#appendix-{code}"' in from_cli, code
    assert '<h3 id="appendix-change-0">' in from_cli and 'href="#appendix-change-0"' in from_cli
    assert "B1011: 5 councils with an answer recorded (n = 4 counted)" in from_cli
    assert "STAFF: 5 councils with an answer recorded (n = 3 counted)" in from_cli
    assert (
        "Adult social care budget, 2010/11 and 2011/12: n = 4 councils giving both figures, largest cut first"
        in from_cli
    )
    assert "HYPERLINK" in from_cli  # KEN's note, in B1112's table
    assert "/report/questions/" not in from_cli and "/report/pairs/" not in from_cli  # nothing points back to the app
    # Every answer is in it: one row per answer, plus a row per pair council.
    answers = sum(len(question_table(session, worked.id, code).rows) for code in CODES)
    appendix = from_cli[from_cli.index('<section id="appendix"') :]
    assert appendix.count("<tr>") - appendix.count("<thead><tr>") == answers + 4


def test_a_campaign_without_figures_has_no_tables(session, users, login_as):
    campaign = new_campaign(session, users, "Nothing entered")
    c = councils(session, ["KEN"])
    new_request(session, campaign, c["KEN"])
    new_question(session, campaign, "Q1", "money", 1)
    session.commit()
    html = login_as("staff").get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert "Per-council table" not in html and 'id="appendix"' not in html


def test_headings_use_labels_and_periods_never_codes():
    """#19: the pair title read "asc_budget_2425 → asc_budget_2526" and "…2024/25, 2024/25 to 2025/26"."""
    from fointracker.services.report_answers import QuestionInfo, pair_heading

    def info(code, label, period):
        return QuestionInfo(1, code, label, "money", period, "asc", 1, "", ())

    written_with_period = info("asc_budget_2425", "Adult social care budget 2024/25", "2024/25")
    after = info("asc_budget_2526", "Adult social care budget 2025/26", "2025/26")
    assert written_with_period.title == "Adult social care budget 2024/25"  # the period once
    assert info("b", "Budget (2024/25)", "2024/25").title == "Budget (2024/25)"
    assert info("b", "Budget", "2024/25").title == "Budget (2024/25)"
    assert pair_heading(written_with_period, after) == "Adult social care budget, 2024/25 to 2025/26"
    assert pair_heading(info("a", "Budget", "2024/25"), info("b", "Budget", "2025/26")) == "Budget, 2024/25 to 2025/26"
    assert pair_heading(info("a", "Spending", "2024/25"), info("b", "Budget", "2025/26")) == (
        "Spending (2024/25) → Budget (2025/26)"
    )
