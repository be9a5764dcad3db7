from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..auth.permissions import get_request_or_404, requires, visible_campaigns
from ..domain.deadlines import calendar_name_for
from ..domain.decision_notices import appeal_by, comply_by
from ..domain.event_details import DETAIL_FIELDS, describe
from ..domain.lifecycle import EventKind, Outcome, Status, choices
from ..domain.regimes import Regime, regime_for_authority
from ..extensions import db
from ..models import Attachment, AuditEntry, Authority, Campaign, FoiRequest, RequestEvent, User
from ..services.deadlines import (
    DEADLINE_FILTERS,
    Calendars,
    deadlines_for,
    state_condition,
)
from ..services.foi_requests import RequestError, create_request, update_request
from ..services.history import request_history
from ..services.request_search import search_condition
from ..services.stats import TODO_FILTERS, todo_where
from . import bp
from .forms import EditRequestForm, RequestFilterForm, RequestForm

FILTER_NAMES = ("q", "campaign", "status", "outcome", "region", "owner", "deadline", "todo")


def _campaign_choices():
    return [("", "— choose —")] + [
        (c.id, c.title)
        for c in db.session.scalars(select(Campaign).where(visible_campaigns(Campaign.id)).order_by(Campaign.title))
    ]


def _authority_choices():
    rows = db.session.execute(
        select(Authority.id, Authority.short_name, Authority.code)
        .where(Authority.end_date.is_(None))
        .order_by(Authority.short_name)
    )
    return [("", "— choose —")] + [(i, f"{name} ({code})") for i, name, code in rows]


def _owner_choices(blank="— nobody —"):
    return [("", blank)] + [
        (u.id, u.display_name) for u in db.session.scalars(select(User).where(User.active).order_by(User.email))
    ]


def _region_choices():
    regions = db.session.scalars(select(Authority.region).distinct().order_by(Authority.region))
    return [("", "Any region")] + [(r, r) for r in regions]


def filtered_requests(form: RequestFilterForm, todo: str | None, today: date, calendars: Calendars, soon_days: int):
    """The list's query for the filters in `form` and a dashboard to-do bucket."""
    stmt = (
        select(FoiRequest)
        .join(FoiRequest.authority)
        .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign), joinedload(FoiRequest.owner))
        .where(visible_campaigns())  # only the campaigns the user may see: the list, its search and export
    )
    if form.campaign.data:
        stmt = stmt.where(FoiRequest.campaign_id == form.campaign.data)
    if form.status.data:
        stmt = stmt.where(FoiRequest.status == form.status.data)
    if form.outcome.data:
        stmt = stmt.where(FoiRequest.outcome == form.outcome.data)
    if form.region.data:
        stmt = stmt.where(Authority.region == form.region.data)
    if form.owner.data:
        stmt = stmt.where(FoiRequest.owner_id == form.owner.data)
    if form.q.data:
        # Council names and code, reference, subject and body; % and _ literal; served by indexes.
        stmt = stmt.where(search_condition(db.session, form.q.data.strip()))
    if form.deadline.data in DEADLINE_FILTERS:
        stmt = stmt.where(state_condition(form.deadline.data, today, calendars, soon_days))
    stmt = stmt.where(*todo_where(todo, today, calendars, soon_days))
    if form.sort.data == "newest":
        return stmt.order_by(FoiRequest.created_at.desc(), FoiRequest.id.desc())
    if form.sort.data == "council":
        return stmt.order_by(Authority.short_name, FoiRequest.id)
    # Soonest deadline first; requests with no running clock last.
    return stmt.order_by(FoiRequest.response_due_on.is_(None), FoiRequest.response_due_on, FoiRequest.id)


def request_list_query(args):
    """The list's filter form and query for a query string: shared by the page and the CSV export.

    Filter values that are not understood are dropped, and `understood` says so.
    """
    form = RequestFilterForm(args)
    form.campaign.choices = [("", "Any campaign")] + _campaign_choices()[1:]
    form.status.choices = [("", "Any status")] + choices(Status)
    form.outcome.choices = [("", "Any outcome")] + choices(Outcome)
    form.region.choices = _region_choices()
    form.owner.choices = _owner_choices("Anyone")
    form.deadline.choices = [("", "Any deadline")] + list(DEADLINE_FILTERS.items())
    understood = form.validate()
    if not understood:
        for field in (form.campaign, form.status, form.outcome, form.region, form.owner, form.deadline, form.sort):
            if field.errors:
                field.data = None
    stmt = filtered_requests(
        form,
        args.get("todo"),
        clock.today(),
        Calendars.from_db(db.session),
        current_app.config["DUE_SOON_WORKING_DAYS"],
    )
    return form, stmt, understood


@bp.route("/")
def index():
    form, stmt, understood = request_list_query(request.args)
    if not understood:
        flash("Some filters were not understood and were ignored.", "warning")
    page = request.args.get("page", 1, type=int)
    # Page through the ids alone, then load that page's requests: sorting whole rows (with their
    # council, campaign and owner) only to skip thousands made page 100 of 10,000 ten times slower.
    pagination = db.paginate(
        stmt.with_only_columns(FoiRequest.id), page=page, per_page=current_app.config["PER_PAGE"], count=True
    )
    if pagination.items:
        pagination.items = db.session.scalars(stmt.where(FoiRequest.id.in_(pagination.items))).all()
    filters_active = any(request.args.get(k) for k in FILTER_NAMES)
    return render_template(
        "foi_requests/index.html",
        form=form,
        pagination=pagination,
        filters_active=filters_active,
        todo_label=TODO_FILTERS.get(request.args.get("todo")),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("request.edit")
def create():
    form = RequestForm()
    form.campaign_id.choices = _campaign_choices()
    form.authority_id.choices = _authority_choices()
    form.owner_id.choices = _owner_choices()
    if request.method == "GET":
        form.campaign_id.data = request.args.get("campaign", type=int)
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data
            for name in (
                "campaign_id",
                "authority_id",
                "subject",
                "body",
                "sent_on",
                "received_on",
                "council_reference",
                "owner_id",
            )
        }
        values["body"] = values["body"] or ""
        values["council_reference"] = (values["council_reference"] or "").strip()
        campaign = db.session.get(Campaign, values["campaign_id"])
        authority = db.session.get(Authority, values["authority_id"])
        values["regime"] = form.regime.data or (
            regime_for_authority(campaign.default_regime, authority.nation)
            if campaign and authority
            else Regime.FOIA.value
        )
        try:
            foi_request = create_request(db.session, values, current_user.id)
            db.session.commit()
        except RequestError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(f"Request to {foi_request.authority.short_name} saved.", "success")
            return redirect(url_for(".show", request_id=foi_request.id))
    return render_template("foi_requests/form.html", form=form)


@bp.route("/<id:request_id>")
def show(request_id: int):
    return render_request_page(get_request_or_404(request_id))


def render_request_page(foi_request: FoiRequest, status: int = 200, event_form=None):
    """The request page; a timeline form with errors is passed back in to show them."""
    from .timeline_forms import AttachForm, field_kinds
    from .timeline_views import add_event_form

    audit = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity_type == "request", AuditEntry.entity_id == foi_request.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(50)
    ).all()
    history = request_history(db.session, audit)
    events = db.session.scalars(
        select(RequestEvent)
        .options(selectinload(RequestEvent.attachments), joinedload(RequestEvent.created_by))
        .where(RequestEvent.request_id == foi_request.id)
        .order_by(RequestEvent.occurred_on, RequestEvent.id)
    ).all()
    return render_template(
        "foi_requests/show.html",
        req=foi_request,
        history=history,
        events=events,
        calendar_label=calendar_name_for(foi_request.regime).label,
        event_form=event_form or add_event_form(foi_request),
        attach_form=AttachForm(),
        detail_fields=DETAIL_FIELDS,
        field_kinds=field_kinds(),
        describe=describe,
        EventKind=EventKind,
        **_linked_and_joint(foi_request, events),
    ), status


def _linked_and_joint(foi_request: FoiRequest, events) -> dict:
    """What the timeline links to: the requests a transfer or refinement made (and the one this
    was made from), the requests a joint reply also answers, the joint reply's documents, and
    the dates each decision notice starts (domain.decision_notices: computed, never stored)."""
    made_from_this = db.session.scalars(
        select(FoiRequest)
        .options(joinedload(FoiRequest.authority))
        .where(FoiRequest.linked_request_id == foi_request.id)
        .order_by(FoiRequest.id)
    ).all()
    ids = {foi_request.linked_request_id} | {r.id for r in made_from_this}
    attachment_ids = set()
    for event in events:
        details = event.details or {}
        ids |= {details.get("linked_request_id")} | set(details.get("joint_request_ids", []))
        attachment_ids |= set(details.get("joint_attachment_ids", []))
    ids.discard(None)
    linked = {
        r.id: r
        for r in db.session.scalars(
            select(FoiRequest).options(joinedload(FoiRequest.authority)).where(FoiRequest.id.in_(ids))
        )
    }
    joint_documents = {a.id: a for a in db.session.scalars(select(Attachment).where(Attachment.id.in_(attachment_ids)))}
    notice_dates = {
        event.id: (
            comply_by(event.details.get("regulator"), event.occurred_on),
            appeal_by(event.details.get("regulator"), event.occurred_on),
        )
        for event in events
        if event.kind == EventKind.DECISION_NOTICE.value and event.details
    }
    return {
        "linked": linked,
        "made_from_this": made_from_this,
        "joint_documents": joint_documents,
        "notice_dates": notice_dates,
    }


@bp.route("/<id:request_id>/deadline")
def deadline(request_id: int):
    """The explanation on demand: every working day counted and every day skipped."""
    foi_request = get_request_or_404(request_id)
    deadlines = deadlines_for(foi_request, foi_request.events, Calendars.from_db(db.session))
    return render_template("foi_requests/deadline.html", req=foi_request, deadlines=deadlines)


@bp.route("/<id:request_id>/edit", methods=["GET", "POST"])
@requires("request.edit")
def edit(request_id: int):
    foi_request = get_request_or_404(request_id)
    form = EditRequestForm(obj=foi_request)
    form.owner_id.choices = _owner_choices()
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data for name in ("regime", "subject", "body", "council_reference", "owner_id")
        }
        values["body"] = values["body"] or ""
        values["council_reference"] = values["council_reference"] or ""
        try:
            update_request(db.session, foi_request, values, current_user.id)
            db.session.commit()
        except RequestError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash("Request saved.", "success")
            return redirect(url_for(".show", request_id=foi_request.id))
    return render_template("foi_requests/form.html", form=form, req=foi_request)
