"""A campaign's questions (list, add, edit, reorder, delete) and importing its figures.

Import: upload -> a dry-run preview (changes, lenient council matches, errors) -> an
"Import N changes" confirmation that re-reads the stored upload and writes it all or
nothing. The upload waits under UPLOAD_FOLDER/figure-imports with a random name, named
in the confirmation form by a token, within quotas (services/import_previews.py); it is
kept only if there is something to confirm, and deleted once imported or cancelled.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..auth.permissions import get_campaign_or_404, requires
from ..domain.figures import QuestionType
from ..extensions import db
from ..forms import Form, OptionalIntSelect
from ..models import Question
from ..services import import_previews
from ..services.answers import campaign_questions
from ..services.attachments import display_name
from ..services.figures_import import ImportFileError, apply_plan, file_type, plan_import
from ..services.questions import (
    QuestionError,
    answer_count,
    create_question,
    delete_question,
    move_question,
    update_question,
)
from ..tabular import Limits
from . import bp

IMPORT_FOLDER = "figure-imports"


class QuestionForm(Form):
    code = StringField(
        "Code",
        validators=[DataRequired("Give the question a short code."), Length(max=40)],
        description="Short and stable, used in imports and exports: lower-case letters, digits "
        "and _ (e.g. asc_budget_1011).",
    )
    label = StringField("Question", validators=[DataRequired("Say what is asked."), Length(max=300)])
    qtype = SelectField("Kind of answer", choices=[(t.value, t.label) for t in QuestionType])
    period_label = StringField("Period", validators=[Length(max=20)], description="E.g. 2010/11.")
    choices = TextAreaField(
        "Choices", validators=[Length(max=5000)], description="For “One of a list”: one choice per line."
    )
    pair_group = StringField(
        "Comparison group",
        validators=[Length(max=40)],
        description="To compare two periods (before and after), give both questions the "
        "same group name, e.g. asc_budget: the first waits for the second.",
    )
    pair_with = OptionalIntSelect(
        "Pair with", description="Or choose the other question here, if it exists already: it joins the group."
    )
    help_text = TextAreaField(
        "Help", validators=[Length(max=5000)], description="Shown beside the question when figures are entered."
    )


class DeleteQuestionForm(Form):
    confirm = BooleanField("Also delete this question's answers")


class MoveForm(Form):
    direction = HiddenField()


class UploadForm(Form):
    file = FileField("Spreadsheet (.csv or .xlsx)", validators=[FileRequired("Choose a file to import.")])


class ConfirmForm(Form):
    token = HiddenField()
    filename = HiddenField()
    fingerprint = HiddenField()


def _campaign_question(campaign_id: int, question_id: int) -> Question:
    get_campaign_or_404(campaign_id)
    question = db.get_or_404(Question, question_id)
    if question.campaign_id != campaign_id:
        abort(404)
    return question


def _pair_choices(campaign_id: int, question: Question | None):
    return [("", "— none —")] + [
        (q.id, f"{q.label}{' ' + q.period_label if q.period_label else ''} ({q.code})")
        for q in campaign_questions(db.session, campaign_id)
        if QuestionType(q.qtype).is_numeric and (question is None or q.id != question.id)
    ]


def _question_values(form: QuestionForm) -> dict:
    return {
        name: getattr(form, name).data or ""
        for name in ("code", "label", "qtype", "period_label", "choices", "pair_group", "help_text")
    }


def _refuse(form: Form, exc: QuestionError) -> None:
    for name, message in exc.errors.items():
        field = getattr(form, name, None)
        (field.errors if field is not None else form.form_errors).append(message)


@bp.route("/<id:campaign_id>/questions")
def questions(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    rows = campaign_questions(db.session, campaign_id)
    return render_template(
        "campaigns/questions.html", campaign=campaign, questions=rows, move_form=MoveForm(), QuestionType=QuestionType
    )


@bp.route("/<id:campaign_id>/questions/new", methods=["GET", "POST"])
@requires("report.edit")
def new_question(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = QuestionForm()
    form.pair_with.choices = _pair_choices(campaign_id, None)
    if form.validate_on_submit():
        try:
            question = create_question(
                db.session, campaign, _question_values(form), current_user.id, pair_with=form.pair_with.data
            )
            db.session.commit()
        except QuestionError as exc:
            db.session.rollback()
            _refuse(form, exc)
        else:
            flash(f"Question {question.code} added.", "success")
            return redirect(url_for(".questions", campaign_id=campaign_id))
    return render_template(
        "campaigns/question_form.html", campaign=campaign, form=form, question=None
    ), 400 if form.errors else 200


@bp.route("/<id:campaign_id>/questions/<id:question_id>/edit", methods=["GET", "POST"])
@requires("report.edit")
def edit_question(campaign_id: int, question_id: int):
    campaign = get_campaign_or_404(campaign_id)
    question = _campaign_question(campaign_id, question_id)
    form = QuestionForm(obj=question)
    form.pair_with.choices = _pair_choices(campaign_id, question)
    if request.method == "GET":
        form.choices.data = "\n".join(question.choices or [])
        partner = next(
            (
                q
                for q in campaign_questions(db.session, campaign_id)
                if question.pair_group and q.pair_group == question.pair_group and q.id != question.id
            ),
            None,
        )
        form.pair_with.data = partner.id if partner else None
    if form.validate_on_submit():
        try:
            update_question(
                db.session, question, _question_values(form), current_user.id, pair_with=form.pair_with.data
            )
            db.session.commit()
        except QuestionError as exc:
            db.session.rollback()
            question = _campaign_question(campaign_id, question_id)
            _refuse(form, exc)
        else:
            flash(f"Question {question.code} saved.", "success")
            return redirect(url_for(".questions", campaign_id=campaign_id))
    return render_template(
        "campaigns/question_form.html",
        campaign=campaign,
        form=form,
        question=question,
        answers=answer_count(db.session, question),
        delete_form=DeleteQuestionForm(),
    ), 400 if form.errors else 200


@bp.route("/<id:campaign_id>/questions/<id:question_id>/delete", methods=["POST"])
@requires("report.edit")
def delete_question_view(campaign_id: int, question_id: int):
    question = _campaign_question(campaign_id, question_id)
    form = DeleteQuestionForm()
    if not form.validate_on_submit():
        abort(400)
    code = question.code
    try:
        deleted = delete_question(db.session, question, current_user.id, confirm=form.confirm.data)
        db.session.commit()
    except QuestionError as exc:
        db.session.rollback()
        flash(f"Not deleted: {exc.message}.", "error")
        return redirect(url_for(".edit_question", campaign_id=campaign_id, question_id=question_id))
    flash(f"Question {code} deleted" + (f" with its {deleted} answer(s)." if deleted else "."), "success")
    return redirect(url_for(".questions", campaign_id=campaign_id))


@bp.route("/<id:campaign_id>/questions/<id:question_id>/move", methods=["POST"])
@requires("report.edit")
def move_question_view(campaign_id: int, question_id: int):
    question = _campaign_question(campaign_id, question_id)
    form = MoveForm()
    if not form.validate_on_submit() or form.direction.data not in ("up", "down"):
        abort(400)
    move_question(db.session, question, -1 if form.direction.data == "up" else 1, current_user.id)
    db.session.commit()
    return redirect(url_for(".questions", campaign_id=campaign_id) + f"#question-{question_id}")


# --- Import -------------------------------------------------------------------------


def _import_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / IMPORT_FOLDER


def _stored(token: str) -> Path | None:
    return import_previews.find(_import_folder(), token, current_user.id)


def _plan(campaign, filename: str, data: bytes):
    return plan_import(db.session, campaign, filename, data, Limits.from_config(current_app.config))


def _preview(campaign, plan, token: str, status: int = 200, warning: str = ""):
    confirm = ConfirmForm(data={"token": token, "filename": plan.filename, "fingerprint": plan.fingerprint()})
    return render_template(
        "campaigns/figures_import.html", campaign=campaign, plan=plan, form=None, confirm=confirm, warning=warning
    ), status


@bp.route("/<id:campaign_id>/figures/import", methods=["GET", "POST"])
@requires("request.edit")
def import_figures(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            suffix = file_type(upload.filename)
        except ImportFileError as exc:
            form.file.errors.append(exc.problems[0][2])
        else:
            data = upload.read()
            plan = _plan(campaign, display_name(upload.filename), data)
            token = ""
            if plan.ok and plan.changes:  # kept only when there is something to confirm
                try:
                    token = import_previews.keep(
                        _import_folder(),
                        data,
                        suffix,
                        current_user.id,
                        import_previews.Quotas.from_config(current_app.config),
                    )
                except import_previews.PreviewQuotaError as exc:
                    return _preview(campaign, plan, "", 400, str(exc))
            return _preview(campaign, plan, token, 200 if plan.ok else 400)
    return render_template(
        "campaigns/figures_import.html", campaign=campaign, form=form, plan=None, columns_help=True
    ), 400 if form.errors else 200


@bp.route("/<id:campaign_id>/figures/import/confirm", methods=["POST"])
@requires("request.edit")
def confirm_import(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = _stored(form.token.data)
    if path is None:
        flash("That upload has expired or was already imported: upload the file again.", "error")
        return redirect(url_for(".import_figures", campaign_id=campaign_id))
    if request.form.get("step") == "cancel":
        path.unlink(missing_ok=True)
        flash("Import cancelled: nothing was written.", "success")
        return redirect(url_for(".show", campaign_id=campaign_id))
    # The file is read again and checked against the figures as they are now.
    plan = _plan(campaign, form.filename.data or path.name, path.read_bytes())
    if not plan.ok:
        return _preview(
            campaign, plan, form.token.data, 400, "The file no longer imports cleanly: nothing was written."
        )
    if plan.fingerprint() != form.fingerprint.data:
        return _preview(
            campaign,
            plan,
            form.token.data,
            409,
            "The figures changed since the preview: check the changes again. Nothing was written.",
        )
    apply_plan(db.session, plan, current_user.id)
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(
        f"Imported {len(plan.changes)} change{'' if len(plan.changes) == 1 else 's'} from {plan.filename} "
        f"({plan.created} new, {plan.updated} updated, {plan.unchanged} unchanged).",
        "success",
    )
    return redirect(url_for(".show", campaign_id=campaign_id))
