"""The request list's bulk actions and its CSV export.

The bulk form is drawn on the list page (templates/foi_requests/index.html) through the
`bulk_action_form()` template helper below; the export reads the same query string as
the list and runs the list's own query (filtered_requests), streamed in batches.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import (
    Response,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..auth.permissions import can, requires, visible_campaigns
from ..exports import csv_stream
from ..extensions import db
from ..formatting import uk_date
from ..forms import Form, OptionalIntSelect, coerce_id
from ..models import FoiRequest
from ..services.aggregation import bulk_aggregation_warnings
from ..services.batch import (
    BatchError,
    BulkError,
    bulk_add_note,
    bulk_assign_owner,
    bulk_mark_sent,
)
from ..services.contacts import foi_addresses
from . import bp
from .views import FILTER_NAMES, _owner_choices, request_list_query

BULK_ACTIONS = {"mark_sent": "Mark sent", "assign_owner": "Assign an owner", "add_note": "Add a note"}
LIST_ARGS = FILTER_NAMES + ("sort", "page")
EXPORT_BATCH_ROWS = 500
MAX_REFUSALS_SHOWN = 10
MAX_MATCHING = 2000  # "all matching": five campaigns to every council; one transaction stays short  # flashes live in the session cookie, which holds about 4 KB

EXPORT_COLUMNS = (
    "id",
    "campaign",
    "council_code",
    "council",
    "gss_code",
    "nation",
    "region",
    "council_type",
    "regime",
    "subject",
    "council_reference",
    "status",
    "outcome",
    "sent_on",
    "received_on",
    "response_due_on",
    "deferred_due_on",
    "very_overdue_on",
    "review_due_on",
    "responded_on",
    "responded_on_time",
    "owner_email",
    "foi_email",  # where the letter goes: the campaign's own address for the council, else the register's
    "letter",
)


class BulkForm(Form):
    ids = SelectMultipleField("Requests", coerce=coerce_id, validate_choice=False, validators=[Optional()])
    # "Apply to all N matching this filter" (#19: an action reached only the 50 ticked rows of a page):
    # the N the person saw, confirmed again on the server against the filter as it is now.
    # Sent by that button (name="matching"), so not a hidden input of the form's own.
    matching = StringField(validators=[Optional(), Length(max=10)])
    action = SelectField(
        "Bulk action",
        id="bulk-action",
        choices=[("", "— choose —")] + list(BULK_ACTIONS.items()),
        validators=[DataRequired("choose what to do")],
    )
    date = DateField(
        "Sent on", id="bulk-date", validators=[Optional()], default=clock.today, description="For “Mark sent”."
    )
    owner = OptionalIntSelect(
        "New owner", id="bulk-owner", validators=[Optional()], description="For “Assign an owner”."
    )
    note = TextAreaField(
        "Note", id="bulk-note", validators=[Optional(), Length(max=5000)], description="For “Add a note” (dated today)."
    )
    back = HiddenField()  # the list's query string, to return to the same filters

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.matching.data and not self.ids.data:
            self.ids.errors.append("tick at least one request")
            valid = False
        needed = {
            "mark_sent": (self.date, "give the date they were sent"),
            "assign_owner": (self.owner, "choose the new owner"),
            "add_note": (self.note, "write the note"),
        }.get(self.action.data)
        if needed and not (needed[0].data.strip() if isinstance(needed[0].data, str) else needed[0].data):
            needed[0].errors.append(needed[1])
            valid = False
        return valid


def _bulk_form() -> BulkForm:
    form = BulkForm()
    form.owner.choices = _owner_choices("— choose —")
    return form


@bp.context_processor
def bulk_helpers():
    def bulk_action_form() -> BulkForm | None:
        """The list page's bulk form, or None for a role that may not change requests."""
        if not can(current_user, "request.edit"):
            return None
        form = _bulk_form()
        form.back.data = request.query_string.decode("utf-8", "replace")
        return form

    return {"bulk_action_form": bulk_action_form}


@bp.route("/bulk", methods=["POST"])
@requires("request.edit")
def bulk():
    form = _bulk_form()
    back = {k: v for k, v in parse_qsl(form.back.data or "") if k in LIST_ARGS}
    if not form.validate_on_submit():
        flash(
            "Nothing was changed: "
            + "; ".join(f"{form[name].label.text}: {', '.join(errors)}" for name, errors in form.errors.items()),
            "error",
        )
        return redirect(url_for(".index", **back))
    action, ids, user_id = form.action.data, form.ids.data, current_user.id
    if form.matching.data:
        ids, refusal = _matching_ids(back, form.matching.data)
        if refusal:
            flash(f"Nothing was changed: {refusal}", "error")
            return redirect(url_for(".index", **back))
    aggregation: list = []
    within = visible_campaigns()  # a request of another campaign is refused as one that does not exist
    try:
        if action == "mark_sent":
            # Read while they are still drafts; shown once they are sent (a warning, not a refusal).
            aggregation = bulk_aggregation_warnings(db.session, ids, form.date.data)
            count = bulk_mark_sent(db.session, ids, form.date.data, user_id, within=within)
            message = f"Marked {count} request{_s(count)} as sent on {uk_date(form.date.data)}."
        elif action == "assign_owner":
            bulk_assign_owner(db.session, ids, form.owner.data, user_id, within=within)
            owner = dict(form.owner.choices).get(form.owner.data, "")
            message = f"Assigned {len(set(ids))} request{_s(len(set(ids)))} to {owner}."
        else:
            count = bulk_add_note(db.session, ids, form.note.data, user_id, within=within)
            message = f"Added the note to {count} request{_s(count)}."
        db.session.commit()
    except BulkError as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {len(exc.refusals)} of the {exc.total} ticked requests refused.", "error")
        for refusal in exc.refusals[:MAX_REFUSALS_SHOWN]:
            flash(f"{refusal.council} (request #{refusal.request_id}): {refusal.reason}", "error")
        if len(exc.refusals) > MAX_REFUSALS_SHOWN:
            flash(f"… and {len(exc.refusals) - MAX_REFUSALS_SHOWN} more.", "error")
    except BatchError as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc.message}.", "error")
    else:
        flash(message, "success")
        _flash_aggregation(aggregation)
    return redirect(url_for(".index", **back))


def _matching_ids(back: dict, confirmed: str) -> tuple[list[int], str]:
    """The ids of every request the list's filter matches now, and why not if that is not the
    number the person confirmed (the list changed since) or more than one action may change."""
    _form, stmt, _understood = request_list_query(MultiDict(back))
    ids = list(db.session.scalars(stmt.with_only_columns(FoiRequest.id).limit(MAX_MATCHING + 1)))
    if len(ids) > MAX_MATCHING:
        return [], f"the filter matches more than {MAX_MATCHING} requests; narrow it first."
    if str(len(ids)) != confirmed:
        return [], f"the filter now matches {len(ids)} request{_s(len(ids))}, not {confirmed}; look at the list again."
    return ids, ""


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _flash_aggregation(warnings: list) -> None:
    """services.aggregation.bulk_aggregation_warnings as flashes: which council may count which
    requests together for the cost limit, and why (Fees Regulations 2004 reg 5)."""
    if not warnings:
        return
    reasons = " ".join(dict.fromkeys(found.warning.reason for found in warnings))  # one per regime
    flash(
        f"Sent, but {len(warnings)} council{_s(len(warnings))} may count these requests together with another "
        f"for the cost limit (s.12). {reasons}",
        "warning",
    )
    for found in warnings[:MAX_REFUSALS_SHOWN]:
        together = [f"request #{request_id} (this batch)" for request_id in found.in_batch]
        together += [
            f"request #{other.request_id} ({other.campaign_title}, "
            + ("a draft not sent yet)" if other.is_draft else f"received {uk_date(other.received_on)})")
            for other in found.others
        ]
        flash(f"{found.warning.council}: " + ", ".join(together) + ".", "warning")
    if len(warnings) > MAX_REFUSALS_SHOWN:
        flash(f"… and {len(warnings) - MAX_REFUSALS_SHOWN} more councils.", "warning")


@bp.route("/export.csv")
def export_csv():
    """The filtered list (same query string as the page, every page of it) as CSV."""
    _form, stmt, _understood = request_list_query(request.args)

    def rows():
        result = db.session.execute(stmt.execution_options(yield_per=EXPORT_BATCH_ROWS))
        for partition in result.scalars().partitions():
            addresses = _addresses(partition)
            yield from (_csv_row(r, addresses.get((r.campaign_id, r.authority_id), "")) for r in partition)

    filename = f"requests-{clock.today().isoformat()}.csv"
    return Response(
        stream_with_context(csv_stream(EXPORT_COLUMNS, rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _addresses(requests: list[FoiRequest]) -> dict[tuple[int, int], str]:
    """{(campaign id, council id): its FOI address} for a batch of rows: one query per campaign."""
    councils: dict[int, set[int]] = {}
    for r in requests:
        councils.setdefault(r.campaign_id, set()).add(r.authority_id)
    return {
        (campaign_id, authority_id): address
        for campaign_id, ids in councils.items()
        for authority_id, (address, _source) in foi_addresses(db.session, campaign_id, ids).items()
    }


def _csv_row(r: FoiRequest, foi_email: str) -> tuple:
    a = r.authority
    return (
        r.id,
        r.campaign.title,
        a.code,
        a.short_name,
        a.gss_code,
        a.nation,
        a.region,
        a.type_name,
        r.regime,
        r.subject,
        r.council_reference,
        r.status,
        r.outcome,
        r.sent_on,
        r.received_on,
        r.response_due_on,
        r.deferred_due_on,
        r.very_overdue_on,
        r.review_due_on,
        r.responded_on,
        r.responded_on_time,
        r.owner.email if r.owner else "",
        foi_email,
        r.body,
    )
