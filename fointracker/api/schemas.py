"""The JSON API's shapes (marshmallow): what it reads from a call and what it answers. flask-smorest
validates input against these (422 naming the field) and writes them into the OpenAPI document."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

from ..domain.event_details import (
    APPEAL_RESULTS,
    APPELLANTS,
    CHASE_METHODS,
    DECISION_OUTCOMES,
    EXEMPTIONS,
    EXTENSION_REASONS,
    REGULATORS,
)
from ..domain.figures import AnswerState, QuestionType
from ..domain.lifecycle import DISCLOSURE_AFTER, TRIBUNALS, EventKind, Outcome, Status
from ..domain.text import MAX_ID
from ..services.deadlines import DEADLINE_FILTERS

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ANSWERS_PER_CALL = 500
ids = validate.Range(min=1, max=MAX_ID)


class Schema(ma.Schema):
    class Meta:
        ordered = True


class UtcDateTime(fields.DateTime):
    """A moment with its offset (SQLite hands back naive datetimes, stored in UTC)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Cursor(fields.String):
    """Where the next page starts: opaque to the caller (base64 of the last row's key), checked here."""

    def __init__(self, arity: int, **kwargs):
        super().__init__(
            metadata={"description": "The `next_cursor` of the previous page; omit it for the first page."}, **kwargs
        )
        self.arity = arity

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            key = json.loads(base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4)))
        except (ValueError, UnicodeError, binascii.Error):
            key = None
        if not (
            isinstance(key, list)
            and len(key) == self.arity
            and all(type(part) is int and 0 <= part <= MAX_ID for part in key)
        ):
            raise ma.ValidationError("not a cursor this API gave: pass a page's next_cursor as it is")
        return tuple(key)


def encode_cursor(*key: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


# ---------------------------------------------------------------- errors and pages


class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = fields.String(required=True, metadata={"description": "Its name"})
    message = fields.String(metadata={"description": "What went wrong, in words"})
    errors = fields.Dict(metadata={"description": "Field by field: {location: {field: [reasons]}}"})


class PageArgs(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, at most {MAX_LIMIT}."},
    )


# ---------------------------------------------------------------- campaigns and questions


class CampaignSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    default_regime = fields.String(required=True)
    double_entry = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSchema), required=True)


class QuestionSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    label = fields.String(required=True)
    qtype = fields.String(required=True, validate=validate.OneOf([t.value for t in QuestionType]))
    period_label = fields.String(required=True)
    pair_group = fields.String(required=True)
    choices = fields.List(fields.String(), allow_none=True, required=True)
    help_text = fields.String(required=True)
    position = fields.Integer(required=True)


class QuestionListSchema(Schema):
    items = fields.List(fields.Nested(QuestionSchema), required=True)


# ---------------------------------------------------------------- requests


class CouncilSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    gss_code = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, attribute="short_name")
    region = fields.String(required=True)
    nation = fields.String(required=True)


class RequestSchema(Schema):
    id = fields.Integer(required=True)
    campaign_id = fields.Integer(required=True)
    council = fields.Nested(CouncilSchema, required=True, attribute="authority")
    regime = fields.String(required=True)
    subject = fields.String(required=True)
    council_reference = fields.String(required=True)
    status = fields.String(required=True)
    outcome = fields.String(required=True, allow_none=True)
    owner_id = fields.Integer(required=True, allow_none=True)
    sent_on = fields.Date(required=True, allow_none=True)
    received_on = fields.Date(required=True, allow_none=True)
    response_due_on = fields.Date(required=True, allow_none=True)
    very_overdue_on = fields.Date(required=True, allow_none=True)
    review_due_on = fields.Date(required=True, allow_none=True)
    clock_paused = fields.Boolean(required=True)
    deadline_state = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Where the response deadline stands today; null when no answer is owed."},
    )
    responded_on = fields.Date(required=True, allow_none=True)
    responded_on_time = fields.Boolean(required=True, allow_none=True)
    last_chased_on = fields.Date(required=True, allow_none=True)
    figures_entered = fields.Boolean(required=True)
    linked_request_id = fields.Integer(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class RequestDetailSchema(RequestSchema):
    body = fields.String(required=True)


class RequestPageSchema(Schema):
    items = fields.List(fields.Nested(RequestSchema), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "Pass it as `cursor` for the next page; null: none."}
    )


class RequestListArgs(PageArgs):
    """The request list page's filters (foi_requests.views.filtered_requests)."""

    cursor = Cursor(1)
    campaign = fields.Integer(validate=ids, metadata={"description": "A campaign's id."})
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    outcome = fields.String(validate=validate.OneOf([o.value for o in Outcome]))
    region = fields.String(validate=validate.Length(max=100), metadata={"description": "A council region."})
    owner = fields.Integer(validate=ids, metadata={"description": "The owning user's id."})
    council = fields.String(
        validate=validate.Length(max=20), metadata={"description": "A council's register or GSS code."}
    )
    deadline = fields.String(
        validate=validate.OneOf(list(DEADLINE_FILTERS)),
        metadata={"description": "Where the deadline stands today: " + ", ".join(DEADLINE_FILTERS)},
    )
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Text in the council's name or code, the reference, subject or letter."},
    )


# ---------------------------------------------------------------- events


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="original_name")
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in EventKind]))
    label = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    details = fields.Dict(required=True)
    summary = fields.String(required=True, metadata={"description": "The details in words, as the timeline shows."})
    note = fields.String(required=True)
    created_by_id = fields.Integer(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)


def _one_of(values) -> validate.OneOf:
    return validate.OneOf(sorted(values))


class EventDetailsInput(Schema):
    """An event's details: which apply depends on its kind (the others are ignored), and the same
    rules as the timeline form's check them (services.timeline)."""

    received_on = fields.Date(metadata={"description": "sent: the day the council received it (default: that day)"})
    outcome = fields.String(
        validate=_one_of({o.value for o in Outcome} | set(DECISION_OUTCOMES)),
        metadata={"description": "response_received, review_outcome, further_response, disclosure, decision_notice"},
    )
    exemptions = fields.List(fields.String(validate=_one_of(EXEMPTIONS)), validate=validate.Length(max=len(EXEMPTIONS)))
    reason = fields.String(validate=_one_of(EXTENSION_REASONS), metadata={"description": "extension_claimed"})
    new_date = fields.Date(metadata={"description": "extension_claimed: the new date promised"})
    regulator = fields.String(validate=_one_of(REGULATORS))
    after = fields.String(validate=_one_of(DISCLOSURE_AFTER), metadata={"description": "disclosure"})
    by = fields.String(validate=_one_of(APPELLANTS), metadata={"description": "appeal_lodged"})
    tribunal = fields.String(validate=_one_of(TRIBUNALS), metadata={"description": "appeal_lodged"})
    result = fields.String(validate=_one_of(APPEAL_RESULTS), metadata={"description": "appeal_decision"})
    method = fields.String(validate=_one_of(CHASE_METHODS), metadata={"description": "chased"})
    authority_id = fields.Integer(validate=ids, metadata={"description": "transferred: the council it should go to"})


class EventInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in EventKind]))
    occurred_on = fields.Date(required=True)
    details = fields.Nested(EventDetailsInput, load_default=dict)
    note = fields.String(load_default="", validate=validate.Length(max=10000))


class EventAddedSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    request = fields.Nested(RequestSchema, required=True)
    warnings = fields.List(fields.String(), required=True, metadata={"description": "The law's warnings about it."})


# ---------------------------------------------------------------- answers


class TidyAnswerSchema(Schema):
    """One council (request) and question, as a row of the tidy CSV, with the two ids."""

    request_id = fields.Integer(required=True)
    question_id = fields.Integer(required=True)
    council_code = fields.String(required=True)
    gss_code = fields.String(required=True, allow_none=True)
    council = fields.String(required=True)
    region = fields.String(required=True)
    council_type = fields.String(required=True)
    nation = fields.String(required=True)
    question_code = fields.String(required=True)
    question = fields.String(required=True)
    period = fields.String(required=True)
    question_type = fields.String(required=True)
    value = fields.Raw(
        required=True,
        allow_none=True,
        metadata={
            "type": ["number", "string"],
            "description": "A number, yes or no, or text; null when no figure was given (see state).",
        },
    )
    low = fields.Float(required=True, allow_none=True, metadata={"description": "A suppressed value's range"})
    high = fields.Float(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in AnswerState] + ["no_answer"]))
    exemption = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    source = fields.String(required=True)


class TidyAnswerPageSchema(Schema):
    items = fields.List(fields.Nested(TidyAnswerSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class AnswerPageArgs(PageArgs):
    cursor = Cursor(2)


class AnswerInput(Schema):
    """One answer as the figures grid takes it: the same parsing and checks (services.answers)."""

    question_id = fields.Integer(validate=ids)
    question = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "Its code."})
    value = fields.String(
        load_default="",
        validate=validate.Length(max=10000),
        metadata={"description": "As typed in the grid: 1200, £1.2m, c. 40, <5, yes; empty with a state alone."},
    )
    state = fields.String(
        load_default="",
        validate=validate.OneOf([""] + [s.value for s in AnswerState]),
        metadata={"description": "Empty: worked out from the value."},
    )
    exemption = fields.String(load_default="", validate=validate.Length(max=100))
    note = fields.String(load_default="", validate=validate.Length(max=10000))
    source_attachment_id = fields.Integer(load_default=None, allow_none=True, validate=ids)
    page = fields.String(load_default="", validate=validate.Length(max=100))

    @ma.validates_schema
    def names_one_question(self, data, **kwargs):
        if ("question_id" in data) == ("question" in data):
            raise ma.ValidationError("give either question_id or question (its code)", "question")


class AnswersInput(Schema):
    answers = fields.List(
        fields.Nested(AnswerInput),
        required=True,
        validate=validate.Length(min=1, max=MAX_ANSWERS_PER_CALL),
        metadata={
            "description": "Answers to set; an entry with nothing in it clears that answer. Others are left alone."
        },
    )


class AnswersSavedSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    deleted = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
