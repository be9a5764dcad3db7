from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.permissions import can, get_campaign_or_404, requires
from ..extensions import db
from ..models import Authority, Campaign, CampaignContact
from ..services.access import campaign_scope
from ..services.authorities import update_authority
from ..services.contacts import AddressError, campaign_address, set_campaign_address
from . import bp
from .forms import AuthorityFilterForm, AuthorityForm, CampaignAddressForm

MAX_CAMPAIGNS_SHOWN = 50


def _distinct(column, blank):
    return [("", blank)] + [(v, v) for v in db.session.scalars(select(column).distinct().order_by(column))]


@bp.route("/")
def index():
    form = AuthorityFilterForm(request.args)
    form.nation.choices = _distinct(Authority.nation, "Any nation")
    form.region.choices = _distinct(Authority.region, "Any region")
    form.type_code.choices = [("", "Any type")] + [
        (code, f"{name} ({code})")
        for code, name in db.session.execute(
            select(Authority.type_code, Authority.type_name).distinct().order_by(Authority.type_code)
        )
    ]
    form.validate()
    stmt = select(Authority).order_by(Authority.short_name)
    status = form.status.data or "current"
    if status == "current":
        stmt = stmt.where(Authority.end_date.is_(None))
    elif status == "abolished":
        stmt = stmt.where(Authority.end_date.is_not(None))
    for field, column in (
        (form.nation, Authority.nation),
        (form.region, Authority.region),
        (form.type_code, Authority.type_code),
    ):
        if field.data and not field.errors:
            stmt = stmt.where(column == field.data)
    if form.social_care.data in ("yes", "no"):
        stmt = stmt.where(Authority.social_care.is_(form.social_care.data == "yes"))
    if form.q.data:
        q = form.q.data.strip()  # matched literally: % and _ are escaped
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(q, autoescape=True)
                    for column in (
                        Authority.official_name,
                        Authority.short_name,
                        Authority.code,
                        Authority.gss_code,
                        Authority.alt_names,
                    )
                )
            )
        )
    pagination = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=50, count=True)
    return render_template("authorities/index.html", form=form, pagination=pagination)


@bp.route("/<code>")
def show(code: str):
    authority = db.first_or_404(select(Authority).where(Authority.code == code.upper()))
    successors = db.session.scalars(select(Authority).where(Authority.code.in_(authority.successor_codes))).all()
    # The campaigns the user may see, each with its own address for this council if it has one.
    campaign_addresses = db.session.execute(
        select(Campaign.id, Campaign.title, CampaignContact.foi_email)
        .outerjoin(
            CampaignContact,
            (CampaignContact.campaign_id == Campaign.id) & (CampaignContact.authority_id == authority.id),
        )
        .where(campaign_scope(current_user, Campaign.id))
        .order_by(CampaignContact.foi_email.is_(None), Campaign.title)
        .limit(MAX_CAMPAIGNS_SHOWN)
    ).all()
    return render_template(
        "authorities/show.html",
        authority=authority,
        successors=successors,
        campaign_addresses=campaign_addresses,
        may_set_campaign_address=can(current_user, "campaign.edit"),
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("admin")
def edit(code: str):
    authority = db.first_or_404(select(Authority).where(Authority.code == code.upper()))
    form = AuthorityForm(obj=authority)
    if form.validate_on_submit():
        # The form checks the address (forms.one_address: domain.email_addresses).
        update_authority(db.session, authority, form.data, current_user.id)
        db.session.commit()
        flash(f"{authority.short_name} saved.", "success")
        return redirect(url_for(".show", code=authority.code))
    return render_template("authorities/form.html", form=form, authority=authority)


@bp.route("/<code>/campaigns/<id:campaign_id>/address", methods=["GET", "POST"], endpoint="campaign_address")
@requires("campaign.edit")
def campaign_address_view(code: str, campaign_id: int):
    """A campaign's own FOI address for a council, instead of the register's; blank clears it.
    Coordinators who are members of the campaign, and admins (services.access)."""
    campaign = get_campaign_or_404(campaign_id)
    authority = db.first_or_404(select(Authority).where(Authority.code == code.upper()))
    current = campaign_address(db.session, campaign.id, authority.id)
    form = CampaignAddressForm(data={"foi_email": current.foi_email if current else ""})
    if form.validate_on_submit():
        try:
            saved = set_campaign_address(db.session, campaign.id, authority, form.foi_email.data, current_user.id)
            db.session.commit()
        except AddressError as exc:
            db.session.rollback()
            form.foi_email.errors.append(exc.message)
        else:
            if saved:
                flash(f"{campaign.title} now writes to {authority.short_name} at {saved.foi_email}.", "success")
            else:
                flash(f"{campaign.title} uses the council register's address for {authority.short_name}.", "success")
            return redirect(url_for(".show", code=authority.code))
    return render_template("authorities/campaign_address.html", form=form, authority=authority, campaign=campaign)
