"""Sending a campaign's letter to many councils: choose them, preview every letter, create.

With JavaScript (static/batch.js) the last step posts the councils in chunks of
CHUNK_SIZE to the JSON endpoint and shows progress; without it the preview form's
ordinary POST creates them all in one go.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..auth.permissions import get_campaign_or_404, requires
from ..extensions import db
from ..foi_requests.views import _owner_choices
from ..forms import FilterForm, Form, OptionalIntSelect, coerce_id
from ..models import Authority, Campaign
from ..services.batch import BatchError, create_batch, preview, preview_aggregation, select_councils
from ..services.contacts import councils_without_address
from . import bp

CHUNK_SIZE = 25  # councils per JSON call from batch.js
MAX_COUNCILS_PER_CALL = 500  # the register holds fewer current councils than this


class CouncilFilterForm(FilterForm):
    nation = SelectField("Nation", validators=[Optional()])
    region = SelectField("Region", validators=[Optional()])
    type_code = SelectField("Council type", validators=[Optional()])
    social_care = SelectField(
        "Adult social care",
        validators=[Optional()],
        choices=[("", "Any"), ("yes", "Responsible for it"), ("no", "Not responsible")],
    )
    codes = StringField(
        "Council codes",
        validators=[Optional(), Length(max=4000)],
        description="To pick by hand: register codes, e.g. MAN KEN LDS",
    )
    q = StringField("Search", validators=[Optional(), Length(max=200)])

    def criteria(self) -> dict:
        return {
            "nations": self.nation.data,
            "regions": self.region.data,
            "type_codes": self.type_code.data,
            "social_care": {"yes": True, "no": False}.get(self.social_care.data),
            "codes": self.codes.data,
            "q": self.q.data or "",
        }


class BatchForm(Form):
    authority_ids = SelectMultipleField(
        "Councils", coerce=coerce_id, validate_choice=False, validators=[DataRequired("Tick at least one council.")]
    )
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    sent_on = DateField(
        "Date sent", validators=[Optional()], description="Leave blank to create drafts that have not been sent yet."
    )
    owner_id = OptionalIntSelect("Owner")
    allow_duplicates = BooleanField("Allow a second request to a council already asked in this campaign")


def _council_filters() -> CouncilFilterForm:
    form = CouncilFilterForm(request.args)
    rows = db.session.execute(
        select(Authority.nation, Authority.region, Authority.type_code, Authority.type_name)
        .where(Authority.end_date.is_(None))
        .distinct()
    ).all()
    form.nation.choices = [("", "Any nation")] + [(n, n) for n in sorted({r.nation for r in rows})]
    form.region.choices = [("", "Any region")] + [(r, r) for r in sorted({r.region for r in rows})]
    form.type_code.choices = [("", "Any type")] + sorted(
        {(r.type_code, r.type_name or r.type_code) for r in rows}, key=lambda choice: choice[1]
    )
    if not form.validate():
        for field in (form.nation, form.region, form.type_code, form.social_care, form.codes, form.q):
            if field.errors:
                field.data = None
    return form


def _batch_form(campaign: Campaign, **kwargs) -> BatchForm:
    form = BatchForm(**kwargs)
    form.owner_id.choices = _owner_choices()
    if request.method == "GET":
        form.subject.data = campaign.title
        form.owner_id.data = current_user.id
    return form


def _batch_values(form: BatchForm) -> dict:
    return {
        "subject": form.subject.data,
        "sent_on": form.sent_on.data,
        "owner_id": form.owner_id.data,
        "allow_duplicates": form.allow_duplicates.data,
        "user_id": current_user.id,
    }


def _refuse(form: BatchForm, exc: BatchError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    (field.errors if field is not None else form.form_errors).append(exc.message)


@bp.route("/<id:campaign_id>/batch", methods=["GET", "POST"])
@requires("request.edit")
def batch(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    filters = _council_filters()
    councils = select_councils(db.session, **filters.criteria())
    form = _batch_form(campaign)
    filters_active = any(request.args.get(name) for name in filters.data)
    if request.method == "GET":
        # Filtering is choosing: what a filter matches starts ticked. Before any filter nothing
        # is (#19: the whole register, 382 councils, had started ticked).
        form.authority_ids.data = [a.id for a in councils] if filters_active else []
    step = request.form.get("step", "preview")
    if step != "back" and form.validate_on_submit():
        try:
            if step == "create":
                result = create_batch(db.session, campaign, form.authority_ids.data, **_batch_values(form))
                db.session.commit()
                flash(_summary(result), "success")
                return redirect(url_for("foi_requests.index", campaign=campaign.id, sort="council"))
            batch_date = form.sent_on.data or clock.today()
            rows = preview(db.session, campaign, form.authority_ids.data, batch_date)
            aggregated = preview_aggregation(
                db.session, campaign, rows, batch_date, allow_duplicates=form.allow_duplicates.data
            )
            # A warning only: a request can be created (and sent by post) without an address.
            no_address = councils_without_address(
                db.session,
                campaign.id,
                [row.authority for row in rows if form.allow_duplicates.data or not row.already_requested],
            )
        except BatchError as exc:
            db.session.rollback()
            _refuse(form, exc)
        else:
            return render_template(
                "campaigns/batch_preview.html",
                campaign=campaign,
                form=form,
                rows=rows,
                batch_date=batch_date,
                aggregated=aggregated,
                aggregated_ids={row.authority.id for row, _ in aggregated},
                no_address=no_address,
                chunk_size=CHUNK_SIZE,
                to_create=sum(1 for row in rows if form.allow_duplicates.data or not row.already_requested),
            )
    return render_template(
        "campaigns/batch.html",
        campaign=campaign,
        filters=filters,
        councils=councils,
        form=form,
        selected=set(form.authority_ids.data or ()),
        filters_active=filters_active,
    )


@bp.route("/<id:campaign_id>/batch/create", methods=["POST"])
@requires("request.edit")
def batch_create(campaign_id: int):
    """JSON in, JSON out: one chunk of a batch, all or nothing. The CSRF token travels in
    the X-CSRFToken header (CSRFProtect checks it before this view runs)."""
    campaign = get_campaign_or_404(campaign_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("authority_ids"), list):
        return jsonify(error="send a JSON object with a list of authority_ids"), 400
    if len(payload["authority_ids"]) > MAX_COUNCILS_PER_CALL:
        return jsonify(error=f"send at most {MAX_COUNCILS_PER_CALL} councils per call"), 400
    form = _batch_form(campaign, formdata=_formdata(payload), meta={"csrf": False})
    if not form.validate():
        return jsonify(
            error="; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()), errors=form.errors
        ), 400
    try:
        result = create_batch(db.session, campaign, form.authority_ids.data, **_batch_values(form))
        db.session.commit()
    except BatchError as exc:
        db.session.rollback()
        return jsonify(error=exc.message, field=exc.field), 422
    return jsonify(
        created=len(result.created_ids),
        created_ids=result.created_ids,
        skipped=len(result.skipped_duplicates),
        skipped_councils=result.skipped_names,
    )


def _formdata(payload: dict) -> MultiDict:
    """The JSON body as the form data BatchForm validates (one set of rules for both paths)."""

    def text(value):
        return "" if value is None or isinstance(value, bool) else str(value)

    return MultiDict(
        [("authority_ids", text(i)) for i in payload["authority_ids"]]
        + [
            ("subject", text(payload.get("subject"))),
            ("sent_on", text(payload.get("sent_on"))),
            ("owner_id", text(payload.get("owner_id"))),
        ]
        + ([("allow_duplicates", "y")] if payload.get("allow_duplicates") is True else [])
    )


def _summary(result) -> str:
    created = len(result.created_ids)
    message = f"Created {created} request{'' if created == 1 else 's'}."
    if result.skipped_duplicates:
        names = result.skipped_names
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        message += f" Skipped {len(names)} already asked in this campaign: {shown}."
    return message
