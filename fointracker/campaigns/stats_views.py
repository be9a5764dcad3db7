"""The campaign statistics page: how the requests went, overall, by region and by council type."""

from flask import render_template

from ..extensions import db
from ..models import Campaign
from ..services.stats import campaign_statistics
from . import bp


@bp.route("/<int:campaign_id>/statistics")
def statistics(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template(
        "campaigns/statistics.html", campaign=campaign, stats=campaign_statistics(db.session, campaign_id)
    )
