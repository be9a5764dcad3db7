"""The report page and its downloads. Thin: the numbers come from services.report, the files
from services.report_exports, and the downloads stream (stream_with_context keeps the
database session open while the generator runs)."""
from flask import Response, render_template, stream_with_context

from ..extensions import db
from ..models import Campaign
from ..services.report_exports import FORMATS, export_chunks, export_filename, page_context
from . import bp


@bp.route("/campaigns/<int:campaign_id>/report")
def report(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("reports/report.html", **page_context(db.session, campaign))


def _download(campaign_id: int, fmt: str) -> Response:
    campaign = db.get_or_404(Campaign, campaign_id)
    chunks = export_chunks(db.session, campaign, fmt)
    spec = FORMATS[fmt]
    headers = {"Cache-Control": "no-store"}
    if fmt != "json":
        headers["Content-Disposition"] = f'attachment; filename="{export_filename(campaign, fmt)}"'
    mimetype = spec.mimetype if spec.binary else f"{spec.mimetype}; charset=utf-8"
    return Response(stream_with_context(chunks), mimetype=mimetype, headers=headers)


@bp.route("/campaigns/<int:campaign_id>/report.json")
def report_json(campaign_id: int):
    return _download(campaign_id, "json")


@bp.route("/campaigns/<int:campaign_id>/report.csv")
def report_csv(campaign_id: int):
    """One row per council, one column per question."""
    return _download(campaign_id, "csv")


@bp.route("/campaigns/<int:campaign_id>/report-tidy.csv")
def report_tidy_csv(campaign_id: int):
    """One row per council and question."""
    return _download(campaign_id, "tidy-csv")


@bp.route("/campaigns/<int:campaign_id>/report.xlsx")
def report_xlsx(campaign_id: int):
    return _download(campaign_id, "xlsx")
