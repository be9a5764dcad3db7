from flask import current_app, jsonify, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import text

from .. import clock
from ..deadlines import page_calendars
from ..domain.lifecycle import Status
from ..extensions import db
from ..scheduler import LEASE_SECONDS, heartbeat_status
from ..services.access import visible_campaign_ids
from ..services.our_deadlines import CLOSING_SOON_WORKING_DAYS, for_request
from ..services.read_cache import bounced_data, dashboard_data, drafts_data
from ..services.stats import DEADLINE_BUCKETS, TODO_BUCKETS, Scope, default_scope
from . import bp

SCOPES = {"mine": "Mine", "all": "Everything"}
DASHBOARD_LIST_ROWS = 10  # the dashboard's lists are a summary: a page of them each, and a pager


def todo_url(name: str, **scope_args) -> str:
    """The request list filtered to one to-do bucket (and to the scope's owner or campaign)."""
    if name in DEADLINE_BUCKETS:
        scope_args["deadline"] = name
    elif name == "clarification_owed":
        scope_args["status"] = Status.CLARIFICATION_REQUESTED.value
    else:
        scope_args["todo"] = name
    return url_for("foi_requests.index", **scope_args)


def _todo_rows(todo, scope: Scope, titles: dict[int, str]) -> list[dict]:
    """Per bucket: its label, the scope's count, where the list shows them (a link for the whole
    count, or when "mine" spans owned requests and coordinated campaigns, one link per part)."""
    rows = []
    for name, label in TODO_BUCKETS.items():
        count, parts, url = todo.total[name], [], None
        if scope.is_everything:
            url = todo_url(name)
        elif not scope.campaign_ids:
            url = todo_url(name, owner=scope.user_id)
        else:
            parts.append(("yours", todo.mine[name], todo_url(name, owner=scope.user_id)))
            for campaign_id in scope.campaign_ids:
                n = todo.by_campaign.get(campaign_id, {}).get(name, 0)
                parts.append((f"in {titles.get(campaign_id, campaign_id)}", n, todo_url(name, campaign=campaign_id)))
        rows.append({"name": name, "label": label, "count": count, "url": url, "parts": [p for p in parts if p[1]]})
    return rows


class ListPage:
    """One page of a list computed in Python, with what templates/_macros.html's pager reads
    (the attributes of Flask-SQLAlchemy's Pagination)."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        self.items = items[(self.page - 1) * per_page : self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.app_template_global()
def our_deadlines_of(foi_request):
    """For templates/foi_requests/_our_deadlines.html: the request's own windows (ours, not the
    council's), each with whether it has closed today."""
    today = clock.today()
    return [(d, d.closed_on(today)) for d in for_request(foi_request, page_calendars(), today)]


@bp.route("/")
def dashboard():
    scope_name = request.args.get("scope")
    if scope_name not in SCOPES:
        scope_name = default_scope(current_user.role)
    today = clock.today()
    visible = visible_campaign_ids(db.session, current_user)
    # Cached per worker while the campaigns the user may see (and the data no campaign owns) are
    # unchanged: services.read_cache says why that is safe. Uncached it costs ~15-25 ms at the load
    # test's size, ~10x /healthz: benchmarks/load.py's dashboard throughput goal needs the cache.
    data = dashboard_data(
        db.session,
        scope_name == "all",
        current_user.id,
        today,
        current_app.config["DUE_SOON_WORKING_DAYS"],
        visible,  # what the user may see: the cache keys on it
    )
    scope, todo, progress, any_campaign = data.scope, data.todo, data.progress, data.any_campaign
    titles = {row.id: row.title for row in progress}
    # Cached apart from the counts: the drafts are the signed-in user's whatever the scope.
    per_page = DASHBOARD_LIST_ROWS
    drafts = ListPage(
        drafts_data(db.session, current_user.id, visible), request.args.get("drafts_page", 1, type=int), per_page
    )
    windows = ListPage(data.windows, request.args.get("windows_page", 1, type=int), per_page)
    bounced = ListPage(bounced_data(db.session, visible), request.args.get("bounced_page", 1, type=int), per_page)
    return render_template(
        "main/dashboard.html",
        scope_name=scope_name,
        scopes=SCOPES,
        scope=scope,
        todo=todo,
        todo_rows=_todo_rows(todo, scope, titles),
        progress=progress,
        any_campaign=any_campaign,
        today=today,
        drafts=drafts,
        bounced=bounced,
        windows=windows,
        closing_soon_days=CLOSING_SOON_WORKING_DAYS,
    )


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says (and every page had a 404 for it, #19)."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # reported, not swallowed: the status code says it
        database = f"error: {type(exc).__name__}"
    # The scheduler's heartbeat is reported, but a stopped scheduler does not fail the web's health.
    scheduler = {"state": "unknown"}
    if database == "ok":
        try:
            scheduler = heartbeat_status(db.session)
            if "seconds_since_heartbeat" in scheduler:
                # Older than the lease: no scheduler holds it any more (crashed, or stopped and not restarted).
                scheduler["stale"] = scheduler["seconds_since_heartbeat"] > LEASE_SECONDS
        except Exception as exc:
            db.session.rollback()
            scheduler = {"state": f"unknown: {type(exc).__name__}"}
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "error", database=database, scheduler=scheduler), status
