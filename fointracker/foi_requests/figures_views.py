"""A request's figures: the grid of the campaign's questions, and verification by a second person.

The grid posts every row at once; if any field is wrong nothing is saved and each error
is shown beside its field. Each row carries a stamp of the answer as it was shown, so an
answer someone else changed in the meantime is not silently overwritten.
"""

from __future__ import annotations

import hashlib

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth.permissions import can, get_request_or_404
from ..domain.event_details import EXEMPTIONS
from ..domain.figures import AnswerState, QuestionType, implied_state
from ..domain.text import typed_id
from ..extensions import db
from ..forms import Form
from ..models import Answer, Attachment, AuditEntry, FoiRequest, Question, RequestEvent
from ..services.answers import (
    AnswerInput,
    AnswersError,
    VerifyError,
    answer_content,
    check_answers,
    describe,
    grid_rows,
    question_name,
    save_answers,
    verify_answer,
)
from ..services.figures_queue import next_in_queue
from . import bp

FIELDS = ("value", "state", "exemption", "source", "page", "note")


class GridForm(Form):
    """Only the CSRF token: the rows are read from the request by question id."""


def stamp(answer: Answer | None) -> str:
    """What the answer was when the page was shown."""
    if answer is None:
        return "none"
    content = answer_content(answer)
    return hashlib.sha256(repr(sorted((k, str(v)) for k, v in content.items())).encode()).hexdigest()[:16]


def shown_value(question: Question, answer: Answer | None) -> str:
    """What the value box shows for a stored answer."""
    if answer is None:
        return ""
    qtype = QuestionType(question.qtype)
    if qtype is QuestionType.YES_NO and answer.value_bool is not None:
        return "yes" if answer.value_bool else "no"
    has_value = AnswerState(answer.state).has_value
    if qtype in (QuestionType.CHOICE, QuestionType.TEXT) and has_value:
        return answer.value_text or ""  # whole: `raw` keeps only the first 200 characters
    if answer.raw:
        return answer.raw
    return describe(question, answer_content(answer)) if has_value else ""


def shown_state(question: Question, answer: Answer | None) -> str:
    """What the state menu shows: "" (from the value) unless the state was chosen, so that
    correcting "c. 40" to "42" makes a firm figure instead of keeping the estimate."""
    if answer is None or answer.state == implied_state(question.qtype, answer.raw or "", question.choices):
        return ""
    return answer.state


def _stored_row(question: Question, answer: Answer | None) -> dict:
    return {
        "value": shown_value(question, answer),
        "state": shown_state(question, answer),
        "exemption": answer.exemption if answer else "",
        "source": str(answer.source_attachment_id or "") if answer else "",
        "page": answer.source_page if answer else "",
        "note": answer.note if answer else "",
        "stamp": stamp(answer),
    }


def _posted_row(question: Question) -> dict | None:
    prefix = f"q{question.id}-"
    if prefix + "value" not in request.form and prefix + "state" not in request.form:
        return None  # not on the page that was posted (e.g. a question added since): left alone
    return {name: request.form.get(prefix + name, "") for name in FIELDS + ("stamp",)}


def _attachments(foi_request: FoiRequest):
    return db.session.scalars(
        select(Attachment)
        .join(RequestEvent, Attachment.event_id == RequestEvent.id)
        .where(RequestEvent.request_id == foi_request.id)
        .order_by(RequestEvent.occurred_on, Attachment.id)
    ).all()


def _history(answer_ids: list[int]):
    if not answer_ids:
        return []
    return db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity_type == "answer", AuditEntry.entity_id.in_(answer_ids))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(30)
    ).all()


def _render(foi_request: FoiRequest, rows, values: dict, errors: dict, status: int = 200, stale: dict | None = None):
    answers = [a for _q, a in rows if a is not None]
    codes = {a.id: q.code for q, a in rows if a is not None}
    return render_template(
        "foi_requests/figures.html",
        req=foi_request,
        rows=rows,
        values=values,
        errors=errors,
        stale=stale or {},
        attachments=_attachments(foi_request),
        exemptions=EXEMPTIONS,
        states=list(AnswerState),
        QuestionType=QuestionType,
        form=GridForm(),
        question_name=question_name,
        history=_history([a.id for a in answers]),
        codes=codes,
        answered=len(answers),
        shown={q.id: describe(q, answer_content(a)) if a is not None else "—" for q, a in rows},
        can_edit=can(current_user, "request.edit"),
        can_verify=can(current_user, "request.edit") or can(current_user, "report.edit"),
        queue=_queue(foi_request),
    ), status


def _queue(foi_request: FoiRequest) -> int | None:
    """The figures queue the page was opened from (?queue=its campaign's id), carried through saving."""
    queue = typed_id(request.values.get("queue", ""))
    return queue if queue == foi_request.campaign_id else None


def _after_saving(foi_request: FoiRequest):
    """Back to the grid, or with *Save and next council* on to the next council in the queue."""
    queue = _queue(foi_request)
    if queue is None or "next" not in request.form:
        return redirect(url_for(".figures", request_id=foi_request.id, queue=queue))
    next_id = next_in_queue(db.session, queue, foi_request)
    if next_id is None:
        flash("That was the last council in the queue.", "success")
        return redirect(url_for("figures.queue", campaign=queue))
    return redirect(url_for(".figures", request_id=next_id, queue=queue))


@bp.route("/<id:request_id>/figures", methods=["GET", "POST"])
def figures(request_id: int):
    if request.method == "POST" and not can(current_user, "request.edit"):
        abort(403)
    foi_request = get_request_or_404(request_id)
    rows = grid_rows(db.session, foi_request)
    if request.method == "GET":
        return _render(foi_request, rows, {q.id: _stored_row(q, a) for q, a in rows}, {})
    form = GridForm()
    if not form.validate_on_submit():
        abort(400)
    values, entries, errors, stale = {}, {}, {}, {}
    for question, answer in rows:
        posted = _posted_row(question)
        if posted is None:
            values[question.id] = _stored_row(question, answer)
            continue
        values[question.id] = posted
        problems = {}
        source = None
        if posted["source"].strip():
            try:
                source = int(posted["source"])
            except ValueError:
                problems["source"] = "choose one of this request's documents"
        if posted["stamp"] != stamp(answer):
            who = answer.entered_by.display_name if answer is not None and answer.entered_by else "someone else"
            now = describe(question, answer_content(answer)) if answer is not None else "no answer"
            problems["value"] = f"changed by {who} since you opened this page (now: {now}): check it and save again"
            stale[question.id] = stamp(answer)
            posted["stamp"] = stamp(answer)  # saving again overwrites, knowingly
        if problems:
            errors[question.id] = problems
        entries[question.id] = AnswerInput(
            raw=posted["value"],
            state=posted["state"],
            exemption=posted["exemption"],
            note=posted["note"],
            source_attachment_id=source,
            source_page=posted["page"],
        )
    if not errors:
        try:
            result = save_answers(db.session, foi_request, entries, current_user.id)
            db.session.commit()
        except AnswersError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(f"Figures saved: {result}." if result.changed else "No figures changed.", "success")
            return _after_saving(foi_request)
    else:
        # Report the values' own problems too, without saving anything.
        try:
            check_answers(db.session, foi_request, entries)
        except AnswersError as exc:
            for question_id, problems in exc.errors.items():
                errors.setdefault(question_id, {})
                for name, message in problems.items():
                    errors[question_id].setdefault(name, message)
    foi_request = db.session.get(FoiRequest, request_id)
    rows = grid_rows(db.session, foi_request)
    return _render(foi_request, rows, values, errors, 400, stale)


@bp.route("/<id:request_id>/figures/<id:answer_id>/verify", methods=["POST"])
def verify(request_id: int, answer_id: int):
    if not (can(current_user, "request.edit") or can(current_user, "report.edit")):
        abort(403)
    get_request_or_404(request_id)
    answer = db.get_or_404(Answer, answer_id)
    if answer.request_id != request_id:
        abort(404)
    if not GridForm().validate_on_submit():
        abort(400)
    try:
        verify_answer(db.session, answer, current_user.id)
        db.session.commit()
    except VerifyError as exc:
        db.session.rollback()
        flash(f"Not verified: {exc}.", "error")
    else:
        flash(f"Answer to {answer.question.code} verified.", "success")
    return redirect(url_for(".figures", request_id=request_id) + f"#q{answer.question_id}")


def figures_summary(foi_request: FoiRequest) -> dict:
    """For the request page: how many of the campaign's questions have an answer."""
    total = db.session.scalar(select(func.count(Question.id)).where(Question.campaign_id == foi_request.campaign_id))
    answered, verified = db.session.execute(
        select(func.count(Answer.id), func.count(Answer.verified_by_id)).where(Answer.request_id == foi_request.id)
    ).one()
    return {"total": total or 0, "answered": answered or 0, "verified": verified or 0}


@bp.context_processor
def _figures_helpers():
    return {"figures_summary": figures_summary}
