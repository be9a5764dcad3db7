"""The figures queue: the councils whose reply (with documents) waits for its figures, oldest
first, each opening its figures grid with *Save and next council*."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import can, visible_campaigns
from ..extensions import db
from ..models import Campaign, Question
from ..services.figures_queue import answered_counts, queue_sizes, queue_statement
from . import bp
from .args import campaign_arg


def campaign_list(endpoint: str, title: str, lead: str):
    """The campaigns the user may see, each linking to `endpoint` for it, with its queue's size."""
    pagination = db.paginate(
        select(Campaign).where(visible_campaigns(Campaign.id)).order_by(Campaign.title),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        count=True,
    )
    sizes = queue_sizes(db.session, [c.id for c in pagination.items])
    return render_template(
        "figures/queue_campaigns.html", pagination=pagination, sizes=sizes, endpoint=endpoint, title=title, lead=lead
    )


@bp.route("/queue")
def queue():
    campaign = campaign_arg()
    if campaign is None:
        return campaign_list(
            "figures.queue", "Figures queue", "Choose a campaign to see the councils whose figures wait to be entered."
        )
    pagination = db.paginate(
        queue_statement(campaign.id),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        count=True,
    )
    questions = db.session.scalar(select(db.func.count(Question.id)).where(Question.campaign_id == campaign.id))
    return render_template(
        "figures/queue.html",
        campaign=campaign,
        pagination=pagination,
        answered=answered_counts(db.session, [r.id for r in pagination.items]),
        questions=questions or 0,
        can_edit=can(current_user, "request.edit"),
    )
