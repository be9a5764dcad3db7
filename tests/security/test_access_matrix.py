"""Every URL of the app, for an anonymous visitor and for each role.

ACCESS says, for every endpoint, who may GET it and who may POST to it, written from the
design (fointracker/auth/permissions.py: campaign.edit is for coordinators, request.edit
for coordinators and staff, report.edit for authors and coordinators, the admin area for
admins; admins have every capability). A rule the table does not know fails the test, so
the matrix stays complete as views are added.

Each cell checks the status (anonymous: sent to /login; allowed: served; not allowed:
403; never a 500), and every response's security headers; every HTML page is scanned for
inline scripts, event handlers, inline styles, script URLs and POST forms without a CSRF
token.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fointracker.web import PUBLIC_ENDPOINTS
from tests.conftest import login

from .pages import header_problems, html_problems, methods, post_forms, rule_url, session_csrf_token
from .world import build_world

ANONYMOUS = "anonymous"
ROLES = ("admin", "coordinator", "staff", "author")
EVERYONE = frozenset({ANONYMOUS, *ROLES})
LOGGED_IN = frozenset(ROLES)
CAMPAIGN_EDIT = frozenset({"admin", "coordinator"})
REQUEST_EDIT = frozenset({"admin", "coordinator", "staff"})
REPORT_EDIT = frozenset({"admin", "coordinator", "author"})
ADMIN_ONLY = frozenset({"admin"})


@dataclass(frozen=True)
class Access:
    get: frozenset[str] | None = None  # who may GET (None: the rule answers no GET)
    post: frozenset[str] | None = None  # who may POST (None: the rule answers no POST)


ACCESS: dict[str, Access] = {
    # Public by design: the login page, static files, the health check, the calendar feed (token in the URL).
    "auth.login": Access(get=EVERYONE, post=EVERYONE),
    "static": Access(get=EVERYONE),
    "main.healthz": Access(get=EVERYONE),
    "calendar.feed": Access(get=EVERYONE),
    # One's own account.
    "main.dashboard": Access(get=LOGGED_IN),
    "auth.logout": Access(post=LOGGED_IN),
    "auth.change_password": Access(get=LOGGED_IN, post=LOGGED_IN),
    "auth.reminder_preferences": Access(get=LOGGED_IN, post=LOGGED_IN),
    "auth.calendar_link": Access(post=LOGGED_IN),
    # The admin area.
    "admin.index": Access(get=ADMIN_ONLY),
    "admin.users": Access(get=ADMIN_ONLY),
    "admin.new_user": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "admin.edit_user": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "admin.reminders": Access(get=ADMIN_ONLY),
    "admin.retry_reminder": Access(post=ADMIN_ONLY),
    # Campaigns: everyone reads; coordinators run them.
    "campaigns.index": Access(get=LOGGED_IN),
    "campaigns.show": Access(get=LOGGED_IN),
    "campaigns.statistics": Access(get=LOGGED_IN),
    "campaigns.create": Access(get=CAMPAIGN_EDIT, post=CAMPAIGN_EDIT),
    "campaigns.edit": Access(get=CAMPAIGN_EDIT, post=CAMPAIGN_EDIT),
    "campaigns.batch": Access(get=CAMPAIGN_EDIT, post=CAMPAIGN_EDIT),
    "campaigns.batch_create": Access(post=CAMPAIGN_EDIT),
    # Questions are the report's: authors and coordinators write them.
    "campaigns.questions": Access(get=LOGGED_IN),
    "campaigns.new_question": Access(get=REPORT_EDIT, post=REPORT_EDIT),
    "campaigns.edit_question": Access(get=REPORT_EDIT, post=REPORT_EDIT),
    "campaigns.delete_question_view": Access(post=REPORT_EDIT),
    "campaigns.move_question_view": Access(post=REPORT_EDIT),
    # Figures are entered (and imported) by those who handle the requests.
    "campaigns.import_figures": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "campaigns.confirm_import": Access(post=REQUEST_EDIT),
    # The report and its downloads: everyone logged in.
    "reports.report": Access(get=LOGGED_IN),
    "reports.question_table": Access(get=LOGGED_IN),
    "reports.pair_table": Access(get=LOGGED_IN),
    "reports.report_html": Access(get=LOGGED_IN),
    "reports.report_json": Access(get=LOGGED_IN),
    "reports.report_csv": Access(get=LOGGED_IN),
    "reports.report_tidy_csv": Access(get=LOGGED_IN),
    "reports.report_xlsx": Access(get=LOGGED_IN),
    # Requests: everyone reads; coordinators and staff change them.
    "foi_requests.index": Access(get=LOGGED_IN),
    "foi_requests.export_csv": Access(get=LOGGED_IN),
    "foi_requests.show": Access(get=LOGGED_IN),
    "foi_requests.deadline": Access(get=LOGGED_IN),
    "foi_requests.download": Access(get=LOGGED_IN),
    "foi_requests.create": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "foi_requests.edit": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "foi_requests.bulk": Access(post=REQUEST_EDIT),
    "foi_requests.add": Access(post=REQUEST_EDIT),
    "foi_requests.add_attachments": Access(post=REQUEST_EDIT),
    "foi_requests.edit_event": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "foi_requests.remove": Access(post=REQUEST_EDIT),
    "foi_requests.figures_entered": Access(post=REQUEST_EDIT),
    "foi_requests.figures": Access(get=LOGGED_IN, post=REQUEST_EDIT),
    # Checking a figure: anyone who enters figures or writes the report.
    "foi_requests.verify": Access(post=REQUEST_EDIT | REPORT_EDIT),
    # The council register: everyone reads; admins correct it.
    "authorities.index": Access(get=LOGGED_IN),
    "authorities.show": Access(get=LOGGED_IN),
    "authorities.edit": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    # Deadlines: the calculator for everyone; closure days change every deadline, so admins only.
    "deadlines.calculator": Access(get=LOGGED_IN),
    "deadlines.closures": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "deadlines.delete": Access(post=ADMIN_ONLY),
}

# POSTs that change what later cells need run last, logging out very last.
POST_LAST = ("deadlines.delete", "foi_requests.remove", "campaigns.delete_question_view", "auth.logout")


def test_the_table_knows_every_rule_and_its_methods(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    unknown = sorted(set(rules) - set(ACCESS))
    assert not unknown, f"new URL rules: add them to ACCESS in {__file__}: {unknown}"
    gone = sorted(set(ACCESS) - set(rules))
    assert not gone, f"ACCESS lists endpoints the app no longer has: {gone}"
    for endpoint, rule in rules.items():
        access = ACCESS[endpoint]
        assert ("GET" in rule.methods) == (access.get is not None), f"{endpoint}: GET is {sorted(rule.methods)}"
        assert ("POST" in rule.methods) == (access.post is not None), f"{endpoint}: POST is {sorted(rule.methods)}"
        assert set(methods(rule)) <= {"GET", "POST"}, f"{endpoint}: {methods(rule)} (extend the matrix)"
    public = {
        endpoint
        for endpoint, access in ACCESS.items()
        if ANONYMOUS in (access.get or frozenset()) | (access.post or frozenset())
    }
    assert public == set(PUBLIC_ENDPOINTS)


def cells(app, world):
    """(endpoint, method, url) for every rule and method: every GET, then every POST."""
    rules = sorted(
        app.url_map.iter_rules(),
        key=lambda r: (
            r.endpoint in POST_LAST,
            POST_LAST.index(r.endpoint) if r.endpoint in POST_LAST else 0,
            r.endpoint,
        ),
    )
    gets = [(r.endpoint, "GET", rule_url(app, r, world.params)) for r in rules if "GET" in r.methods]
    posts = [(r.endpoint, "POST", rule_url(app, r, world.params)) for r in rules if "POST" in r.methods]
    return gets + posts


def expected(endpoint: str, method: str, role: str) -> str:
    access = ACCESS[endpoint]
    allowed = role in (access.get if method == "GET" else access.post)
    if allowed:
        return "served"
    return "login" if role == ANONYMOUS else "forbidden"


def check_cell(role: str, endpoint: str, method: str, response) -> list[str]:
    status, want = response.status_code, expected(endpoint, method, role)
    location = response.headers.get("Location", "")
    problems = []
    if status >= 500:
        problems.append(f"answered {status}")
    elif want == "login":
        if status != 302 or not location.startswith("/login"):
            problems.append(f"should send an anonymous visitor to /login, answered {status} {location}")
    elif want == "forbidden":
        if status != 403:
            problems.append(f"should be 403 for {role}, answered {status} {location}")
    elif method == "GET":
        if endpoint == "auth.login" and role != ANONYMOUS:
            if (status, location) != (302, "/"):
                problems.append(f"a logged-in user on /login should go to the dashboard, got {status} {location}")
        elif status != 200:
            problems.append(f"should be served to {role}, answered {status} {location}")
    elif status in (403, 404, 405):  # a POST with an empty form: refused as invalid, but not as forbidden
        problems.append(f"should accept a POST from {role}, answered {status}")
    return problems


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_every_url_for_every_role(app, people, role):
    world = build_world(app, people)
    client = app.test_client()
    if role == ANONYMOUS:
        token = session_csrf_token(client, "/login")
    else:
        assert login(client, f"{role}@example.org").status_code == 302
        token = session_csrf_token(client)
    failures, html_pages, forms_seen = [], 0, 0
    for endpoint, method, url in cells(app, world):
        where = f"{method} {url} ({endpoint}) as {role}"
        try:
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
        except Exception as exc:  # TESTING propagates exceptions: this is a 500
            failures.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        problems = check_cell(role, endpoint, method, response) + header_problems(response)
        if response.status_code == 200 and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            if response.headers.get("Content-Disposition", "").startswith("attachment"):
                # A file to save (the full report), not a page: its stylesheet is inline by design,
                # and its own CSP allows only that (checked in tests/test_report_pages.py).
                problems += [p for p in html_problems(html) if not p.startswith("<style>")]
            else:
                problems += html_problems(html)
            html_pages += 1
            forms_seen += post_forms(html)
        response.close()
        failures += [f"{where}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)
    # The scan saw real pages: every role has a few, and logged-in pages carry forms (logout at least).
    assert html_pages >= (2 if role == ANONYMOUS else 15)
    assert forms_seen >= (1 if role == ANONYMOUS else html_pages)
