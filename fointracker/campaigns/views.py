from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.permissions import get_campaign_or_404, requires, visible_campaigns
from ..domain.letters import BUILT_IN_FOLLOW_UPS, own_follow_up
from ..extensions import db
from ..models import Campaign, FoiRequest, Role, User
from ..services.campaigns import FOLLOW_UP_FIELDS, CampaignError, may_manage_members, save_campaign
from . import bp
from .forms import FOLLOW_UP_HELP, CampaignForm


def _coordinator_choices():
    users = db.session.scalars(
        select(User).where(User.role.in_([Role.COORDINATOR.value, Role.ADMIN.value]), User.active).order_by(User.email)
    )
    return [(u.id, u.display_name) for u in users]


def _member_choices():
    users = db.session.scalars(select(User).where(User.active).order_by(User.email))
    return [(u.id, f"{u.display_name} ({Role(u.role).label})") for u in users]


def _people_fields(form: CampaignForm, campaign: Campaign | None) -> bool:
    """Offer the coordinators and members only to those who manage them (admins and the
    campaign's coordinators); for anyone else they stay as they are. True when offered."""
    if not may_manage_members(current_user, campaign):
        del form.coordinators
        del form.members
        return False
    form.coordinators.choices = _coordinator_choices()
    form.members.choices = _member_choices()
    if request.method == "GET" and campaign is not None:
        form.coordinators.data = [u.id for u in campaign.coordinators]
        form.members.data = [u.id for u in campaign.members]
    return True


def _people(form: CampaignForm, offered: bool) -> tuple[list[int] | None, list[int] | None]:
    return (form.coordinators.data, form.members.data) if offered else (None, None)


def _follow_up_fields(form: CampaignForm, campaign: Campaign | None) -> None:
    """Start each follow-up letter from the campaign's own wording, else the built-in one (saved
    unchanged or blank, it stays the built-in: services.campaigns)."""
    if request.method != "GET":
        return
    for kind, name in FOLLOW_UP_FIELDS.items():
        own = own_follow_up(kind, campaign.follow_up_templates if campaign else None)
        form[name].data = own or BUILT_IN_FOLLOW_UPS[kind]


def _webhook_hosts() -> dict:
    return {"webhook_allowed_hosts": current_app.config.get("WEBHOOK_ALLOWED_HOSTS", ())}


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=int)
    q = (request.args.get("q") or "").strip()
    stmt = (
        select(Campaign).where(visible_campaigns(Campaign.id)).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    if q:
        stmt = stmt.where(Campaign.title.icontains(q, autoescape=True))  # literally: % and _ are escaped
    pagination = db.paginate(stmt, page=page, per_page=25, count=True)
    ids = [c.id for c in pagination.items]
    counts = (
        dict(
            db.session.execute(
                select(FoiRequest.campaign_id, func.count(FoiRequest.id))
                .where(FoiRequest.campaign_id.in_(ids))
                .group_by(FoiRequest.campaign_id)
            ).all()
        )
        if ids
        else {}
    )
    return render_template("campaigns/index.html", pagination=pagination, q=q, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@requires("campaign.edit")
def create():
    form = CampaignForm()
    offered = _people_fields(form, None)  # always, on a new campaign
    _follow_up_fields(form, None)
    if request.method == "GET":
        form.coordinators.data = [current_user.id] if current_user.role == Role.COORDINATOR.value else []
    if form.validate_on_submit():
        coordinator_ids, member_ids = _people(form, offered)
        try:
            campaign = save_campaign(
                db.session, None, form.data, coordinator_ids, current_user.id, member_ids, **_webhook_hosts()
            )
            db.session.commit()
        except CampaignError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(f"Campaign “{campaign.title}” created.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None, follow_up_help=FOLLOW_UP_HELP)


@bp.route("/<id:campaign_id>")
def show(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    by_status = db.session.execute(
        select(FoiRequest.status, func.count(FoiRequest.id))
        .where(FoiRequest.campaign_id == campaign_id)
        .group_by(FoiRequest.status)
    ).all()
    return render_template(
        "campaigns/show.html", campaign=campaign, by_status=dict(by_status), total=sum(n for _, n in by_status)
    )


@bp.route("/<id:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaign.edit")
def edit(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = CampaignForm(obj=campaign)
    offered = _people_fields(form, campaign)
    _follow_up_fields(form, campaign)
    if form.validate_on_submit():
        coordinator_ids, member_ids = _people(form, offered)
        try:
            save_campaign(
                db.session, campaign, form.data, coordinator_ids, current_user.id, member_ids, **_webhook_hosts()
            )
            db.session.commit()
        except CampaignError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash("Campaign saved.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign, follow_up_help=FOLLOW_UP_HELP)
