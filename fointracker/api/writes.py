"""The API's writes: an event on a request's timeline, and a request's answers. Through the same
services as the timeline form and the figures grid, so the same rules refuse the same input; a
refusal is a 422 naming the field, and nothing is written."""

from __future__ import annotations

from functools import wraps

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from ..auth.permissions import can, get_request_or_404
from ..domain.event_details import DETAIL_FIELDS
from ..domain.lifecycle import EventKind
from ..extensions import db
from ..services.answers import AnswerInput, AnswersError, campaign_questions, save_answers
from ..services.timeline import TimelineError, add_event
from . import bp
from .schemas import AnswersInput, AnswersSavedSchema, EventAddedSchema, EventInput, EventListSchema
from .views import documented, event_out, request_out, timeline

# The grid's field names (services.answers) as this API names them.
ANSWER_FIELD_NAMES = {"value": "value", "state": "state", "exemption": "exemption", "source": "source_attachment_id"}


def request_editor(view):
    """Who may act, before the body is read: 403 for a role without request.edit (whatever the id,
    as on the pages), then 404 for a request the user may not see; only then is the body validated."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not can(current_user, "request.edit"):
            abort(403)
        get_request_or_404(kwargs["request_id"])
        return view(*args, **kwargs)

    return checked


def _refused(errors: dict, message: str):
    abort(422, message=message, errors={"json": errors})


# One rule for both methods: with two rules on one path, werkzeug answers an id beyond the
# converter's bounds with 405 (the other rule's method) instead of 404.
@bp.route("/requests/<id:request_id>/events", endpoint="events")
class RequestEvents(MethodView):
    @bp.response(200, EventListSchema)
    @documented(401, 404)
    def get(self, request_id: int):
        """A request's timeline, in order."""
        return timeline(request_id)

    @request_editor
    @bp.arguments(EventInput)
    @bp.response(201, EventAddedSchema)
    @documented(401, 403, 404, 413, 422)
    def post(self, data, request_id: int):
        """Record an event on a request's timeline (coordinators, staff and admins).

        Checked as the timeline form checks it: a step the request's state does not allow, a date
        in the future or details that do not fit are refused (422), and nothing is written."""
        return add_request_event(data, request_id)


def add_request_event(data, request_id: int):
    foi_request = get_request_or_404(request_id)
    kind = EventKind(data["kind"])
    details = {}
    for key in DETAIL_FIELDS.get(kind, ()):
        value = data["details"].get(key)
        details[key] = value.isoformat() if hasattr(value, "isoformat") else value
    warnings: list[str] = []
    try:
        event = add_event(
            db.session,
            foi_request,
            kind=kind.value,
            occurred_on=data["occurred_on"],
            details=details,
            note=data["note"],
            user_id=current_user.id,
            warnings=warnings,
        )
        db.session.commit()
    except TimelineError as exc:
        db.session.rollback()
        field = exc.field or "kind"
        where = {"details": {field: [exc.message]}} if field in details else {field: [exc.message]}
        _refused(where, f"Not recorded: {exc.message}.")
    except BaseException:
        db.session.rollback()
        raise
    return {"event": event_out(event), "request": request_out(foi_request), "warnings": list(dict.fromkeys(warnings))}


@bp.route("/requests/<id:request_id>/answers", methods=["POST"])
@request_editor
@bp.arguments(AnswersInput)
@bp.response(200, AnswersSavedSchema)
@documented(401, 403, 404, 413, 422)
def set_answers(data, request_id: int):
    """Set answers of a request (coordinators, staff and admins).

    Each value is parsed and checked as on the figures grid, all or nothing (422 naming the entry
    and field). Answers not named are left alone; an entry with no value, state, exemption, note,
    page or document clears its answer."""
    foi_request = get_request_or_404(request_id)
    questions = campaign_questions(db.session, foi_request.campaign_id)
    by_code = {q.code: q.id for q in questions}
    entries, where, unknown = {}, {}, {}
    for index, entry in enumerate(data["answers"]):
        question_id = entry.get("question_id") or by_code.get(entry.get("question"))
        if question_id is None or question_id not in {q.id for q in questions}:
            unknown[index] = {"question": ["not a question of this request's campaign"]}
            continue
        if question_id in entries:
            unknown[index] = {"question": ["named twice in this call"]}
            continue
        where[question_id] = index
        entries[question_id] = AnswerInput(
            raw=entry["value"],
            state=entry["state"],
            exemption=entry["exemption"],
            note=entry["note"],
            source_attachment_id=entry["source_attachment_id"],
            source_page=entry["page"],
        )
    if unknown:
        _refused({"answers": unknown}, "Nothing saved: a question is not one of this request's campaign.")
    try:
        result = save_answers(db.session, foi_request, entries, current_user.id)
        db.session.commit()
    except AnswersError as exc:
        db.session.rollback()
        errors = {
            where.get(question_id, question_id): {
                ANSWER_FIELD_NAMES.get(field, field): [reason] for field, reason in fields.items()
            }
            for question_id, fields in exc.errors.items()
        }
        _refused({"answers": errors}, f"Nothing saved: {exc}.")
    except BaseException:
        db.session.rollback()
        raise
    return {
        "created": result.created,
        "updated": result.updated,
        "deleted": result.deleted,
        "unchanged": result.unchanged,
    }
