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

Campaigns are the unit of access (fointracker/services/access.py): each role is also played by
an *outsider*, a second user of that role who is not a member of the world's campaign. Admins
see every campaign, so the outsider admin is served what the admin is. Any other outsider gets
404 from every URL that names something of the campaign (CAMPAIGN_SCOPED arguments) wherever a
member of that role is served: as if it did not exist. Where the role itself may not act, the
answer is the 403 any id gets, which says nothing about what exists. Lists and counts simply
leave the campaign out (test_an_outsider_lists_and_counts_nothing_of_the_campaign).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from fointracker.web import PUBLIC_ENDPOINTS
from tests.conftest import login

from .pages import (
    header_problems,
    html_problems,
    methods,
    offered_actions,
    post_forms,
    rule_url,
    session_csrf_token,
)
from .world import build_world, outsider_email

ANONYMOUS = "anonymous"
ROLES = ("admin", "coordinator", "staff", "author")
EVERYONE = frozenset({ANONYMOUS, *ROLES})
LOGGED_IN = frozenset(ROLES)
CAMPAIGN_EDIT = frozenset({"admin", "coordinator"})
REQUEST_EDIT = frozenset({"admin", "coordinator", "staff"})
REPORT_EDIT = frozenset({"admin", "coordinator", "author"})
ADMIN_ONLY = frozenset({"admin"})
OUTSIDERS = tuple(f"outsider-{role}" for role in ROLES)
# URL arguments that name a campaign or something inside one.
CAMPAIGN_SCOPED = frozenset(
    {
        "campaign_id",
        "request_id",
        "event_id",
        "attachment_id",
        "answer_id",
        "question_id",
        "outbox_id",
        "message_id",
        "file_id",
        "mapping_id",
    }
)


@dataclass(frozen=True)
class Access:
    get: frozenset[str] | None = None  # who may GET (None: the rule answers no GET)
    post: frozenset[str] | None = None  # who may POST (None: the rule answers no POST)


ACCESS: dict[str, Access] = {
    # Public by design: the login page, static files (and the icon), the health check, the calendar feed (token in the URL).
    "auth.login": Access(get=EVERYONE, post=EVERYONE),
    "static": Access(get=EVERYONE),
    "main.favicon": Access(get=EVERYONE),
    "main.healthz": Access(get=EVERYONE),
    "calendar.feed": Access(get=EVERYONE),
    # A published report (#18): its page, its versions and their data sets, for anyone.
    "publishing.public_report": Access(get=EVERYONE),
    "publishing.public_version": Access(get=EVERYONE),
    "publishing.public_csv": Access(get=EVERYONE),
    "publishing.public_xlsx": Access(get=EVERYONE),
    "publishing.public_version_csv": Access(get=EVERYONE),
    "publishing.public_version_xlsx": Access(get=EVERYONE),
    # One's own account.
    "main.dashboard": Access(get=LOGGED_IN),
    "auth.logout": Access(post=LOGGED_IN),
    "auth.change_password": Access(get=LOGGED_IN, post=LOGGED_IN),
    "auth.reminder_preferences": Access(get=LOGGED_IN, post=LOGGED_IN),
    "auth.calendar_link": Access(post=LOGGED_IN),
    "auth.sessions": Access(get=LOGGED_IN),
    "auth.end_session": Access(post=LOGGED_IN),
    "auth.api_tokens": Access(get=LOGGED_IN, post=LOGGED_IN),
    "auth.revoke_api_token": Access(post=LOGGED_IN),
    # The JSON API's reference: a session, or a token (test_every_api_url_for_every_role_with_a_token).
    "api_docs.openapi": Access(get=LOGGED_IN),
    "api_docs.reference": Access(get=LOGGED_IN),
    # The JSON API (api.*): checked with each role's token, never the session (see API below).
    "api.campaigns": Access(get=LOGGED_IN),
    "api.campaign": Access(get=LOGGED_IN),
    "api.questions": Access(get=LOGGED_IN),
    "api.requests": Access(get=LOGGED_IN),
    "api.foi_request": Access(get=LOGGED_IN),
    "api.events": Access(get=LOGGED_IN, post=REQUEST_EDIT),
    "api.answers": Access(get=LOGGED_IN),
    "api.report": Access(get=LOGGED_IN),
    "api.set_answers": Access(post=REQUEST_EDIT),
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
    # Campaign staff send requests, one or a batch to many councils (#19: the README and the page agree).
    "campaigns.batch": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "campaigns.batch_create": Access(post=REQUEST_EDIT),
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
    "reports.report_docx": Access(get=LOGGED_IN),
    "reports.report_pdf": Access(get=LOGGED_IN),
    # Publishing the report (#18): its authors (and coordinators) publish, republish and unpublish.
    "publishing.publish_page": Access(get=REPORT_EDIT, post=REPORT_EDIT),
    "publishing.unpublish_view": Access(post=REPORT_EDIT),
    # Requests: everyone reads; coordinators and staff change them.
    "foi_requests.index": Access(get=LOGGED_IN),
    "foi_requests.export_csv": Access(get=LOGGED_IN),
    "foi_requests.show": Access(get=LOGGED_IN),
    "foi_requests.deadline": Access(get=LOGGED_IN),
    "foi_requests.download": Access(get=LOGGED_IN),
    "foi_requests.request_document": Access(get=LOGGED_IN),  # its own or a joint reply's document
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
    # Entry at speed (#17): the figures queue for everyone; verifying many at once and settling
    # double-entry mismatches as checking one figure; a second entry is entering figures.
    "figures.queue": Access(get=LOGGED_IN),
    "figures.bulk_verify": Access(get=REQUEST_EDIT | REPORT_EDIT, post=REQUEST_EDIT | REPORT_EDIT),
    "figures.second_entry": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "figures.mismatches": Access(get=REQUEST_EDIT | REPORT_EDIT),
    "figures.settle_mismatch": Access(post=REQUEST_EDIT | REPORT_EDIT),
    # The council register: everyone reads; admins correct it.
    "authorities.index": Access(get=LOGGED_IN),
    "authorities.show": Access(get=LOGGED_IN),
    "authorities.edit": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    # A campaign's own FOI address for a council: whoever runs the campaign.
    "authorities.campaign_address": Access(get=CAMPAIGN_EDIT, post=CAMPAIGN_EDIT),
    # Deadlines: the calculator for everyone; closure days change every deadline, so admins only.
    "deadlines.calculator": Access(get=LOGGED_IN),
    "deadlines.closures": Access(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "deadlines.delete": Access(post=ADMIN_ONLY),
    # Letters by email (#16): those who handle requests send them, one or a campaign's drafts at once
    # (and its mail merge); the outbox lists what the user's campaigns sent.
    "mail.send_campaign": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "mail.merge_zip": Access(post=REQUEST_EDIT),
    "mail.merge_csv": Access(post=REQUEST_EDIT),
    "mail.send_selected": Access(post=REQUEST_EDIT),
    "mail.send_request": Access(post=REQUEST_EDIT),
    "mail.send_follow_up": Access(get=REQUEST_EDIT, post=REQUEST_EDIT),
    "mail.outbox": Access(get=LOGGED_IN),
    "mail.retry_letter": Access(post=REQUEST_EDIT),
    "mail.cancel_letter": Access(post=REQUEST_EDIT),
    # Mail in (#16): whoever may see the campaign reads its mail; those who handle requests file it.
    "mail.intake": Access(get=LOGGED_IN),
    "mail.upload": Access(post=REQUEST_EDIT),
    "mail.upload_to_request": Access(post=REQUEST_EDIT),
    "mail.show": Access(get=LOGGED_IN),
    "mail.original": Access(get=LOGGED_IN),
    "mail.file": Access(get=LOGGED_IN),
    "mail.confirm_step": Access(post=REQUEST_EDIT),
    "mail.correct": Access(post=REQUEST_EDIT),
    "mail.dismiss_step": Access(post=REQUEST_EDIT),
    "mail.assign_to_request": Access(post=REQUEST_EDIT),
    # Figures from files (#17): whoever may see the campaign reads a document's tables; those who
    # enter figures confirm its unit and take figures from it.
    "figures.viewer": Access(get=LOGGED_IN),
    "figures.confirm_file_unit": Access(post=REQUEST_EDIT),
    "figures.take_cell": Access(post=REQUEST_EDIT),
    # Saved mappings (#17): members list them; those who enter figures save, preview, accept, delete.
    "figures.mappings": Access(get=LOGGED_IN),
    "figures.save_file_mapping": Access(post=REQUEST_EDIT),
    "figures.mapping_preview": Access(get=REQUEST_EDIT),
    "figures.accept_mapping": Access(post=REQUEST_EDIT),
    "figures.delete_file_mapping": Access(post=REQUEST_EDIT),
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
    """(endpoint, method, url, scoped) for every rule and method: every GET, then every POST."""
    rules = sorted(
        app.url_map.iter_rules(),
        key=lambda r: (
            r.endpoint in POST_LAST,
            POST_LAST.index(r.endpoint) if r.endpoint in POST_LAST else 0,
            r.endpoint,
        ),
    )
    return [
        (r.endpoint, method, rule_url(app, r, world.params), bool(CAMPAIGN_SCOPED & r.arguments))
        for method in ("GET", "POST")
        for r in rules
        if method in r.methods
    ]


def expected(endpoint: str, method: str, role: str, scoped: bool = False) -> str:
    access = ACCESS[endpoint]
    outsider = role.startswith("outsider-")
    role = role.removeprefix("outsider-")
    allowed = role in (access.get if method == "GET" else access.post)
    if allowed:
        return "hidden" if outsider and scoped and role != "admin" else "served"
    return "login" if role == ANONYMOUS else "forbidden"


def is_api(endpoint: str) -> bool:
    """The JSON API's endpoints: they take a bearer token, and answer a session (or nothing) 401."""
    return endpoint.startswith("api.")


def check_cell(role: str, endpoint: str, method: str, response, scoped: bool = False) -> list[str]:
    status, want = response.status_code, expected(endpoint, method, role, scoped)
    location = response.headers.get("Location", "")
    problems = []
    if status >= 500:
        problems.append(f"answered {status}")
    elif is_api(endpoint):
        if status != 401:
            problems.append(f"the API should refuse a session (no token) with 401, answered {status}")
    elif want == "login":
        if status != 302 or not location.startswith("/login"):
            problems.append(f"should send an anonymous visitor to /login, answered {status} {location}")
    elif want == "forbidden":
        if status != 403:
            problems.append(f"should be 403 for {role}, answered {status} {location}")
    elif want == "hidden":
        if status != 404:
            problems.append(f"should be 404 for {role} (not a member), answered {status} {location}")
    elif method == "GET":
        if endpoint == "auth.login" and role != ANONYMOUS:
            if (status, location) != (302, "/"):
                problems.append(f"a logged-in user on /login should go to the dashboard, got {status} {location}")
        elif status != 200:
            problems.append(f"should be served to {role}, answered {status} {location}")
    elif status in (403, 404, 405):  # a POST with an empty form: refused as invalid, but not as forbidden
        problems.append(f"should accept a POST from {role}, answered {status}")
    return problems


def offer_problems(app, role: str, page: str, html: str) -> list[str]:
    """A page offers only what its reader may do (#19): every link, form and button on it leads
    somewhere the reader's role is served, never to a "Not allowed"."""
    adapter = app.url_map.bind("localhost")
    problems = []
    for method, path in offered_actions(html, page):
        try:
            endpoint, _args = adapter.match(path, method=method)
        except RequestRedirect:
            continue
        except HTTPException as exc:
            problems.append(f"offers {method} {path}, which answers {exc.code}")
            continue
        if expected(endpoint, method, role) != "served":
            problems.append(f"offers {method} {path} ({endpoint}), which {role.removeprefix('outsider-')} may not use")
    return problems


def login_as(client, role: str) -> str:
    """Log `role` (a role, or "outsider-<role>") in; the session's CSRF token."""
    email = outsider_email(role.removeprefix("outsider-")) if role in OUTSIDERS else f"{role}@example.org"
    assert login(client, email).status_code == 302
    return session_csrf_token(client)


@pytest.mark.slow
@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES, *OUTSIDERS])
def test_every_url_for_every_role(app, people, role):
    world = build_world(app, people)
    client = app.test_client()
    if role == ANONYMOUS:
        token = session_csrf_token(client, "/login")
    else:
        token = login_as(client, role)
    failures, html_pages, forms_seen = [], 0, 0
    for endpoint, method, url, scoped in cells(app, world):
        where = f"{method} {url} ({endpoint}) as {role}"
        try:
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
        except Exception as exc:  # TESTING propagates exceptions: this is a 500
            failures.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        problems = check_cell(role, endpoint, method, response, scoped) + header_problems(response)
        if response.status_code == 200 and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            if response.headers.get("Content-Disposition", "").startswith("attachment"):
                # A file to save (the full report), not a page: its stylesheet is inline by design,
                # and its own CSP allows only that (checked in tests/test_report_pages.py).
                problems += [p for p in html_problems(html) if not p.startswith("<style>")]
            else:
                problems += html_problems(html)
                if role != ANONYMOUS:  # the login page links home, which is the login page to them
                    problems += offer_problems(app, role, url, html)
            html_pages += 1
            forms_seen += post_forms(html)
        response.close()
        failures += [f"{where}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)
    # The scan saw real pages: every role has a few, and logged-in pages carry forms (logout at least).
    assert html_pages >= (2 if role == ANONYMOUS else 6 if role in OUTSIDERS[1:] else 15)
    assert forms_seen >= (1 if role == ANONYMOUS else html_pages)


def check_api_cell(role: str, endpoint: str, method: str, response, scoped: bool) -> list[str]:
    """An API cell called with `role`'s token (anonymous: none): 401, 403, 404 as the pages'
    login, forbidden and hidden; served: 200 for a GET, and a POST of an empty body refused as
    invalid (422), not as forbidden."""
    status, want = response.status_code, expected(endpoint, method, role, scoped)
    wanted = {"login": 401, "forbidden": 403, "hidden": 404}.get(want, 200 if method == "GET" else 422)
    problems = [] if status == wanted else [f"should answer {wanted} ({want}) to {role}, answered {status}"]
    if response.mimetype != "application/json":
        problems.append(f"not JSON: {response.mimetype}")
    if status == 401 and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        problems.append("a 401 without WWW-Authenticate: Bearer")
    return problems


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES, *OUTSIDERS])
def test_every_api_url_for_every_role_with_a_token(app, people, role):
    """The JSON API as each role's personal token uses it: the same who-may-what as the pages
    (ACCESS), an outsider's 404 for what names the campaign, and never a 500. The reference pages
    take the token too."""
    from tests.api_support import bearer, token_for

    world = build_world(app, people)
    client = app.test_client()
    headers = {}
    if role != ANONYMOUS:
        email = outsider_email(role.removeprefix("outsider-")) if role in OUTSIDERS else f"{role}@example.org"
        headers = bearer(token_for(app, email))
    failures, checked = [], 0
    for endpoint, method, url, scoped in cells(app, world):
        where = f"{method} {url} ({endpoint}) as {role}"
        if is_api(endpoint):
            response = (
                client.get(url, headers=headers) if method == "GET" else client.post(url, json={}, headers=headers)
            )
            problems = check_api_cell(role, endpoint, method, response, scoped)
            checked += 1
        elif endpoint.startswith("api_docs.") and role != ANONYMOUS:
            response = client.get(url, headers=headers)
            problems = (
                [] if response.status_code == 200 else [f"should be served to a token, answered {response.status_code}"]
            )
        else:
            continue
        problems += header_problems(response)
        response.close()
        failures += [f"{where}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)
    assert checked >= 10


LISTS = ("/", "/?scope=all", "/?scope=mine", "/campaigns/", "/campaigns/?q=Care", "/requests/", "/requests/?q=Kent")


@pytest.mark.parametrize("role", OUTSIDERS[1:])
def test_an_outsider_lists_and_counts_nothing_of_the_campaign(app, people, role):
    world = build_world(app, people)
    client = app.test_client()
    login_as(client, role)
    for url in (*LISTS, f"/requests/?campaign={world.campaign_id}", "/requests/export.csv"):
        body = client.get(url).get_data(as_text=True)
        assert "Care budgets" not in body, url
        assert f"/requests/{world.request_ids[0]}" not in body and "Hampshire" not in body, url
    export = client.get("/requests/export.csv").get_data(as_text=True).splitlines()
    assert len(export) == 1  # the header alone
    # Bulk actions refuse the campaign's requests as if they did not exist: nothing written.
    token = session_csrf_token(client)
    data = {"csrf_token": token, "ids": world.request_ids, "action": "add_note", "note": "Mine now"}
    client.post("/requests/bulk", data=data)
    with app.app_context():
        from sqlalchemy import func, select

        from fointracker.extensions import db
        from fointracker.models import RequestEvent

        notes = db.session.scalar(select(func.count()).where(RequestEvent.note == "Mine now"))
        db.session.remove()
    assert notes == 0


@pytest.mark.parametrize("role", ROLES)
def test_a_member_sees_the_campaign_in_lists_and_counts(app, people, role):
    world = build_world(app, people)
    client = app.test_client()
    login_as(client, role)
    for url in ("/?scope=all", "/campaigns/", f"/requests/?campaign={world.campaign_id}", "/requests/export.csv"):
        assert "Care budgets" in client.get(url).get_data(as_text=True), url
