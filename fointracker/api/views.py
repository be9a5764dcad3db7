"""The API's read endpoints: campaigns, questions, requests, events, tidy answers, the report.

Each loads what it shows through the web app's own helpers (auth.permissions, services.access),
so a token sees exactly what its user sees on the pages; lists page by a cursor on their ids,
which new or changed rows cannot shift (no row twice, none skipped)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from flask import Response, current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..auth.permissions import get_campaign_or_404, get_request_or_404, visible_campaigns
from ..deadlines import page_calendars
from ..domain.event_details import describe
from ..domain.lifecycle import EventKind
from ..extensions import db
from ..models import Authority, Campaign, FoiRequest, Question, RequestEvent
from ..services.deadlines import request_state
from ..services.report_answers import council_answers_statement
from ..services.report_exports import FORMATS, TIDY_COLUMNS, json_chunks, tidy_row
from . import bp
from .schemas import (
    AnswerPageArgs,
    CampaignListSchema,
    CampaignSchema,
    ErrorSchema,
    QuestionListSchema,
    RequestDetailSchema,
    RequestListArgs,
    RequestPageSchema,
    TidyAnswerPageSchema,
    encode_cursor,
)

# RequestDetailSchema's fields that are the request's own columns.
REQUEST_COLUMNS = tuple(name for name in RequestDetailSchema().fields if name not in ("council", "deadline_state"))


ERROR_DESCRIPTIONS = {
    401: "No token, or not a valid one.",
    403: "Your role does not allow this.",
    404: "Not found, or of a campaign you are not a member of.",
    413: "The body is too large.",
    422: "Invalid input: `errors` says which field and why.",
}


def documented(*codes: int):
    """The error answers an operation may give, in the OpenAPI document (ErrorSchema's shape)."""

    def decorator(view):
        for code in codes:
            view = bp.alt_response(code, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[code])(view)
        return view

    return decorator


# ---------------------------------------------------------------- serialising


def request_out(foi_request: FoiRequest) -> dict:
    """A request as RequestSchema dumps it, with where its deadline stands today."""
    state = request_state(foi_request, clock.today(), page_calendars(), current_app.config["DUE_SOON_WORKING_DAYS"])
    out = {name: getattr(foi_request, name) for name in REQUEST_COLUMNS}
    out["authority"] = foi_request.authority
    out["deadline_state"] = state.value if state else None
    return out


def event_out(event: RequestEvent) -> dict:
    kind = EventKind(event.kind)
    return {
        "id": event.id,
        "kind": kind.value,
        "label": kind.label,
        "occurred_on": event.occurred_on,
        "details": event.details or {},
        "summary": describe(kind, event.details or {}, event.occurred_on),
        "note": event.note or "",
        "created_by_id": event.created_by_id,
        "created_at": event.created_at,
        "attachments": list(event.attachments),
    }


def _number(value):
    """An exact stored number as a JSON number: an int when whole, else the float of the same digits."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def tidy_out(row) -> dict:
    values = dict(zip(TIDY_COLUMNS, tidy_row(row)))
    values["value"] = _number(values["value"]) if isinstance(values["value"], Decimal) else values["value"]
    values["low"], values["high"] = _number(values["low"]), _number(values["high"])
    return {"request_id": row.request_id, "question_id": row.question_id, **values}


# ---------------------------------------------------------------- campaigns


@bp.route("/campaigns")
@bp.response(200, CampaignListSchema)
@documented(401)
def campaigns():
    """The campaigns you are a member of (an admin: every campaign)."""
    rows = db.session.scalars(select(Campaign).where(visible_campaigns(Campaign.id)).order_by(Campaign.id))
    return {"items": list(rows)}


@bp.route("/campaigns/<id:campaign_id>")
@bp.response(200, CampaignSchema)
@documented(401, 404)
def campaign(campaign_id: int):
    """One campaign."""
    return get_campaign_or_404(campaign_id)


@bp.route("/campaigns/<id:campaign_id>/questions")
@bp.response(200, QuestionListSchema)
@documented(401, 404)
def questions(campaign_id: int):
    """A campaign's questions, in the report's order."""
    found = get_campaign_or_404(campaign_id)
    rows = db.session.scalars(
        select(Question).where(Question.campaign_id == found.id).order_by(Question.position, Question.id)
    )
    return {"items": list(rows)}


# ---------------------------------------------------------------- requests


def _filter_form(args: dict) -> SimpleNamespace:
    """The request list page's filters as its form would hold them, for filtered_requests."""
    names = ("q", "campaign", "status", "outcome", "region", "owner", "deadline")
    form = SimpleNamespace(**{name: SimpleNamespace(data=args.get(name)) for name in names})
    form.sort = SimpleNamespace(data="newest")
    return form


@bp.route("/requests")
@bp.arguments(RequestListArgs, location="query")
@bp.response(200, RequestPageSchema)
@documented(401)
def requests(args):
    """Requests, filtered as on the request list page.

    Of the campaigns you are a member of, oldest first (by id); pass `next_cursor` as `cursor` for
    the next page."""
    from ..foi_requests.views import filtered_requests

    stmt = filtered_requests(
        _filter_form(args), None, clock.today(), page_calendars(), current_app.config["DUE_SOON_WORKING_DAYS"]
    )
    if args.get("council"):
        code = args["council"].strip().upper()
        stmt = stmt.where(or_(Authority.code == code, Authority.gss_code == code))
    if "cursor" in args:
        stmt = stmt.where(FoiRequest.id > args["cursor"][0])
    limit = args["limit"]
    rows = db.session.scalars(stmt.order_by(None).order_by(FoiRequest.id).limit(limit + 1)).unique().all()
    page = rows[:limit]
    more = len(rows) > limit
    return {"items": [request_out(r) for r in page], "next_cursor": encode_cursor(page[-1].id) if more else None}


@bp.route("/requests/<id:request_id>")
@bp.response(200, RequestDetailSchema)
@documented(401, 404)
def foi_request(request_id: int):
    """One request, with its letter."""
    return request_out(get_request_or_404(request_id))


def timeline(request_id: int) -> dict:
    """A request's timeline, in order (GET of writes.RequestEvents, which also takes a new event)."""
    found = get_request_or_404(request_id)
    rows = db.session.scalars(
        select(RequestEvent)
        .options(selectinload(RequestEvent.attachments))
        .where(RequestEvent.request_id == found.id)
        .order_by(RequestEvent.occurred_on, RequestEvent.id)
    )
    return {"items": [event_out(e) for e in rows]}


# ---------------------------------------------------------------- answers and the report


@bp.route("/campaigns/<id:campaign_id>/answers")
@bp.arguments(AnswerPageArgs, location="query")
@bp.response(200, TidyAnswerPageSchema)
@documented(401, 404)
def answers(args, campaign_id: int):
    """The campaign's answers, tidy: one row per council and question.

    The tidy CSV's rows and columns, with the request's and question's ids, ordered by those ids;
    pass `next_cursor` as `cursor` for the next page."""
    found = get_campaign_or_404(campaign_id)
    stmt = council_answers_statement(found.id).order_by(None).order_by(FoiRequest.id, Question.id)
    if "cursor" in args:
        after_request, after_question = args["cursor"]
        stmt = stmt.where(
            or_(
                FoiRequest.id > after_request,
                and_(FoiRequest.id == after_request, Question.id > after_question),
            )
        )
    limit = args["limit"]
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    page = rows[:limit]
    more = len(rows) > limit
    return {
        "items": [tidy_out(r) for r in page],
        "next_cursor": encode_cursor(page[-1].request_id, page[-1].question_id) if more else None,
    }


@bp.route("/campaigns/<id:campaign_id>/report")
@bp.doc(
    responses={
        200: {
            "description": "The same document as the report page's report.json.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
@documented(401, 404)
def report(campaign_id: int):
    """The campaign's report figures.

    Byte for byte the report page's JSON download (report.json)."""
    from ..reports.views import cached_report

    found = get_campaign_or_404(campaign_id)
    chunks = json_chunks(cached_report(found).report)
    return Response(chunks, content_type=f"{FORMATS['json'].mimetype}; charset=utf-8")
