"""The campaign statistics page: how the requests went, overall, by region and by council type."""

from flask import render_template

from ..auth.permissions import get_campaign_or_404
from ..extensions import db
from ..services.stats import campaign_statistics
from . import bp


@bp.route("/<id:campaign_id>/statistics")
def statistics(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    return render_template(
        "campaigns/statistics.html", campaign=campaign, stats=campaign_statistics(db.session, campaign_id)
    )
