"""Double entry: a council's figures entered a second time, blind, by someone who did not enter
them; the mismatches listed for a third person to settle."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.permissions import can, get_request_or_404
from ..domain.event_details import EXEMPTIONS
from ..domain.figures import AnswerState, FigureError, QuestionType
from ..extensions import db
from ..forms import Form
from ..models import FoiRequest, Question, User
from ..services.answers import AnswerInput, AnswersError, answer_content, content_of, describe, question_name
from ..services.double_entry import (
    SECOND_FIELDS,
    DoubleEntryError,
    find_mismatch,
    mismatch_count,
    mismatch_rows,
    mismatch_statement,
    refusal,
    save_second_entries,
    second_entry_rows,
    settle,
    settle_refusal,
)
from . import bp
from .args import campaign_arg
from .queue_views import campaign_list

FIELDS = ("value", "state", "exemption")


class EntryForm(Form):
    """Only the CSRF token: the rows are read by question id."""


def _may_settle() -> bool:
    return can(current_user, "request.edit") or can(current_user, "report.edit")


def _render_entry(foi_request: FoiRequest, values: dict, errors: dict, status: int = 200):
    return (
        render_template(
            "figures/double_entry.html",
            req=foi_request,
            rows=second_entry_rows(db.session, foi_request),
            refused=refusal(db.session, foi_request, current_user.id),
            values=values,
            errors=errors,
            states=list(AnswerState),
            exemptions=EXEMPTIONS,
            QuestionType=QuestionType,
            question_name=question_name,
            form=EntryForm(),
        ),
        status,
    )


@bp.route("/requests/<id:request_id>/second-entry", methods=["GET", "POST"])
def second_entry(request_id: int):
    if not can(current_user, "request.edit"):
        abort(403)
    foi_request = get_request_or_404(request_id)
    if request.method == "GET":
        return _render_entry(foi_request, {}, {})
    if not EntryForm().validate_on_submit():
        abort(400)
    values, entries = {}, {}
    for row in second_entry_rows(db.session, foi_request):
        prefix = f"q{row.question.id}-"
        if prefix + "value" not in request.form:
            continue
        posted = {name: request.form.get(prefix + name, "") for name in FIELDS}
        values[row.question.id] = posted
        entries[row.question.id] = AnswerInput(
            raw=posted["value"], state=posted["state"], exemption=posted["exemption"]
        )
    try:
        result = save_second_entries(db.session, foi_request, entries, current_user.id)
        db.session.commit()
    except DoubleEntryError as exc:
        db.session.rollback()
        flash(f"Not saved: {exc}.", "error")
        return redirect(url_for(".second_entry", request_id=request_id))
    except AnswersError as exc:
        db.session.rollback()
        return _render_entry(db.session.get(FoiRequest, request_id), values, exc.errors, 400)
    if result.agreed or result.mismatched:
        flash(f"Second entry saved: {result}.", "success")
    else:
        flash("Nothing saved: type at least one value.", "warning")
    return redirect(url_for(".second_entry", request_id=request_id))


def _second_content(second) -> dict:
    return content_of({name: getattr(second, name) for name in SECOND_FIELDS})


@bp.route("/mismatches")
def mismatches():
    if not _may_settle():
        abort(403)
    campaign = campaign_arg()
    if campaign is None:
        return campaign_list(
            "figures.mismatches", "Double-entry mismatches", "Choose a campaign whose mismatches to settle."
        )
    pagination = db.paginate(
        mismatch_statement(campaign.id),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        count=True,
    )
    rows = mismatch_rows(db.session, list(pagination.items))
    people = {u.id: u.display_name for u in db.session.scalars(db.select(User))} if rows else {}
    return render_template(
        "figures/double_entry_mismatches.html",
        campaign=campaign,
        pagination=pagination,
        rows=[
            {
                "second": second,
                "answer": answer,
                "question": question,
                "req": foi_request,
                "first_shown": describe(question, answer_content(answer)) if answer is not None else "no answer",
                "second_shown": describe(question, _second_content(second)),
                "first_by": people.get(answer.entered_by_id, "an import") if answer is not None else "",
                "second_by": people.get(second.entered_by_id, "someone since removed"),
                "refused": settle_refusal(second, answer, current_user.id),
            }
            for second, answer, question, foi_request in rows
        ],
        waiting=mismatch_count(db.session, campaign.id),
        states=list(AnswerState),
        form=EntryForm(),
    )


@bp.route("/requests/<id:request_id>/questions/<id:question_id>/settle", methods=["POST"])
def settle_mismatch(request_id: int, question_id: int):
    if not _may_settle():
        abort(403)
    foi_request = get_request_or_404(request_id)
    if not EntryForm().validate_on_submit():
        abort(400)
    back = redirect(url_for(".mismatches", campaign=foi_request.campaign_id))
    found = find_mismatch(db.session, request_id, question_id)
    if found is None:
        flash("Nothing to settle there: the entries agree, or the mismatch was settled already.", "warning")
        return back
    second, answer = found
    typed = AnswerInput(raw=request.form.get("value", ""), state=request.form.get("state", ""))
    try:
        settle(db.session, second, answer, choice=request.form.get("choice", ""), typed=typed, user_id=current_user.id)
        db.session.commit()
    except (DoubleEntryError, FigureError) as exc:
        db.session.rollback()
        flash(f"Not settled: {exc}.", "error")
    else:
        question = db.session.get(Question, question_id)
        flash(f"Settled: {foi_request.authority.short_name}, {question_name(question)}.", "success")
    return back
