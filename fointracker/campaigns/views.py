from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.permissions import requires
from ..extensions import db
from ..models import Campaign, FoiRequest, Role, User
from ..services.campaigns import CampaignError, save_campaign
from . import bp
from .forms import CampaignForm


def _coordinator_choices():
    users = db.session.scalars(
        select(User).where(User.role.in_([Role.COORDINATOR.value, Role.ADMIN.value]), User.active).order_by(User.email)
    )
    return [(u.id, u.display_name) for u in users]


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=int)
    q = (request.args.get("q") or "").strip()
    stmt = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
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
    form.coordinators.choices = _coordinator_choices()
    if request.method == "GET":
        form.coordinators.data = [current_user.id] if current_user.role == Role.COORDINATOR.value else []
    if form.validate_on_submit():
        try:
            campaign = save_campaign(db.session, None, form.data, form.coordinators.data, current_user.id)
            db.session.commit()
        except CampaignError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(f"Campaign “{campaign.title}” created.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None)


@bp.route("/<int:campaign_id>")
def show(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    by_status = db.session.execute(
        select(FoiRequest.status, func.count(FoiRequest.id))
        .where(FoiRequest.campaign_id == campaign_id)
        .group_by(FoiRequest.status)
    ).all()
    return render_template(
        "campaigns/show.html", campaign=campaign, by_status=dict(by_status), total=sum(n for _, n in by_status)
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaign.edit")
def edit(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CampaignForm(obj=campaign)
    form.coordinators.choices = _coordinator_choices()
    if request.method == "GET":
        form.coordinators.data = [u.id for u in campaign.coordinators]
    if form.validate_on_submit():
        try:
            save_campaign(db.session, campaign, form.data, form.coordinators.data, current_user.id)
            db.session.commit()
        except CampaignError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash("Campaign saved.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign)
