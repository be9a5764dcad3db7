"""The public side, no login: /p/<slug> (the current version), /p/<slug>/v/<n> (any version,
still readable after the report is published again) and their data sets, data.csv and data.xlsx.

Everything comes from the version's snapshot (services.publishing): nothing of the campaign as
it is now, nothing of the install (the page has its own layout: no navigation, no login link, no
link but to the report's own addresses and the licence). A report that is not online answers 404
at every address, as one that never existed. Responses are cacheable (public, with an ETag; a
version's address longer than the current one's, whose content moves on when republished) and
set no cookie (nothing here touches the session)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date
from decimal import Decimal

from flask import Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from ..charts import bar_chart, change_histogram, top_cuts_chart
from ..domain.publishing import below, withheld_text
from ..extensions import db
from ..formatting import uk_date
from ..services.publishing import PublicVersion, find_public_version
from ..services.publishing_files import csv_chunks, data_filename, xlsx_bytes
from ..services.report_display import show_figure, show_percent
from . import bp

CURRENT_MAX_AGE = 300  # the current version's address moves on when the report is republished
VERSION_MAX_AGE = 3600  # a version never changes; kept short enough that unpublishing takes effect
PAGE_REVISION = "1"  # part of the page's ETag: bump when the public templates change
PUBLIC_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_workbooks: OrderedDict[tuple[str, str], bytes] = OrderedDict()  # (digest, address): the XLSX, a few kept
_workbooks_lock = threading.Lock()
WORKBOOKS_KEPT = 4


def map_for(snapshot: dict) -> dict | None:
    """The hex map drawn when the version was published (services.publishing.published_map): its
    SVG, trusted as the app's own drawing (every text in it escaped there), and its table; None
    for a version published without one."""
    found = snapshot.get("map")
    if not found:
        return None
    return {**found, "svg": Markup(found["svg"])}


NOT_FOUND_MAX_AGE = 60


def _found(slug: str, number: int | None) -> PublicVersion:
    """The version, or a 404: the same page for a report taken down as for one that never was,
    in the public layout (the app's own 404 page leads into the install)."""
    found = find_public_version(db.session, slug, number)
    if found is None:
        response = Response(render_template("publishing/not_found.html"), 404, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = f"public, max-age={NOT_FOUND_MAX_AGE}"
        response.headers["Content-Security-Policy"] = PUBLIC_POLICY
        abort(response)
    return found


def _public(response: Response, tag: str, versioned: bool) -> Response:
    max_age = VERSION_MAX_AGE if versioned else CURRENT_MAX_AGE
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if versioned else "")
    response.headers["Content-Security-Policy"] = PUBLIC_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_etag(tag)
    return response.make_conditional(request)


# ---------------------------------------------------------------- the page


def show(value, qtype: str, derived: bool = False) -> str:
    """A published figure: "–" when there is none, "<5" as it is, a number as the report prints it."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if qtype not in ("money", "count", "decimal", "percentage"):
        return f"{value:,}"
    return show_figure(Decimal(str(value)), qtype, derived)


def rate(part, whole) -> str:
    if part is None or not whole:
        return "–"
    return show_percent(Decimal(part) * 100 / Decimal(whole))


def _charts(snapshot: dict) -> dict[str, Markup]:
    report = snapshot["report"]
    o = report["responses"]
    charts = {}
    if not o.get("withheld") and o.get("asked"):
        bars = [
            ("Councils asked", o["asked"]),
            ("Answered on time", o["on_time"]),
            ("Answered late", o["late"]),
            ("Refused", o["refused"]),
            ("Information not held", o["not_held"]),
            ("Outstanding", o["outstanding"]),
            ("Withdrawn", o["withdrawn"]),
        ]
        charts["responses"] = Markup(
            bar_chart(
                "Response status", bars, f"Requests by status; n = {o['asked']} councils asked", "chart-responses"
            )
        )
    for index, p in enumerate(report["pairs"]):
        title = f"{p['before']} → {p['after']}"
        if p.get("distribution"):
            bins = [(b["bin"], b["councils"]) for b in p["distribution"]]
            charts[f"change-{index}"] = Markup(
                change_histogram(
                    f"Distribution of change: {title}",
                    bins,
                    f"Councils by percentage change; n = {p['median_pct_change_base']} with a figure above zero before",
                    f"chart-change-{index}",
                )
            )
        cuts = [c for c in p["top_cuts"] if not c.get("withheld") and c.get("change") is not None]
        if cuts:
            charts[f"cuts-{index}"] = Markup(
                top_cuts_chart(
                    f"Largest cuts: {title}",
                    [
                        (
                            c["council"],
                            Decimal(str(c["change"])),
                            show(c["change"], p["type"]) + (" (estimate)" if c["estimate"] else ""),
                        )
                        for c in cuts
                    ],
                    f"The {len(cuts)} largest cuts in amount",
                    f"chart-cuts-{index}",
                )
            )
    return charts


def _page(slug: str, number: int | None) -> Response:
    found = _found(slug, number)
    snapshot = found.snapshot
    versioned = number is not None
    html = render_template(
        "publishing/public.html",
        found=found,
        snapshot=snapshot,
        report=snapshot["report"],
        sections=set(snapshot["sections"]),
        charts=_charts(snapshot),
        map_svg=map_for(snapshot),
        show=show,
        rate=rate,
        day=lambda iso: uk_date(date.fromisoformat(iso)),
        suppressed=below(snapshot["threshold"]),
        withheld=withheld_text(snapshot["threshold"]),
        csv_url=url_for(".public_version_csv", slug=found.slug, number=found.number),
        xlsx_url=url_for(".public_version_xlsx", slug=found.slug, number=found.number),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    return _public(response, f"{found.digest[:40]}-{found.latest}-{PAGE_REVISION}-html", versioned)


@bp.route("/p/<slug>")
def public_report(slug: str):
    return _page(slug, None)


@bp.route("/p/<slug>/v/<id:number>")
def public_version(slug: str, number: int):
    return _page(slug, number)


# ---------------------------------------------------------------- the data set


def _csv(slug: str, number: int | None) -> Response:
    found = _found(slug, number)
    snapshot = found.snapshot
    response = Response(
        "".join(csv_chunks(snapshot)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{data_filename(snapshot, "csv")}"',
            "Link": f'<{snapshot["licence"]["url"]}>; rel="license"',
        },
    )
    return _public(response, f"{found.digest[:40]}-csv", number is not None)


def _xlsx(slug: str, number: int | None) -> Response:
    found = _found(slug, number)
    snapshot = found.snapshot
    address = current_app.config["BASE_URL"].rstrip("/") + url_for(
        ".public_version", slug=found.slug, number=found.number
    )
    key = (found.digest, address)
    with _workbooks_lock:
        data = _workbooks.get(key)
    if data is None:
        data = xlsx_bytes(snapshot, address)
        with _workbooks_lock:
            _workbooks[key] = data
            while len(_workbooks) > WORKBOOKS_KEPT:
                _workbooks.popitem(last=False)
    response = Response(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{data_filename(snapshot, "xlsx")}"',
            "Link": f'<{snapshot["licence"]["url"]}>; rel="license"',
        },
    )
    # The workbook names its address (BASE_URL): a new one is a new workbook.
    tag = f"{found.digest[:40]}-xlsx-{hashlib.sha256(address.encode()).hexdigest()[:12]}"
    return _public(response, tag, number is not None)


@bp.route("/p/<slug>/data.csv")
def public_csv(slug: str):
    return _csv(slug, None)


@bp.route("/p/<slug>/data.xlsx")
def public_xlsx(slug: str):
    return _xlsx(slug, None)


@bp.route("/p/<slug>/v/<id:number>/data.csv")
def public_version_csv(slug: str, number: int):
    return _csv(slug, number)


@bp.route("/p/<slug>/v/<id:number>/data.xlsx")
def public_version_xlsx(slug: str, number: int):
    return _xlsx(slug, number)
