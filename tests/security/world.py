"""A small world for the security tests, built through the services (the app's own write
path): a campaign with coordinators and members (and a user of each role who is not one),
questions (a before/after pair, a text and a choice
question), requests with timelines, a document, answers, a closure day, a reminder, a
calendar link, a spare user and the campaign's report published. Every URL parameter of the app can be filled from it.

Every text a user can write is asked of `text(field, plain)`, so the same world is built
with plain text (the URL matrix), with script payloads (stored XSS) or with formulas
(export injection).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import (
    Answer,
    Authority,
    ClosureDay,
    MailMessage,
    Reminder,
    RequestEvent,
    User,
)
from fointracker.services.answers import AnswerInput, save_answers
from fointracker.services.attachments import attach
from fointracker.services.authorities import update_authority
from fointracker.services.batch import bulk_add_note
from fointracker.services.calendar import add_closure
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.mail_intake import receive
from fointracker.services.preferences import new_calendar_token
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event, update_event

from .conftest import add_person

Text = Callable[[str, str], str]
ROLES = ("admin", "coordinator", "staff", "author")


def outsider_email(role: str) -> str:
    """The world's user of `role` who is not a member of its campaign."""
    return f"outsider-{role}@example.org"


def plain(_field: str, value: str) -> str:
    return value


@dataclass
class World:
    params: dict  # URL argument name -> value, for every rule of the app
    campaign_id: int
    request_ids: list[int]
    question_ids: dict[str, int]
    owner_email: str
    feed_token: str
    event_day: date  # the date of the event params["event_id"] names


def build_world(app, users: dict[str, int], text: Text = plain) -> World:
    """`users`: {role: id}, the `people` fixture."""
    today = clock.today()
    with app.app_context():
        s = db.session
        spare = s.get(User, add_person("spare@example.org", "staff", text("user.name", "Spare Person")))
        kent = s.scalar(select(Authority).where(Authority.code == "KEN"))
        hampshire = s.scalar(select(Authority).where(Authority.code == "HAM"))
        update_authority(
            s,
            kent,
            {
                "official_name": text("authority.official_name", kent.official_name),
                "short_name": text("authority.short_name", kent.short_name),
                "foi_email": text("authority.foi_email", "foi@kent.example"),
                "website": text("authority.website", "https://www.kent.example/"),
            },
            users["admin"],
        )
        campaign = save_campaign(
            s,
            None,
            {
                "title": text("campaign.title", "Care budgets"),
                "description": text("campaign.description", "Adult social care budgets, 2010 to 2012."),
                "default_regime": "foia",
                "letter_template": text("campaign.letter_template", "Dear {authority_name}, please send the budgets."),
                "webhook_url": "",
            },
            [users["coordinator"]],
            users["coordinator"],
            member_ids=[users["staff"], users["author"]],  # and its coordinator; admins see everything
        )
        # A second user of each role who is no member of the campaign (services.access).
        for role in ROLES:
            add_person(outsider_email(role), role, text("user.name", f"Outsider {role}"))

        def new_request(authority, sent_on, owner, field):
            return create_request(
                s,
                {
                    "campaign_id": campaign.id,
                    "authority_id": authority.id,
                    "regime": "foia",
                    "subject": text(f"{field}.subject", "Budgets"),
                    "body": text(f"{field}.body", "Please send them."),
                    "sent_on": sent_on,
                    "received_on": None,
                    "council_reference": text(f"{field}.council_reference", "REF-1"),
                    "owner_id": owner,
                },
                users["staff"],
            )

        answered = new_request(kent, today - timedelta(days=60), users["staff"], "request")
        acknowledged = add_event(
            s,
            answered,
            kind="acknowledged",
            occurred_on=today - timedelta(days=58),
            note="Acknowledged.",
            user_id=users["staff"],
        )
        update_event(
            s,
            acknowledged,
            occurred_on=acknowledged.occurred_on,
            details={},
            note=text("event.note", "Acknowledged by phone."),
            reason=text("event.change_reason", "Added how"),
            user_id=users["staff"],
        )
        response = add_event(
            s,
            answered,
            kind="response_received",
            occurred_on=today - timedelta(days=40),
            details={"outcome": "successful"},
            note=text("response.note", "All figures given."),
            user_id=users["staff"],
        )
        upload = FileStorage(
            io.BytesIO(b"%PDF-1.4 budgets"),
            filename=text("attachment.filename", "Budgets 2011.pdf"),
            content_type="application/pdf",
        )
        store = FileStore.from_config(app.config)
        attach(s, response, [upload], store, app.config["MAX_CONTENT_LENGTH"], users["staff"])
        # A council's figures as a spreadsheet (#17): the file viewer's document (params["attachment_id"]).
        sheet = FileStorage(io.BytesIO('Net budget (£000s),"1,234"\n'.encode()), filename="Figures 2011.csv")
        attach(s, response, [sheet], store, app.config["MAX_CONTENT_LENGTH"], users["staff"])
        s.commit()
        # Sent a few days ago: its deadline is ahead, so its owner's reminders are planned.
        waiting = new_request(hampshire, today - timedelta(days=3), users["staff"], "request2")
        bulk_add_note(s, [waiting.id], text("bulk.note", "Chased by email."), users["coordinator"])

        before = create_question(
            s,
            campaign,
            {
                "code": "budget_1011",
                "label": text("question.label", "Adult social care budget"),
                "qtype": "money",
                "period_label": text("question.period_label", "2010/11"),
                "help_text": text("question.help_text", "The net budget."),
                "pair_group": "",
            },
            users["author"],
        )
        after = create_question(
            s,
            campaign,
            {
                "code": "budget_1112",
                "label": "Adult social care budget",
                "qtype": "money",
                "period_label": "2011/12",
                "pair_group": text("question.pair_group", "budget"),
            },
            users["author"],
            pair_with=before.id,
        )
        free_text = create_question(
            s,
            campaign,
            {"code": "how", "label": text("question2.label", "How the service is run"), "qtype": "text"},
            users["author"],
        )
        choice = create_question(
            s,
            campaign,
            {
                "code": "eia",
                "label": "Impact assessment",
                "qtype": "choice",
                "choices": text("question.choice", "Done") + "\nNot done",
            },
            users["author"],
        )
        save_answers(
            s,
            answered,
            {
                before.id: AnswerInput(
                    raw="1000000",
                    note=text("answer.note", "From the budget book."),
                    source_page=text("answer.source_page", "p. 4"),
                ),
                after.id: AnswerInput(raw="900000"),  # a cut: Kent is in the report's largest cuts
                free_text.id: AnswerInput(raw=text("answer.value_text", "In house")),
                choice.id: AnswerInput(raw=text("question.choice", "Done")),
            },
            users["staff"],
        )
        add_closure(
            s,
            day=today + timedelta(days=30),
            name=text("closure.name", "Office move"),
            calendar="all",
            remove=False,
            user_id=users["admin"],
        )
        staff = s.get(User, users["staff"])
        token = new_calendar_token(s, staff, users["staff"])

        event = s.scalar(
            select(RequestEvent).where(RequestEvent.request_id == answered.id, RequestEvent.kind == "acknowledged")
        )
        reminder = s.scalar(select(Reminder).order_by(Reminder.id).limit(1))
        assert reminder is not None, "the world needs a planned reminder"
        reminder_id = reminder.id
        # What a webhook answered when it refused (delivery copies it): text from outside.
        reminder.last_error = "webhook answered HTTP 500: " + text("reminder.last_error", "Internal Server Error")
        s.commit()
        # A letter waiting in the mail outbox (#16): text that came from the request's letters.
        letter = MailMessage(
            direction="out",
            status="queued",
            campaign_id=campaign.id,
            request_id=answered.id,
            letter_kind="chaser",
            to_addr="foi@kent.example",
            subject=text("mail.subject", "Overdue: Budgets"),
            body_text=text("mail.body", "Dear Kent County Council, please reply."),
        )
        s.add(letter)
        s.commit()
        # A reply the intake filed on the request by our reference (#16): the council's words, and a file.
        reply = receive(
            s,
            (
                "From: foi@kent.example\r\nTo: campaign@example.org\r\nMessage-ID: <world-reply@kent.example>\r\n"
                f"Subject: Re: FT-{answered.id} "
                + " ".join(text("mail.reply_subject", "Budgets").splitlines())  # one header line
                + "\r\nMIME-Version: 1.0\r\n"
                'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
                + text("mail.reply_body", "Thank you for your request. We will respond within 20 working days.")
                + '\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="Reply.pdf"\r\n\r\n'
                "%PDF-1.4 reply\r\n--B--\r\n"
            ).encode("utf-8"),
            source="upload",
            store=FileStore.from_config(app.config),
            config=app.config,
        ).message
        s.commit()
        attachment_id = max(a.id for a in response.attachments)  # the spreadsheet (the viewer reads it)
        answer_id = s.scalar(select(Answer.id).where(Answer.question_id == before.id))
        closure_id = s.scalar(select(ClosureDay.id))
        # A saved mapping of the campaign's (#17): params["mapping_id"].
        from fointracker.models import FileMapping

        rule = {
            "question": before.code,
            "by": "label",
            "label": text("mapping.label", "Net budget"),
            "direction": "right",
        }
        mapping = FileMapping(campaign_id=campaign.id, name=text("mapping.name", "Budget template"), rules=[rule])
        s.add(mapping)
        s.commit()
        # The campaign's report, published (#18): the public pages' params["slug"].
        from dataclasses import replace

        from fointracker.services.publishing import default_options, publish

        options = replace(
            default_options(s, campaign),
            summary=text("publish.summary", "What councils spent on adult social care."),
            publisher=text("publish.publisher", "Care Watch"),
        )
        version = publish(
            s,
            campaign,
            options,
            text("publish.note", "First publication."),
            users["author"],
            lambda slug, number: f"https://example.org/p/{slug}/v/{number}",
        )
        s.commit()
        params = {
            "slug": version.published_report.slug,
            "number": version.number,
            "mapping_id": mapping.id,
            "campaign_id": campaign.id,
            "request_id": answered.id,
            "event_id": event.id,
            "question_id": before.id,
            "answer_id": answer_id,
            "attachment_id": attachment_id,
            "user_id": spare.id,
            "reminder_id": reminder_id,
            "closure_id": closure_id,
            "code": "KEN",
            "token": token,
            "filename": "app.css",
            "question_code": before.code,
            "pair_index": 0,
            "outbox_id": letter.id,
            "message_id": reply.id,
            "file_id": reply.attachments[0].id,
            "letter_kind": "chaser",
        }
        world = World(
            params=params,
            campaign_id=campaign.id,
            request_ids=[answered.id, waiting.id],
            question_ids={"before": before.id, "after": after.id, "text": free_text.id, "choice": choice.id},
            owner_email="staff@example.org",
            feed_token=token,
            event_day=event.occurred_on,
        )
        s.remove()
    return world
