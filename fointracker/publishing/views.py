"""The author's side: /campaigns/<id>/publish shows the form, the versions and the public
address; a POST publishes the next version; /publish/unpublish takes the report down. Report
authors only (report.edit), and only members of the campaign (get_campaign_or_404)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..auth.permissions import get_campaign_or_404, requires
from ..domain.publishing import (
    DEFAULT_THRESHOLD,
    LICENCES,
    MAX_NOTE,
    MAX_PUBLISHER,
    MAX_SUMMARY,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    SECTIONS,
    PublishOptions,
    suppression_statement,
)
from ..extensions import db
from ..forms import CheckboxList, Form
from ..services.publishing import (
    PublishError,
    default_options,
    list_versions,
    publish,
    published_report_of,
    unpublish,
)
from ..services.report_answers import campaign_questions
from . import bp


class PublishForm(Form):
    sections = CheckboxList("Sections to publish", choices=list(SECTIONS.items()))
    questions = CheckboxList(
        "Questions to publish",
        description="Their figures and their rows of the data set; the others are left out entirely. Free-text "
        "questions are not ticked at first: their answers are copied from the councils' replies and may name people.",
    )
    threshold = IntegerField(
        "Small-number threshold",
        default=DEFAULT_THRESHOLD,
        validators=[
            InputRequired("Give a threshold."),
            NumberRange(MIN_THRESHOLD, MAX_THRESHOLD, f"a whole number from {MIN_THRESHOLD} to {MAX_THRESHOLD}"),
        ],
        description="Counts above zero and below this are shown as “<5”; groups of fewer councils are withheld.",
    )
    licence = RadioField(
        "Licence of the published data",
        choices=[(code, licence.name) for code, licence in LICENCES.items()],
        default="cc-by-4.0",
    )
    include_notes = BooleanField(
        "Include the answers' notes and figure sources in the data set",
        description="Notes are written by your team; leave this off unless every note is fit to publish.",
    )
    publisher = StringField(
        "Published by",
        validators=[Length(max=MAX_PUBLISHER)],
        description="Your organisation's name, for the suggested citation.",
    )
    summary = TextAreaField(
        "Introduction", validators=[Length(max=MAX_SUMMARY)], description="Shown at the top of the public page."
    )
    note = TextAreaField(
        "Change note",
        validators=[Length(max=MAX_NOTE)],
        description="Shown publicly with this version, e.g. “Corrected Kent's 2011/12 figure.”",
    )


class UnpublishForm(Form):
    pass


def _version_url(slug: str, number: int) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("publishing.public_version", slug=slug, number=number)


def _options(form: PublishForm) -> PublishOptions:
    return PublishOptions(
        sections=tuple(form.sections.data or ()),
        questions=tuple(form.questions.data or ()),
        threshold=form.threshold.data,
        licence=form.licence.data,
        include_notes=bool(form.include_notes.data),
        summary=(form.summary.data or "").strip(),
        publisher=(form.publisher.data or "").strip(),
    )


@bp.route("/campaigns/<id:campaign_id>/publish", methods=["GET", "POST"])
@requires("report.edit")
def publish_page(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    questions = campaign_questions(db.session, campaign.id)
    defaults = default_options(db.session, campaign, current_app.config.get("PUBLISHER_NAME", ""))
    form = PublishForm(data=defaults.as_json())
    form.questions.choices = [(q.code, f"{q.code}: {q.title}") for q in questions]
    if form.validate_on_submit():
        try:
            version = publish(
                db.session, campaign, _options(form), (form.note.data or "").strip(), current_user.id, _version_url
            )
            number = version.number
            db.session.commit()
        except PublishError as exc:
            db.session.rollback()
            form.note.errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()  # another author published at the same moment: nothing was saved
            form.note.errors.append("Someone else published this report at the same moment. Reload and try again.")
        else:
            flash(f"Published version {number}.", "success")
            return redirect(url_for(".publish_page", campaign_id=campaign.id))
    published = published_report_of(db.session, campaign.id)
    return render_template(
        "publishing/publish.html",
        campaign=campaign,
        form=form,
        unpublish_form=UnpublishForm(),
        published=published,
        versions=list_versions(db.session, published),
        statement=suppression_statement(
            form.threshold.data if MIN_THRESHOLD <= (form.threshold.data or 0) <= MAX_THRESHOLD else DEFAULT_THRESHOLD
        ),
    )


@bp.route("/campaigns/<id:campaign_id>/publish/unpublish", methods=["POST"])
@requires("report.edit")
def unpublish_view(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = UnpublishForm()
    if not form.validate_on_submit():
        abort(400)
    published = published_report_of(db.session, campaign.id)
    if published is None or not published.is_published:
        flash("The report is not published.", "warning")
    else:
        unpublish(db.session, published, current_user.id)
        db.session.commit()
        flash("Unpublished: the public address and every version of it now answer “not found”.", "success")
    return redirect(url_for(".publish_page", campaign_id=campaign.id))
