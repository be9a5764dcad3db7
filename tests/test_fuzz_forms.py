"""Bad input on every form: random and malformed values posted to every POST endpoint.

Every rule in the URL map that accepts POST has an entry in ENDPOINTS (a new one fails
test_every_post_endpoint_is_fuzzed until it is added). For each, the form is found on
the page a browser would post it from, its fields read from the HTML (names, types,
options, prefilled values), and Hypothesis posts variations of it with a valid CSRF
token: prefilled values kept or replaced by junk (control characters, NUL bytes, huge
strings, impossible dates, numbers as text), fields dropped, repeated and added, text
where a file goes and garbage files where one is wanted, and empty bodies.

What must hold for every post:
- never a 500 and never a traceback (the app runs with TESTING, so an exception in a
  view propagates and fails the test with its traceback);
- a refusal (a re-rendered form, an error page, a JSON error, or a redirect with an
  error flash) says what is wrong and leaves the database exactly as it was: a
  checksum of every row of every table but the audit trail and the login attempts
  (the two tables a refused submission may legitimately write: none of the others)
  and the upload folder's file list are compared before and after;
- a success (a redirect without an error flash) is fine: the world is then checked
  and whatever the success used up (a deleted question, a removed event ...) rebuilt.

Examples are derandomized (the same inputs on every run, so CI cannot fail on a draw
it never made before); FOINTRACKER_FUZZ_EXAMPLES=200 FOINTRACKER_FUZZ_RANDOM=1 explores
further locally. One app and database serve the whole module (the world is built once;
every example compares its own before and after).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from fointracker.extensions import db
from fointracker.models import (
    Answer,
    Authority,
    ClosureDay,
    LoginAttempt,
    Question,
    Reminder,
    RequestEvent,
    User,
)
from tests.conftest import CSRF_RE, PASSWORD, fresh_database_url, running_app

EXAMPLES = int(os.environ.get("FOINTRACKER_FUZZ_EXAMPLES", "12"))
DERANDOMIZE = os.environ.get("FOINTRACKER_FUZZ_RANDOM", "") == ""
UNCHECKED_TABLES = {"audit_entry", "login_attempt", "alembic_version"}

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# One app and database serve the whole module (fuzz_app): its tests run together on one worker
# (scripts/test.sh: --dist loadgroup), so that no other test's database reset (on PostgreSQL, the
# worker's one database is emptied per test) wipes the world in between.
pytestmark = pytest.mark.xdist_group("fuzz_forms")


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def fuzz_app(template_database, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz-forms")
    with running_app(fresh_database_url(template_database, tmp), tmp) as app:
        yield app


class World:
    """A campaign with questions, requests with events, a document, answers, a closure day,
    a failed reminder, users of every role: enough for every form's URL to name something
    real. The accessors rebuild what a successful post used up."""

    def __init__(self, app):
        self.app = app
        self.import_round = 0
        with app.app_context():
            self._build(db.session)

    def _build(self, s):
        from fointracker.services.answers import save_answers
        from fointracker.services.calendar import add_closure
        from fointracker.services.campaigns import save_campaign
        from fointracker.services.foi_requests import create_request
        from fointracker.services.questions import create_question
        from fointracker.services.timeline import add_event
        from fointracker.services.users import create_user

        self.users = {
            role: create_user(s, email=f"{role}@example.org", role=role, password=PASSWORD).id
            for role in ("admin", "coordinator", "staff", "author")
        }
        self.target_user = create_user(s, email="target@example.org", role="staff", password=PASSWORD).id
        campaign = save_campaign(
            s,
            None,
            {
                "title": "Fuzzed campaign",
                "description": "",
                "default_regime": "foia",
                "letter_template": "Dear {authority_name}, please",
                "webhook_url": "",
            },
            [self.users["coordinator"]],
            self.users["admin"],
        )
        self.campaign = campaign.id
        before = create_question(
            s, campaign, {"code": "budget_1011", "label": "Budget", "qtype": "money", "period_label": "2010/11"}, None
        )
        create_question(
            s,
            campaign,
            {
                "code": "budget_1112",
                "label": "Budget",
                "qtype": "money",
                "period_label": "2011/12",
                "pair_group": "budget",
            },
            None,
            pair_with=before.id,
        )
        create_question(s, campaign, {"code": "eia", "label": "Impact assessment done?", "qtype": "yes_no"}, None)
        create_question(
            s, campaign, {"code": "kind", "label": "Kind of cut", "qtype": "choice", "choices": "Closed\nReduced"}, None
        )
        create_question(s, campaign, {"code": "comment", "label": "Comment", "qtype": "text"}, None)
        self.question = before.id

        def request(code, sent):
            authority = s.scalar(select(Authority).where(Authority.code == code))
            return create_request(
                s,
                {
                    "campaign_id": campaign.id,
                    "authority_id": authority.id,
                    "regime": "foia",
                    "subject": "Budgets",
                    "body": "Please",
                    "sent_on": sent,
                    "received_on": None,
                    "council_reference": "",
                    "owner_id": self.users["staff"],
                },
                None,
            )

        answered = request("KEN", date(2026, 3, 2))
        response = add_event(
            s,
            answered,
            kind="response_received",
            occurred_on=date(2026, 3, 20),
            details={"outcome": "partially_successful", "exemptions": ["s12"]},
            note="Part refused",
            user_id=None,
        )
        from werkzeug.datastructures import FileStorage

        from fointracker.services.attachments import attach
        from fointracker.services.file_store import FileStore

        attach(
            s,
            response,
            [FileStorage(io.BytesIO(b"%PDF-1.4 answer"), "answer.pdf", content_type="application/pdf")],
            FileStore.from_config(self.app.config),
            self.app.config["MAX_CONTENT_LENGTH"],
            None,
        )
        s.commit()
        self.answered = answered.id
        self.response_event = response.id
        save_answers(s, answered, {before.id: ("£1.2m", "", "", "Table 1", None, "3")}, self.users["coordinator"])
        self.draft = request("MAN", None).id
        noted = request("LDS", date(2026, 3, 2))
        self.noted = noted.id
        self.note_event_id = add_event(
            s, noted, kind="note", occurred_on=date(2026, 3, 3), note="Phoned", user_id=None
        ).id
        add_closure(s, day=date(2026, 12, 29), name="Offices closed", calendar="all", remove=False, user_id=None)
        reminder = Reminder(
            request_id=noted.id,
            kind="overdue",
            days_before=0,
            target_date=date(2026, 1, 5),
            recipient=f"user:{self.users['staff']}",
            recipient_id=self.users["staff"],
            channel="email",
            due_at=datetime(2026, 3, 31, 7, tzinfo=UTC),
            status="failed",
            attempts=8,
            last_error="SMTP refused",
        )
        s.add(reminder)
        s.commit()

    # Accessors: the id of something that exists now, rebuilt if a success used it up.

    def question_id(self) -> int:
        from fointracker.services.questions import create_question

        s = db.session
        if s.get(Question, self.question) is None:
            from fointracker.models import Campaign

            campaign = s.get(Campaign, self.campaign)
            code = f"rebuilt_{s.scalar(select(text('count(*)')).select_from(Question.__table__)) + 1}"
            self.question = create_question(s, campaign, {"code": code, "label": "Rebuilt", "qtype": "count"}, None).id
            s.commit()
        return self.question

    def note_event(self) -> int:
        from fointracker.models import FoiRequest
        from fointracker.services.timeline import add_event

        s = db.session
        if s.get(RequestEvent, self.note_event_id) is None:
            self.note_event_id = add_event(
                s, s.get(FoiRequest, self.noted), kind="note", occurred_on=date(2026, 3, 4), note="Again", user_id=None
            ).id
            s.commit()
        return self.note_event_id

    def closure_id(self) -> int:
        from fointracker.services.calendar import add_closure

        s = db.session
        row = s.scalar(select(ClosureDay).order_by(ClosureDay.id))
        if row is None:
            add_closure(s, day=date(2026, 12, 29), name="Offices closed", calendar="all", remove=False, user_id=None)
            s.commit()
            row = s.scalar(select(ClosureDay).order_by(ClosureDay.id))
        return row.id

    def mail_draft(self) -> int:
        """The draft, its council given an FOI address and no letter of it queued (#16): the request
        page draws its "Send by email" form."""
        from fointracker.models import CampaignContact, FoiRequest, MailMessage
        from fointracker.services.mail_sending import cancel

        s = db.session
        draft = s.get(FoiRequest, self.draft)
        # The campaign's own address, not the register's: the register is shared by every test.
        if not s.scalar(
            select(CampaignContact.id).where(
                CampaignContact.campaign_id == draft.campaign_id, CampaignContact.authority_id == draft.authority_id
            )
        ):
            s.add(
                CampaignContact(
                    campaign_id=draft.campaign_id, authority_id=draft.authority_id, foi_email="foi@council.example"
                )
            )
        for letter in s.scalars(select(MailMessage).where(MailMessage.request_id == draft.id)):
            if letter.status in ("queued", "failed"):
                cancel(s, letter)
        s.commit()
        return draft.id

    def mail_reply(self, status: str = "filed") -> int:
        """An incoming reply (#16): filed on the answered request with its step waiting for a person,
        or (status "triage") matching nothing. Its page draws the confirm, correct, dismiss and
        file-it-here forms; one used up is replaced."""
        from fointracker.models import MailMessage
        from fointracker.services.file_store import FileStore
        from fointracker.services.mail_intake import receive

        s = db.session
        stmt = select(MailMessage.id).where(MailMessage.direction == "in", MailMessage.status == status)
        if status == "filed":
            stmt = stmt.where(MailMessage.suggestion_state == "pending")
        found = s.scalar(stmt.order_by(MailMessage.id))
        if found is None:
            self.mail_round = getattr(self, "mail_round", 0) + 1
            sender, subject = (
                ("foi@kent.gov.uk", f"Re: FT-{self.answered}") if status == "filed" else ("a@b.example", "Hi")
            )
            raw = (
                f"From: {sender}\r\nMessage-ID: <fuzz-{self.mail_round}@example.org>\r\nSubject: {subject}\r\n\r\n"
                "Thank you for your request. We will respond within 20 working days.\r\n"
            ).encode()
            store = FileStore.from_config(self.app.config)
            found = receive(s, raw, source="upload", store=store, config=self.app.config).message.id
            s.commit()
        return found

    def published(self) -> int:
        """The campaign, its report online (#18): the publishing page draws its Unpublish form.
        Published again when a post took it down."""
        from fointracker.models import Campaign
        from fointracker.services.publishing import default_options, publish, published_report_of

        s = db.session
        found = published_report_of(s, self.campaign)
        if found is None or not found.is_published:
            campaign = s.get(Campaign, self.campaign)
            publish(s, campaign, default_options(s, campaign), "", None, lambda slug, n: f"/p/{slug}/v/{n}")
            s.commit()
        return self.campaign

    def failed_letter(self) -> int:
        """A letter by email that failed (#16): the outbox draws its Retry and Cancel forms."""
        from fointracker.models import MailMessage

        s = db.session
        found = s.scalar(select(MailMessage.id).where(MailMessage.status == "failed").order_by(MailMessage.id))
        if found is None:
            letter = MailMessage(
                direction="out",
                status="failed",
                campaign_id=self.campaign,
                request_id=self.answered,
                letter_kind="chaser",
                to_addr="foi@council.example",
                subject="Overdue: Budgets (our ref. FT-1)",
                body_text="Please",
                attempts=8,
                last_error="SMTP refused",
            )
            s.add(letter)
            s.commit()
            found = letter.id
        return found

    def api_token(self) -> int:
        """The author's live API token (the revoke form's): made again once a post revoked it."""
        from fointracker.models import ApiToken
        from fointracker.services.api_tokens import create_token

        s = db.session
        live = (ApiToken.user_id == self.users["author"], ApiToken.revoked_at.is_(None))
        found = s.scalar(select(ApiToken.id).where(*live))
        if found is None:
            found = create_token(s, s.get(User, self.users["author"]), "Fuzzed notebook")[0].id
            s.commit()
        return found

    def reminder_id(self) -> int:
        return db.session.scalar(
            select(Reminder.id).where(Reminder.status.in_(("failed", "pending"))).order_by(Reminder.status, Reminder.id)
        )

    def answer_id(self) -> int:
        """An answer someone else entered and nobody verified yet (the admin may verify it)."""
        from fointracker.models import FoiRequest
        from fointracker.services.answers import save_answers

        s = db.session
        wanted = (
            Answer.request_id == self.answered,
            Answer.entered_by_id == self.users["coordinator"],
            Answer.verified_by_id.is_(None),
        )
        if s.scalar(select(Answer.id).where(*wanted)) is None:
            self.import_round += 1
            save_answers(
                s,
                s.get(FoiRequest, self.answered),
                {self.question_id(): (str(self.import_round),)},
                self.users["coordinator"],
            )
            s.commit()
        return s.scalar(select(Answer.id).where(*wanted).order_by(Answer.id))

    def council(self, code: str) -> int:
        return db.session.scalar(select(Authority.id).where(Authority.code == code))

    def sheet_document(self) -> int:
        """A spreadsheet on the answered request, its unit confirmed: the file viewer's (#17)."""
        from werkzeug.datastructures import FileStorage

        from fointracker.models import Attachment, RequestEvent
        from fointracker.services.attachments import attach
        from fointracker.services.file_store import FileStore

        s = db.session
        found = s.scalar(select(Attachment.id).where(Attachment.original_name == "figures.csv"))
        if found is None:
            event = s.get(RequestEvent, self.response_event)
            data = 'Net budget (£000s),"1,234"\nStaff,see note\n'.encode()
            store = FileStore.from_config(self.app.config)
            attach(s, event, [FileStorage(io.BytesIO(data), "figures.csv")], store, 10**7, None)
            s.flush()
            found = s.scalar(select(Attachment.id).where(Attachment.original_name == "figures.csv"))
            s.get(Attachment, found).figures_unit = "thousands"
            s.commit()
        return found

    def mapping_waiting(self) -> int:
        """A saved mapping, and a council whose returned spreadsheet has no figures yet: the mapping
        preview's form (#17). Made again when a post deleted it; the council's figures, once
        accepted, are cleared."""
        from werkzeug.datastructures import FileStorage

        from fointracker.models import Answer, FileMapping, FoiRequest
        from fointracker.services.attachments import attach
        from fointracker.services.file_store import FileStore
        from fointracker.services.foi_requests import create_request
        from fointracker.services.timeline import add_event

        s = db.session
        hampshire = self.council("HAM")
        waiting = s.scalar(
            select(FoiRequest).where(FoiRequest.campaign_id == self.campaign, FoiRequest.authority_id == hampshire)
        )
        if waiting is None:
            waiting = create_request(
                s,
                {
                    "campaign_id": self.campaign, "authority_id": hampshire, "regime": "foia", "subject": "Budgets",
                    "body": "Please", "sent_on": date(2026, 3, 2), "received_on": None, "council_reference": "",
                    "owner_id": None,
                },
                None,
            )  # fmt: skip
            reply = add_event(
                s, waiting, kind="response_received", occurred_on=date(2026, 3, 20),
                details={"outcome": "successful"}, user_id=None,
            )  # fmt: skip
            data = 'Net budget (£000s),"1,300"\n'.encode()
            attach(
                s,
                reply,
                [FileStorage(io.BytesIO(data), "hants.csv")],
                FileStore.from_config(self.app.config),
                10**7,
                None,
            )
        s.execute(Answer.__table__.delete().where(Answer.request_id == waiting.id))
        # The campaign's question as it is now (a post may have deleted the first and had it rebuilt).
        rule = {"question": s.get(Question, self.question_id()).code, "by": "label", "label": "Net budget"}
        rule["direction"] = "right"
        found = s.scalar(select(FileMapping).where(FileMapping.campaign_id == self.campaign))
        if found is None:
            found = FileMapping(campaign_id=self.campaign, name="Budget layout")
            s.add(found)
        found.rules = [rule]
        s.commit()
        return found.id

    def double_entry_request(self) -> int:
        """The answered request, its campaign doing double entry (#17); staff never enter its figures here."""
        from fointracker.models import Campaign

        db.session.get(Campaign, self.campaign).double_entry = True
        db.session.commit()
        return self.answered

    def mismatch(self) -> tuple[int, int]:
        """(request, question) of a double-entry mismatch the admin may settle (#17): the first
        entry the coordinator's, the second the staff's."""
        from fointracker.models import SecondEntry

        s = db.session
        answer = s.get(Answer, self.answer_id())
        where = (SecondEntry.request_id == self.answered, SecondEntry.question_id == answer.question_id)
        second = s.scalar(select(SecondEntry).where(*where))
        if second is None or second.settled_at is not None or second.value_number == answer.value_number:
            if second is not None:
                s.delete(second)
                s.flush()
            s.add(
                SecondEntry(
                    request_id=self.answered,
                    question_id=answer.question_id,
                    state="provided",
                    value_number=(answer.value_number or 0) + 1,
                    raw="second",
                    entered_by_id=self.users["staff"],
                )
            )
            s.commit()
        return self.answered, answer.question_id

    def import_csv(self) -> bytes:
        """A file that changes one figure (a different one each time, so there is always a change)."""
        self.import_round += 1
        return f"authority,question,value\nKent,budget_1112,£{self.import_round}m\n".encode()


@pytest.fixture(scope="module")
def world(fuzz_app):
    return World(fuzz_app)


# --------------------------------------------------------------------------- reading forms from pages


@dataclass
class Control:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, hidden, file, button, date, email, password ...
    defaults: list[str] = field(default_factory=list)  # what the browser would send untouched
    options: list[str] = field(default_factory=list)  # the values the page offers
    multiple: bool = False


@dataclass
class FoundForm:
    action: str
    multipart: bool
    controls: dict[str, Control]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._option_value = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "enctype": a.get("enctype") or "",
                "controls": [],
                "formactions": [],
            }
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag in ("button", "input") and a.get("formaction"):
            self._form["formactions"].append(a["formaction"])  # the same form, posted elsewhere
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            checked = "checked" in a
            self._form["controls"].append((name, kind, value, checked, False))
        elif tag == "button" and name:
            self._form["controls"].append((name, "button", a.get("value", ""), False, False))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
        elif tag == "option" and self._select:
            self._option_value = a.get("value")
            self._form["controls"].append(
                (self._select[0], "select", a.get("value", ""), "selected" in a, self._select[1])
            )

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, value = self._textarea
            # A browser drops the newline that starts a textarea's content.
            value = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._form["controls"].append((name, "textarea", value, True, False))
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_on(html: str, page_url: str, action_path: str) -> FoundForm | None:
    """Every POST form on the page whose action is `action_path`, merged (a page may draw
    the same action twice: move up and move down)."""
    parser = _FormParser()
    parser.feed(html)
    merged: FoundForm | None = None
    for form in parser.forms:
        actions = [a for a in [form["action"] or page_url] + form["formactions"] if urlsplit(a).path == action_path]
        if form["method"] != "post" or not actions:
            continue
        action = actions[0]
        if merged is None:
            merged = FoundForm(action=action, multipart="multipart" in form["enctype"], controls={})
        for name, kind, value, checked, multiple in form["controls"]:
            if name == "csrf_token":
                continue
            control = merged.controls.setdefault(name, Control(name, kind, multiple=multiple))
            if value not in control.options:
                control.options.append(value)
            sends = checked if kind in ("checkbox", "radio", "select") else kind not in ("button", "submit", "file")
            if sends and value not in control.defaults:
                control.defaults.append(value)
    if merged is not None:
        for control in merged.controls.values():
            if control.kind == "select" and not control.defaults and control.options and not control.multiple:
                control.defaults = control.options[:1]  # a browser sends the first option
            if control.kind == "radio" or control.kind == "select" and not control.multiple:
                control.defaults = control.defaults[:1]
    return merged


# --------------------------------------------------------------------------- the endpoints


@dataclass
class Endpoint:
    url: Callable[[World], str]
    page: Callable[[World], str] | None = None  # where the form is drawn (default: the url)
    role: str | None = "admin"  # None: posted anonymously
    previews: bool = False  # a 200 may be a preview or a step back, not an error
    page_from_post: Callable | None = None  # the form is on the page a POST returns
    hints: dict[str, list[str]] = field(default_factory=dict)  # valid values worth trying
    prefill: dict | Callable[[World], dict] = field(default_factory=dict)  # a valid post for a blank form
    json: bool = False
    examples: int | None = None  # fewer for forms with nothing to vary
    after_success: Callable | None = None
    success_page: str | None = None  # a 200 holding this text is a success, shown at once (not redirected)


def _import_preview(client, world: World, csrf: str) -> str:
    """The confirmation form is on the preview a valid upload returns."""
    url = f"/campaigns/{world.campaign}/figures/import"
    response = client.post(
        url,
        data={"csrf_token": csrf, "file": (io.BytesIO(world.import_csv()), "figures.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _relogin(client, world, endpoint):
    login(client, endpoint.role)


def _mail_draft_again(client, world, endpoint):
    with client.application.app_context():
        world.mail_draft()


ENDPOINTS: dict[str, Endpoint] = {
    "auth.login": Endpoint(
        lambda w: "/login",
        role=None,
        hints={"email": ["admin@example.org", "ADMIN@example.org "], "password": [PASSWORD]},
        prefill={"email": ["staff@example.org"], "password": ["not the password"]},
        after_success=lambda client, w, e: client.post("/logout", data={"csrf_token": csrf_of(client)}),
    ),
    "auth.logout": Endpoint(lambda w: "/logout", page=lambda w: "/", role="author", after_success=_relogin, examples=4),
    "auth.change_password": Endpoint(
        lambda w: "/account/password",
        role="author",
        hints={"current_password": [PASSWORD], "new_password": [PASSWORD], "confirm": [PASSWORD]},
        prefill={"current_password": [PASSWORD], "new_password": [PASSWORD], "confirm": [PASSWORD]},
    ),
    "auth.reminder_preferences": Endpoint(lambda w: "/account/reminders", role="author"),
    "auth.calendar_link": Endpoint(
        lambda w: "/account/reminders/calendar-link", page=lambda w: "/account/reminders", role="author"
    ),
    "auth.api_tokens": Endpoint(lambda w: "/account/api-tokens", role="author"),
    "auth.revoke_api_token": Endpoint(
        lambda w: "/account/api-tokens/revoke",
        page=lambda w: w.api_token() and "/account/api-tokens",
        role="author",
        hints={"token_id": ["1", "999999", "99999999999999999999"]},
    ),
    "auth.end_session": Endpoint(
        lambda w: "/account/sessions/end", page=lambda w: "/account/sessions", role="author", after_success=_relogin
    ),
    "admin.new_user": Endpoint(
        lambda w: "/admin/users/new",
        hints={"email": ["new@example.org", "admin@example.org"]},
        prefill={"email": ["new@example.org"], "name": ["New"], "role": ["staff"]},
        success_page="it is not shown again",  # a generated password is shown on the 200 that answers the POST
    ),
    "admin.edit_user": Endpoint(lambda w: f"/admin/users/{w.target_user}/edit"),
    "admin.retry_reminder": Endpoint(
        lambda w: f"/admin/reminders/{w.reminder_id()}/retry",
        page=lambda w: "/admin/reminders",
        hints={"back": ["/admin/reminders?status=failed", "https://evil.example/"]},
    ),
    "campaigns.create": Endpoint(
        lambda w: "/campaigns/new",
        prefill={
            "title": ["Second campaign"],
            "default_regime": ["foia"],
            "letter_template": ["Dear {authority_name}"],
        },
    ),
    "campaigns.edit": Endpoint(lambda w: f"/campaigns/{w.campaign}/edit"),
    "campaigns.batch": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/batch",
        page=lambda w: f"/campaigns/{w.campaign}/batch?codes=KEN+BNE+DUR",
        previews=True,
        hints={"step": ["preview", "create", "back"]},
        prefill={"step": ["create"]},
    ),
    "campaigns.batch_create": Endpoint(lambda w: f"/campaigns/{w.campaign}/batch/create", json=True),
    "campaigns.new_question": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/questions/new",
        hints={"code": ["fresh_code", "budget_1011"], "qtype": ["money", "choice", "yes_no", "nonsense"]},
        prefill={"code": ["fresh_code"], "label": ["Fresh"], "qtype": ["choice"], "choices": ["One\nTwo"]},
    ),
    "campaigns.edit_question": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/questions/{w.question_id()}/edit",
        hints={"qtype": ["money", "text", "choice"]},
    ),
    "campaigns.delete_question_view": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/questions/{w.question_id()}/delete",
        page=lambda w: f"/campaigns/{w.campaign}/questions/{w.question_id()}/edit",
    ),
    "campaigns.move_question_view": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/questions/{w.question_id()}/move",
        page=lambda w: f"/campaigns/{w.campaign}/questions",
    ),
    "campaigns.import_figures": Endpoint(lambda w: f"/campaigns/{w.campaign}/figures/import", previews=True),
    "campaigns.confirm_import": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/figures/import/confirm",
        page_from_post=_import_preview,
        hints={"step": ["cancel", "import"]},
    ),
    "authorities.edit": Endpoint(
        lambda w: "/councils/KEN/edit",
        hints={"website": ["https://www.kent.gov.uk", "javascript:alert(1)"], "foi_email": ["foi@kent.gov.uk"]},
    ),
    "authorities.campaign_address": Endpoint(
        lambda w: f"/councils/KEN/campaigns/{w.campaign}/address",
        hints={"foi_email": ["foi@kent.gov.uk", "FOI <foi@kent.gov.uk>", "a@kent.gov.uk, b@kent.gov.uk", ""]},
    ),
    "deadlines.closures": Endpoint(
        lambda w: "/deadlines/closures",
        hints={"day": ["2026-12-31", "2026-12-29"]},
        prefill={"day": ["2026-12-30"], "name": ["Closed"]},
    ),
    "deadlines.delete": Endpoint(
        lambda w: f"/deadlines/closures/{w.closure_id()}/delete", page=lambda w: "/deadlines/closures"
    ),
    "foi_requests.create": Endpoint(
        lambda w: "/requests/new",
        hints={"sent_on": ["2026-03-02"]},
        prefill=lambda w: {
            "campaign_id": [str(w.campaign)],
            "authority_id": [str(w.council("DUR"))],
            "subject": ["Budgets"],
            "sent_on": ["2026-03-02"],
        },
    ),
    "foi_requests.edit": Endpoint(lambda w: f"/requests/{w.draft}/edit"),
    "foi_requests.bulk": Endpoint(
        lambda w: "/requests/bulk",
        page=lambda w: "/requests/",
        hints={"action": ["mark_sent", "assign_owner", "add_note"], "ids": [str(i) for i in (1, 2, 3, 999999)]},
        prefill=lambda w: {"ids": [str(w.answered), str(w.noted)], "action": ["add_note"], "note": ["Chased"]},
    ),
    "foi_requests.add": Endpoint(
        lambda w: f"/requests/{w.answered}/events",
        page=lambda w: f"/requests/{w.answered}",
        hints={"kind": ["note", "review_requested", "acknowledged", "chased", "partial_response"], "method": ["email"]},
        prefill={"kind": ["note"], "occurred_on": ["2026-03-25"], "note": ["Called"]},
    ),
    "foi_requests.edit_event": Endpoint(
        lambda w: f"/requests/{w.answered}/events/{w.response_event}/edit",
        hints={"outcome": ["refused", "successful"]},
        prefill={"change_reason": ["Typo"]},
    ),
    "foi_requests.remove": Endpoint(
        lambda w: f"/requests/{w.noted}/events/{w.note_event()}/remove",
        page=lambda w: f"/requests/{w.noted}/events/{w.note_event()}/edit",
    ),
    "foi_requests.add_attachments": Endpoint(
        lambda w: f"/requests/{w.answered}/events/{w.response_event}/attachments",
        page=lambda w: f"/requests/{w.answered}",
    ),
    "foi_requests.figures": Endpoint(lambda w: f"/requests/{w.answered}/figures"),
    "figures.confirm_file_unit": Endpoint(
        lambda w: f"/figures/documents/{w.sheet_document()}/unit",
        page=lambda w: f"/figures/documents/{w.sheet_document()}",
        hints={"unit": ["units", "thousands", "millions", "billions"], "grid": ["sheet:CSV", "sheet:Nope"]},
    ),
    "figures.take_cell": Endpoint(
        lambda w: f"/figures/documents/{w.sheet_document()}/take",
        page=lambda w: f"/figures/documents/{w.sheet_document()}",
        hints={"ref": ["B1", "B2", "A1", "ZZZ99999"], "grid": ["sheet:CSV", "sheet:Nope"], "typed_ref": ["B1"]},
    ),
    # Saved mappings (#17).
    "figures.save_file_mapping": Endpoint(
        lambda w: f"/figures/documents/{w.sheet_document()}/mapping",
        page=lambda w: f"/figures/documents/{w.sheet_document()}",
        hints={"by": ["cell", "label", "regex"], "scope": ["campaign", "council", "both"]},
    ),
    "figures.accept_mapping": Endpoint(
        lambda w: f"/figures/campaigns/{w.campaign}/mappings/accept",
        page=lambda w: f"/figures/campaigns/{w.campaign}/mappings/preview?mapping={w.mapping_waiting()}",
        hints={"request": ["1", "2", "999999"], "mapping": ["1", "", "x", "999999"]},
        success_page="saved for",  # the result page answers the POST
    ),
    "figures.delete_file_mapping": Endpoint(
        lambda w: f"/figures/campaigns/{w.campaign}/mappings/{w.mapping_waiting()}/delete",
        page=lambda w: f"/figures/campaigns/{w.campaign}/mappings",
    ),
    # Entry at speed (#17).
    "figures.bulk_verify": Endpoint(
        lambda w: f"/figures/verify?campaign={w.campaign}",
        page=lambda w: f"/figures/verify?campaign={w.campaign}&at={w.answer_id()}",
        hints={"action": ["selected", "all"], "ids": [str(i) for i in (1, 2, 3, 999999)], "count": ["1", "0"]},
    ),
    "figures.second_entry": Endpoint(
        lambda w: f"/figures/requests/{w.double_entry_request()}/second-entry",
        role="staff",
        hints={"q1-value": ["£1.2m", "12", "lots"], "q1-state": ["not_held", "refused"], "q1-exemption": ["s12"]},
    ),
    "figures.settle_mismatch": Endpoint(
        lambda w: "/figures/requests/{}/questions/{}/settle".format(*w.mismatch()),
        page=lambda w: f"/figures/mismatches?campaign={w.campaign}&at={w.mismatch()[1]}",
        hints={"choice": ["first", "second", "typed"], "value": ["12", "lots"], "state": ["not_held"]},
    ),
    "foi_requests.figures_entered": Endpoint(
        lambda w: f"/requests/{w.answered}/figures-entered",
        page=lambda w: f"/requests/{w.answered}",
        hints={"entered": ["1", "0"]},
    ),
    "foi_requests.verify": Endpoint(
        lambda w: f"/requests/{w.answered}/figures/{w.answer_id()}/verify",
        page=lambda w: f"/requests/{w.answered}/figures",
    ),
    # Publishing (#18): a new version (its sections, questions, threshold and licence), and unpublishing.
    "publishing.publish_page": Endpoint(
        lambda w: f"/campaigns/{w.campaign}/publish",
        hints={
            "threshold": ["5", "2", "100", "1", "101", "-3", "5.5"],
            "licence": ["cc-by-4.0", "ogl-3.0", "mine"],
            "sections": ["summary", "pairs", "secrets"],
            "questions": ["budget_1011", "eia", "nope"],
        },
        prefill={"threshold": ["5"], "licence": ["cc-by-4.0"], "sections": ["summary"], "questions": ["eia"]},
    ),
    "publishing.unpublish_view": Endpoint(
        lambda w: f"/campaigns/{w.published()}/publish/unpublish",
        page=lambda w: f"/campaigns/{w.published()}/publish",
        examples=4,
    ),
    # Letters by email (#16). The mail merge answers with a file (a ZIP or a CSV), not a page.
    "mail.send_campaign": Endpoint(lambda w: f"/mail/campaigns/{w.campaign}/send", examples=10),
    "mail.merge_zip": Endpoint(
        lambda w: f"/mail/campaigns/{w.campaign}/merge.zip",
        page=lambda w: f"/mail/campaigns/{w.campaign}/send",
        success_page="PK",
        examples=10,
    ),
    "mail.merge_csv": Endpoint(
        lambda w: f"/mail/campaigns/{w.campaign}/merge.csv",
        page=lambda w: f"/mail/campaigns/{w.campaign}/send",
        success_page="request_id,council,to,reply_to,subject,body",
        examples=10,
    ),
    "mail.send_selected": Endpoint(
        lambda w: "/mail/send",
        page=lambda w: "/requests/",
        hints={"ids": [str(i) for i in (1, 2, 3, 999999)]},
        after_success=_mail_draft_again,
    ),
    "mail.send_request": Endpoint(
        lambda w: f"/mail/requests/{w.draft}/send",
        page=lambda w: f"/requests/{w.mail_draft()}",
        after_success=_mail_draft_again,
        examples=10,
    ),
    "mail.send_follow_up": Endpoint(lambda w: f"/mail/requests/{w.answered}/letters/chaser"),
    "mail.retry_letter": Endpoint(
        lambda w: f"/mail/outbox/{w.failed_letter()}/retry",
        page=lambda w: "/mail/outbox?status=failed",
        hints={"back": ["status=failed", "https://evil.example/"]},
    ),
    "mail.cancel_letter": Endpoint(
        lambda w: f"/mail/outbox/{w.failed_letter()}/cancel",
        page=lambda w: "/mail/outbox?status=failed",
        hints={"back": ["status=failed", "https://evil.example/"]},
    ),
    # Mail in (#16): uploads (the intake page lists what became of each file), and a reply's step.
    "mail.upload": Endpoint(
        lambda w: "/mail/upload", page=lambda w: "/mail/", success_page="What happened to each file"
    ),
    "mail.upload_to_request": Endpoint(
        lambda w: f"/mail/requests/{w.answered}/upload", page=lambda w: f"/requests/{w.answered}"
    ),
    "mail.confirm_step": Endpoint(
        lambda w: f"/mail/{w.mail_reply()}/confirm", page=lambda w: f"/mail/{w.mail_reply()}", examples=10
    ),
    "mail.dismiss_step": Endpoint(
        lambda w: f"/mail/{w.mail_reply()}/dismiss", page=lambda w: f"/mail/{w.mail_reply()}", examples=10
    ),
    "mail.correct": Endpoint(
        lambda w: f"/mail/{w.mail_reply()}/correct",
        page=lambda w: f"/mail/{w.mail_reply()}",
        hints={"kind": ["note", "acknowledged", "response_received", "transferred"], "outcome": ["refused"]},
    ),
    "mail.assign_to_request": Endpoint(
        lambda w: f"/mail/{w.mail_reply('triage')}/assign",
        page=lambda w: f"/mail/{w.mail_reply('triage')}?q=Kent",
        hints={"request_id": ["1", "2", "999999", "99999999999999999999"]},
        examples=10,
    ),
}


def test_every_post_endpoint_is_fuzzed(fuzz_app):
    # The JSON API's writes (api.*) take JSON, not forms: schemathesis fuzzes them from the OpenAPI
    # document (tests/test_api_schemathesis.py).
    posting = {
        rule.endpoint
        for rule in fuzz_app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api.")
    }
    assert posting - ENDPOINTS.keys() == set(), "new POST endpoints: add them to ENDPOINTS in this file"
    assert ENDPOINTS.keys() - posting == set(), "ENDPOINTS names endpoints that no longer exist"


# --------------------------------------------------------------------------- values


class Big(str):
    """A huge value that prints short in Hypothesis' reports."""

    def __repr__(self):
        return f"Big({self[:1]!r} * {len(self)})"


NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 3,
    "\x1b[31mred",
    "\x07",
    "\x0c",
    "\r\n",
    "\t",
    "\u2028",
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "99999999999999999999999999",
    "3.14",
    "1,000",
    "£12",
    "2026-02-30",
    "31/31/2026",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "0001-01-01",
    "1899-12-31",
    "2026-2-3",
    " 2026-03-02 ",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "%s%s%n",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "../../etc/passwd",
    "\u202eevil",
    "😀",
    "ｆｕｌｌ",
    "\ufeffbom",
    "\uffff",
    "e\u0301",
    "a" * 301,
    Big("x" * 60_000),
]
HUGE = Big("y" * 600_000)  # beyond the form-memory limit: a 413, which must still say what is wrong

junk = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=10),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(date.isoformat),
    st.just(HUGE),
)
garbage_file = st.tuples(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"",
                b"\x00" * 10,
                b"\xff\xfe\xfa",
                b"authority,question,value\nKent,budget_1011,\x00\n",
                b"authority,question,value\nKent,budget_1011,\xff\n",
                b"PK\x03\x04not really a zip",
                b"a,b\n1,2,3\n",
            ]
        ),
    ),
    st.one_of(
        st.sampled_from(
            [
                "",
                "x.csv",
                "x.xlsx",
                "x.pdf",
                "../../etc/passwd",
                "noext",
                "x.exe",
                "a\x00b.csv",
                "\u202egpj.exe",
                "x" * 300 + ".csv",
                ".csv",
                "C:\\temp\\x.csv",
            ]
        ),
        st.text(max_size=20),
    ),
)

# A post is drawn without looking at the form (so every example draws the same way whatever the
# page looks like now), then applied to the form's controls: each mutation names a control by a
# number taken modulo the number of controls; the controls no mutation names keep what the page
# prefilled, as a browser would send them.
index = st.integers(0, 10**6)
mutation = st.one_of(
    st.tuples(st.just("drop")),
    st.tuples(st.just("option"), index),
    st.tuples(st.just("options"), st.lists(index, max_size=4)),
    st.tuples(st.just("hint"), index),
    st.tuples(st.just("junk"), junk),
    st.tuples(st.just("junk"), junk),
    st.tuples(st.just("repeat"), st.lists(st.one_of(junk, index), min_size=2, max_size=3)),
    st.tuples(st.just("files"), st.lists(garbage_file, min_size=1, max_size=3)),
)
posts = st.fixed_dictionaries(
    {
        # Mostly a browser's form post; sometimes JSON or plain text where a form is expected.
        "encoding": st.sampled_from(["form"] * 8 + ["json", "text"]),
        "empty": st.integers(0, 9).map(lambda n: n == 0),  # an empty body (the CSRF token is still added)
        "mutations": st.lists(st.tuples(index, mutation), min_size=1, max_size=6),
        "extra": st.lists(st.tuples(st.one_of(index, st.text(max_size=12)), junk), max_size=2),
    }
)


def request_for(plan: dict, body: MultiDict, multipart: bool, token: str) -> dict:
    """The test client's arguments for a drawn post: the CSRF token as a form field, or in the
    header for a body that is not a form (as JavaScript would send it)."""
    if plan["encoding"] == "json":
        fields = {name: value for name, value in body.items() if isinstance(value, str)}
        document = [
            fields,
            list(fields.items()),
            {name: {"nested": [value]} for name, value in fields.items()},
            len(fields),
        ][plan["mutations"][0][0] % 4]
        return {"data": json.dumps(document), "content_type": "application/json", "headers": {"X-CSRFToken": token}}
    if plan["encoding"] == "text":
        return {
            "data": "\n".join(f"{k}={v}" for k, v in body.items() if isinstance(v, str)),
            "content_type": "text/plain",
            "headers": {"X-CSRFToken": token},
        }
    body.add("csrf_token", token)
    return {"data": body, "content_type": "multipart/form-data" if multipart else None}


def _file(data: bytes, name: str):
    return (io.BytesIO(data), name)


def apply_post(plan: dict, controls: dict[str, Control], hints: dict[str, list[str]]) -> MultiDict:
    """The form body a drawn plan makes of these controls."""
    if plan["empty"]:
        return MultiDict()
    names = sorted(controls)
    chosen: dict[str, list] = {}
    for number, change in plan["mutations"]:
        if not names:
            break
        control = controls[names[number % len(names)]]
        options = control.options or [""]
        action = change[0]
        if action == "drop":
            values = []
        elif action == "option":
            values = [options[change[1] % len(options)]]
        elif action == "options":
            values = [options[i % len(options)] for i in change[1]]
        elif action == "hint":
            pool = hints.get(control.name) or options
            values = [pool[change[1] % len(pool)]]
        elif action == "junk":
            values = [change[1]]
        elif action == "repeat":
            values = [v if isinstance(v, str) else options[v % len(options)] for v in change[1]]
        else:  # files, wherever they land: a file where text is wanted is bad input too
            values = [_file(data, name) for data, name in change[1]]
        chosen[control.name] = values
    pairs = []
    for name in names:
        for value in chosen.get(name, controls[name].defaults):
            pairs.append((name, value))
    for name, value in plan["extra"]:
        pairs.append((names[name % len(names)] if isinstance(name, int) and names else str(name), value))
    return MultiDict(pairs)


json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        junk,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def batch_payloads(draw, world_ids: list[int], owner_ids: list[int]):
    """(body, content type) for the batch JSON endpoint: valid-looking, wrong-typed, or not JSON at all."""
    shape = draw(st.sampled_from(["payload", "payload", "payload", "any-json", "not-json", "form"]))
    if shape == "not-json":
        return draw(
            st.sampled_from([b"", b"{", b"\x00\xff", b"[1,2", b"null", '{"authority_ids": [1]}'.encode("utf-16")])
        ), "application/json"
    if shape == "any-json":
        return json.dumps(draw(json_value)).encode(), "application/json"
    if shape == "form":
        return b"authority_ids=1&subject=x", "application/x-www-form-urlencoded"
    payload = {
        "authority_ids": draw(
            st.one_of(
                st.lists(st.one_of(st.sampled_from(world_ids), json_value), max_size=5),
                json_value,
                st.lists(st.sampled_from(world_ids), min_size=501, max_size=502),
            )
        ),
        "subject": draw(st.one_of(junk, json_value)),
        "sent_on": draw(st.one_of(junk, st.just("2026-03-02"), json_value)),
        "owner_id": draw(st.one_of(st.sampled_from(owner_ids), json_value)),
        "allow_duplicates": draw(json_value),
    }
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=2)):
        payload.pop(key, None)
    return json.dumps(payload).encode(), "application/json"


# --------------------------------------------------------------------------- checks


def table_checksums(app, skip=UNCHECKED_TABLES) -> dict[str, str]:
    """A digest of every row of every table (by default all but the audit trail and the login attempts)."""
    digests = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for name, table in sorted(db.metadata.tables.items()):
                if name in skip:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(table.select().order_by(*order)).all()
                digests[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
    return digests


def upload_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


ERROR_MARKERS = ('class="error"', 'class="error-summary"', "flash-error", "flash-warning")


def says_what_is_wrong(response) -> bool:
    if response.is_json:  # a JSON body gets its error as JSON
        error = (response.get_json(silent=True) or {}).get("error")
        return isinstance(error, str) and bool(error.strip())
    body = response.get_data(as_text=True)
    if any(marker in body for marker in ERROR_MARKERS):
        return True
    # The error page (400, 403, 404, 413 ...): a title and a sentence.
    return response.status_code >= 400 and "<h1>" in body and "Back to the dashboard" in body


def pop_flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


_TOKENS: dict[tuple[int, str], str] = {}


def csrf_of(client) -> str:
    """The token a page of this session draws (read from a page once per session token)."""
    with client.session_transaction() as session:
        raw = session.get("csrf_token")
    if (id(client), raw) not in _TOKENS:
        html = client.get("/login").get_data(as_text=True)
        if 'name="csrf-token"' not in html and 'name="csrf_token"' not in html:
            html = client.get("/account/password").get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, "no CSRF token on the page"
        with client.session_transaction() as session:
            raw = session.get("csrf_token")
        _TOKENS[(id(client), raw)] = match.group(1) or match.group(2)
    return _TOKENS[(id(client), raw)]


def login(client, role: str | None) -> None:
    if role is None:
        return
    with client.application.app_context():
        db.session.execute(LoginAttempt.__table__.delete())  # the login fuzz may have tripped the rate limit
        db.session.commit()
    token = csrf_of(client)
    response = client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    pop_flashes(client)


def discover(client, world: World, endpoint: Endpoint) -> tuple[str, dict[str, Control], bool]:
    """(where to post, the form's controls, multipart?) read from the page that draws the form."""
    with client.application.app_context():
        url = endpoint.url(world)
        page = (endpoint.page or endpoint.url)(world)
    if endpoint.page_from_post:
        html = endpoint.page_from_post(client, world, csrf_of(client))
    else:
        response = client.get(page)
        assert response.status_code == 200, f"GET {page}: {response.status_code}"
        html = response.get_data(as_text=True)
    pop_flashes(client)
    found = forms_on(html, page, urlsplit(url).path)
    assert found is not None, f"no form posting to {url} on {page}"
    with client.application.app_context():
        prefill = endpoint.prefill(world) if callable(endpoint.prefill) else endpoint.prefill
    for name, values in prefill.items():
        assert name in found.controls, f"{url}: the form has no field {name!r} any more"
        found.controls[name].defaults = list(values)
    return found.action, found.controls, found.multipart


# --------------------------------------------------------------------------- the tests


def _check_refusal(app, response, before, files_before, what: str, flashes=()):
    assert table_checksums(app) == before, f"{what}: refused, but the database changed"
    assert upload_files(app) == files_before, f"{what}: refused, but files were left in the upload folder"


@pytest.mark.parametrize("name", sorted(name for name, e in ENDPOINTS.items() if not e.json))
def test_form_survives_bad_input(fuzz_app, world, name):
    app, endpoint = fuzz_app, ENDPOINTS[name]
    client = app.test_client()
    login(client, endpoint.role)
    state = {"form": discover(client, world, endpoint)}
    outcomes = []

    @settings(fuzz_settings, max_examples=endpoint.examples or EXAMPLES)
    @given(plan=posts)
    def post_bad_input(plan):
        action, controls, multipart = state["form"]
        body = apply_post(plan, controls, endpoint.hints)
        before, files_before = table_checksums(app), upload_files(app)
        response = client.post(action, **request_for(plan, body, multipart, csrf_of(client)))
        page = response.get_data(as_text=True)
        what = f"POST {action} → {response.status_code}"
        assert response.status_code < 500, what
        assert "Traceback" not in page, what
        if response.status_code in (301, 302, 303):
            flashes = pop_flashes(client)
            if any(category == "error" for category, _ in flashes):
                outcomes.append("refused (flash)")
                _check_refusal(app, response, before, files_before, what)
                return
            outcomes.append("redirect")
            if table_checksums(app) != before or endpoint.after_success:
                # A success: rebuild what it used up, and read the form again from the new state.
                if endpoint.after_success:
                    endpoint.after_success(client, world, endpoint)
                state["form"] = discover(client, world, endpoint)
            return
        if response.status_code == 200 and endpoint.success_page and endpoint.success_page in page:
            outcomes.append("shown")
            state["form"] = discover(client, world, endpoint)
            return
        pop_flashes(client)
        outcomes.append(response.status_code)
        if response.status_code == 200 and endpoint.previews:
            assert table_checksums(app) == before, f"{what}: a preview changed the database"
            return
        assert says_what_is_wrong(response), f"{what}: no error message on the page:\n{page[:3000]}"
        _check_refusal(app, response, before, files_before, what)

    post_bad_input()
    assert outcomes, "no example ran"
    print(f"\n{name}: " + ", ".join(f"{o}×{n}" for o, n in sorted(Counter(map(str, outcomes)).items())))


def test_batch_json_endpoint_survives_bad_input(fuzz_app, world):
    app = fuzz_app
    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        council_ids = list(
            db.session.scalars(select(Authority.id).where(Authority.code.in_(("KEN", "BNE", "DUR"))))
        ) + [0, -1, 10**9]
        owner_ids = list(db.session.scalars(select(User.id))) + [0, 10**9]
    url = ENDPOINTS["campaigns.batch_create"].url(world)

    @fuzz_settings
    @given(payload=batch_payloads(council_ids, owner_ids))
    def post_bad_json(payload):
        body, content_type = payload
        before = table_checksums(app)
        response = client.post(url, data=body, content_type=content_type, headers={"X-CSRFToken": csrf_of(client)})
        what = f"POST {url} {body[:200]!r} → {response.status_code}"
        assert response.status_code < 500, what
        assert response.is_json, f"{what}: not JSON: {response.get_data(as_text=True)[:500]}"
        result = response.get_json()
        if response.status_code == 200:
            assert isinstance(result.get("created"), int), what
            return
        assert isinstance(result.get("error"), str) and result["error"].strip(), f"{what}: {result}"
        assert "Traceback" not in result["error"]
        assert table_checksums(app) == before, f"{what}: refused, but the database changed"

    post_bad_json()


def test_checks_catch_a_written_refusal(fuzz_app, world):
    """The checks can fail: a row written behind a refusal changes the checksum, and a bare
    page says nothing."""
    before = table_checksums(fuzz_app)
    with fuzz_app.app_context():
        user = db.session.get(User, world.target_user)
        user.name = user.name + "!"
        db.session.commit()
    assert table_checksums(fuzz_app) != before

    from werkzeug.wrappers import Response

    assert not says_what_is_wrong(Response("<html><body>Bad</body></html>", status=400))
    assert not says_what_is_wrong(Response('{"created": 0}', status=400, mimetype="application/json"))


# --------------------------------------------------------------------------- what the fuzz found, pinned


def test_a_file_posted_under_a_text_field_is_refused(fuzz_app, world):
    """FlaskForm handed the file to the text field, whose Length validator raised TypeError (a 500)."""
    client = fuzz_app.test_client()
    login(client, "admin")
    with fuzz_app.app_context():
        url = f"/requests/{world.noted}/events/{world.note_event()}/remove"
    before = table_checksums(fuzz_app)
    response = client.post(
        url,
        data={"csrf_token": csrf_of(client), "change_reason": (io.BytesIO(b"why"), "reason.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert ("error", "Say why the event is being removed.") in pop_flashes(client)
    assert table_checksums(fuzz_app) == before


@pytest.mark.parametrize("document", ["5", "[1, 2]", '{"title": {"a": 1}}'])
def test_a_json_body_is_not_read_as_a_form(fuzz_app, world, document):
    """FlaskForm read a JSON body as the form: a number or a list raised TypeError (a 500), and an
    object put dictionaries where text belongs."""
    client = fuzz_app.test_client()
    login(client, "admin")
    before = table_checksums(fuzz_app)
    response = client.post(
        "/campaigns/new", data=document, content_type="application/json", headers={"X-CSRFToken": csrf_of(client)}
    )
    assert response.status_code in (200, 400) and says_what_is_wrong(response)
    assert table_checksums(fuzz_app) == before


def test_control_characters_are_refused_on_their_field(fuzz_app, world):
    """An escape character in a title was saved, and then every XLSX export of the campaign
    failed (openpyxl refuses it); a NUL byte was a 500 on PostgreSQL."""
    client = fuzz_app.test_client()
    login(client, "admin")
    before = table_checksums(fuzz_app)
    response = client.post(
        "/campaigns/new", data={"csrf_token": csrf_of(client), "title": "Cuts \x1b[31m", "default_regime": "foia"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="error" id="title-error"' in page
    assert "invisible control character" in page
    with fuzz_app.app_context():
        question = db.session.get(Question, world.question_id())
        url = f"/requests/{world.answered}/figures"
    grid = client.get(url).get_data(as_text=True)
    form = forms_on(grid, url, url)
    body = MultiDict([(name, value) for name, control in form.controls.items() for value in control.defaults])
    body[f"q{question.id}-note"] = "Table\x0con page 3"  # a form feed, as copied out of a PDF
    body.add("csrf_token", csrf_of(client))
    response = client.post(form.action, data=body)
    assert response.status_code == 400
    assert f'id="q{question.id}-note-error"' in response.get_data(as_text=True)
    assert table_checksums(fuzz_app) == before


def test_a_huge_text_field_is_not_called_a_file(fuzz_app, world):
    client = fuzz_app.test_client()
    login(client, "admin")
    # Werkzeug limits the text parts of a multipart body (MAX_FORM_MEMORY_SIZE).
    response = client.post(
        "/campaigns/new",
        data={"csrf_token": csrf_of(client), "title": "x", "description": HUGE},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Too much text" in page and "File too large" not in page
