"""Bulk verify: a campaign's answers entered but not verified, filtered by question and by who
entered them, ticked (or all that match) and verified at once by someone who did not enter them."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.permissions import can
from ..extensions import db
from ..forms import Form
from ..services.answers import answer_content, campaign_questions, describe, question_name
from ..services.bulk_verify import (
    BulkVerifyError,
    Filters,
    enterers,
    unverified_count,
    unverified_statement,
    verify_answers,
    verify_matching,
)
from . import bp
from .args import campaign_arg, id_arg
from .queue_views import campaign_list


class VerifyForm(Form):
    """Only the CSRF token: the ticked answers are read as a list of ids."""


def _may_verify() -> bool:
    return can(current_user, "request.edit") or can(current_user, "report.edit")


def _filters(source) -> Filters:
    return Filters(question_id=id_arg("question", source), entered_by_id=id_arg("entered_by", source))


def _args(campaign_id: int, filters: Filters) -> dict:
    args = {"campaign": campaign_id}
    if filters.question_id:
        args["question"] = filters.question_id
    if filters.entered_by_id:
        args["entered_by"] = filters.entered_by_id
    return args


@bp.route("/verify", methods=["GET", "POST"])
def bulk_verify():
    if not _may_verify():
        abort(403)
    campaign = campaign_arg()
    if campaign is None:
        if request.method == "POST":
            if not VerifyForm().validate_on_submit():
                abort(400)
            flash("Choose a campaign first.", "error")
            return redirect(url_for(".bulk_verify"))
        return campaign_list("figures.bulk_verify", "Verify figures", "Choose a campaign whose figures to verify.")
    filters = _filters(request.args)
    if request.method == "POST":
        if not VerifyForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "all":
                count = request.form.get("count", "")
                if not count.isdigit():
                    raise BulkVerifyError("the count to confirm is missing: reload the page and try again")
                result = verify_matching(db.session, campaign.id, filters, current_user.id, int(count))
            else:
                ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) <= 10]
                if not ids:
                    raise BulkVerifyError("tick the answers to verify first")
                result = verify_answers(db.session, campaign.id, ids, current_user.id)
            db.session.commit()
        except BulkVerifyError as exc:
            db.session.rollback()
            flash(f"Nothing verified: {exc}.", "error")
        else:
            flash(f"Answers verified: {result}.", "success" if result.verified else "warning")
        return redirect(url_for(".bulk_verify", **_args(campaign.id, filters)))
    pagination = db.paginate(
        unverified_statement(campaign.id, filters),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        count=True,
    )
    return render_template(
        "figures/verify.html",
        campaign=campaign,
        filters=filters,
        pagination=pagination,
        questions=campaign_questions(db.session, campaign.id),
        enterers=enterers(db.session, campaign.id),
        matching=unverified_count(db.session, campaign.id, filters),
        shown={a.id: describe(a.question, answer_content(a)) for a in pagination.items},
        question_name=question_name,
        form=VerifyForm(),
        args=_args(campaign.id, filters),
    )
