from flask import jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import Campaign, FoiRequest
from . import bp


@bp.route("/")
def dashboard():
    per_campaign = db.session.execute(
        select(Campaign.id, Campaign.title, func.count(FoiRequest.id).label("requests"))
        .outerjoin(FoiRequest, FoiRequest.campaign_id == Campaign.id)
        .group_by(Campaign.id, Campaign.title)
        .order_by(Campaign.title)
    ).all()
    my_open = db.session.scalar(
        select(func.count(FoiRequest.id)).where(FoiRequest.owner_id == current_user.id)
    )
    return render_template("main/dashboard.html", per_campaign=per_campaign, my_requests=my_open)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # reported, not swallowed: the status code says it
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "error", database=database), status
