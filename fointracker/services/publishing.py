"""Publishing a campaign's report (#18): a snapshot at a stable public address, in versions.

`publish` freezes what the public sees: the report's figures (services.report.report_json) and
the tidy data set (services.report_exports.tidy_rows), both as domain.publishing publishes them
(the chosen questions and sections, small numbers suppressed, notes only if chosen, nothing
personal and no internal id), with the licence and the suggested citation, as one JSON text in
one new row: a version is whole or absent. Later changes to the campaign reach the public only
when the author publishes again, which makes the next version; earlier versions stay readable
at their own address while the report is online. `unpublish` takes every version down at once.

Who published is stored (published_by_id) for the campaign's team and never put in a snapshot.
No Flask; flushes, never commits.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..domain.figures import AnswerState
from ..domain.publishing import (
    LICENCES,
    MAX_NOTE,
    SECTIONS,
    PublishOptions,
    check_options,
    citation,
    is_slug,
    make_slug,
    published_figures,
    suppress_count,
    unique_slug,
)
from ..models import Campaign, PublishedReport, PublishedReportVersion
from .audit import record
from .report import build_report, report_json
from .report_answers import campaign_questions
from .report_exports import TIDY_COLUMNS, tidy_rows
from .report_map import STATUS, build_report_map, choose_measure

SNAPSHOT_FORMAT = 1
MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024  # ~10× a 400-council, 30-question campaign's
PERSONAL_COLUMNS = ("note", "source")  # an answer's note and the file its figure came from: only if chosen
VALUE_STATES = (AnswerState.PROVIDED.value, AnswerState.ESTIMATE.value)


class PublishError(ValueError):
    """The publication was refused; the message says why, for the author."""


def published_report_of(session: Session, campaign_id: int) -> PublishedReport | None:
    return session.scalar(select(PublishedReport).where(PublishedReport.campaign_id == campaign_id))


def list_versions(session: Session, published: PublishedReport | None) -> list[PublishedReportVersion]:
    """The report's versions, newest first (their snapshots are not loaded)."""
    if published is None:
        return []
    return list(
        session.scalars(
            select(PublishedReportVersion)
            .where(PublishedReportVersion.published_report_id == published.id)
            .order_by(PublishedReportVersion.number.desc())
        )
    )


def default_options(session: Session, campaign: Campaign, publisher: str = "") -> PublishOptions:
    """The last version's options (for the next one), or every section and every question but
    the free-text ones (copied from the councils' replies, they may name people: the author
    ticks them if they are fit to publish)."""
    published = published_report_of(session, campaign.id)
    questions = campaign_questions(session, campaign.id)
    codes = [q.code for q in questions]
    if published is not None and published.current_version:
        last = session.scalar(
            select(PublishedReportVersion.options).where(
                PublishedReportVersion.published_report_id == published.id,
                PublishedReportVersion.number == published.current_version,
            )
        )
        if last:
            return options_from_json(last, codes)
    return PublishOptions(questions=tuple(q.code for q in questions if q.qtype != "text"), publisher=publisher)


def options_from_json(data: dict, codes: list[str]) -> PublishOptions:
    return PublishOptions(
        sections=tuple(s for s in data.get("sections", ()) if s in SECTIONS),
        questions=tuple(c for c in data.get("questions", ()) if c in codes),
        threshold=int(data.get("threshold", 5)),
        licence=data.get("licence") if data.get("licence") in LICENCES else "cc-by-4.0",
        include_notes=bool(data.get("include_notes")),
        summary=str(data.get("summary", "")),
        publisher=str(data.get("publisher", "")),
    )


# ---------------------------------------------------------------- the snapshot


def _cell(value):
    """A tidy row's cell as JSON: numbers as exact text ("1200000", "12.5"), the rest as is."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def dataset(session: Session, campaign_id: int, options: PublishOptions) -> dict:
    """The tidy data set as published: the chosen questions' rows, counts suppressed, the notes
    and sources only if chosen."""
    columns = [c for c in TIDY_COLUMNS if options.include_notes or c not in PERSONAL_COLUMNS]
    keep = [TIDY_COLUMNS.index(c) for c in columns]
    at = {name: index for index, name in enumerate(TIDY_COLUMNS)}
    chosen = set(options.questions)
    rows = []
    for row in tidy_rows(session, campaign_id):
        if row[at["question_code"]] not in chosen:
            continue
        row = list(row)
        if row[at["question_type"]] == "count" and row[at["state"]] in VALUE_STATES:
            row[at["value"]], row[at["low"]], row[at["high"]] = suppress_count(
                row[at["value"]], row[at["low"]], row[at["high"]], options.threshold
            )
        rows.append([_cell(row[i]) for i in keep])
    return {"columns": columns, "rows": rows}


def build_snapshot(session: Session, campaign: Campaign, options: PublishOptions, version: int, url: str) -> dict:
    """Everything a version's page and downloads show (the module docstring says what)."""
    today = clock.today()
    report = build_report(session, campaign, today)
    figures = published_figures(report_json(report), options)
    licence = LICENCES[options.licence]
    return {
        "format": SNAPSHOT_FORMAT,
        "title": campaign.title,
        "publisher": options.publisher,
        "summary": options.summary,
        "version": version,
        "published_on": today.isoformat(),
        "sections": [s for s in SECTIONS if s in options.sections],
        "threshold": options.threshold,
        "include_notes": options.include_notes,
        "licence": {"code": licence.code, "name": licence.name, "url": licence.url},
        "citation": citation(campaign.title, options.publisher, today.year, version, url, licence.code),
        "report": figures,
        "dataset": dataset(session, campaign.id, options),
        "map": published_map(session, report, options),
    }


def published_map(session: Session, report, options: PublishOptions) -> dict:
    """The hex map as published, drawn once now: a published pair's percentage change, else the
    response status; never a count (its small numbers would show in the hexes' titles)."""
    chosen = set(options.questions)
    pair = next((p for p in report.pairs if {p.before.code, p.after.code} <= chosen and p.qtype != "count"), None)
    measure = choose_measure(report, f"pair:{pair.index}" if pair is not None else STATUS)
    found = build_report_map(session, report, measure, chart_id="public-map")
    return {
        "label": measure.label,
        "base": found.base,
        "svg": found.svg,
        "rows": [[row.council, row.value, row.shown] for row in found.rows],
    }


# ---------------------------------------------------------------- publishing


def publish(
    session: Session,
    campaign: Campaign,
    options: PublishOptions,
    note: str,
    user_id: int | None,
    version_url: Callable[[str, int], str],
) -> PublishedReportVersion:
    """Publish the campaign's report as it is now: the next version (the first makes the
    report's slug), and the report online. `version_url(slug, number)`: the version's public
    address, for the citation. Raises PublishError when the options or note are refused."""
    codes = [q.code for q in campaign_questions(session, campaign.id)]
    problems = check_options(options, codes)
    if len(note) > MAX_NOTE:
        problems.append(f"The change note is limited to {MAX_NOTE:,} characters.")
    if problems:
        raise PublishError(" ".join(problems))
    published = session.scalar(
        select(PublishedReport).where(PublishedReport.campaign_id == campaign.id).with_for_update()
    )
    if published is None:
        base = make_slug(campaign.title)
        slug = unique_slug(
            base, lambda s: session.scalar(select(PublishedReport.id).where(PublishedReport.slug == s)) is not None
        )
        published = PublishedReport(campaign_id=campaign.id, slug=slug, current_version=0, is_published=True)
        session.add(published)
        session.flush()
    number = published.current_version + 1
    snapshot = build_snapshot(session, campaign, options, number, version_url(published.slug, number))
    text = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_SNAPSHOT_BYTES:
        raise PublishError(
            f"The report and its data set come to {len(encoded) // (1024 * 1024)} MB, more than the "
            f"{MAX_SNAPSHOT_BYTES // (1024 * 1024)} MB a publication may hold: publish fewer questions."
        )
    version = PublishedReportVersion(
        published_report_id=published.id,
        campaign_id=campaign.id,
        number=number,
        created_at=clock.now(),
        published_by_id=user_id,
        note=note,
        options=options.as_json(),
        digest=hashlib.sha256(encoded).hexdigest(),
        size=len(encoded),
        snapshot=text,
    )
    session.add(version)
    published.current_version = number
    published.is_published = True
    published.changed_at = clock.now()
    session.flush()
    record(
        session,
        user_id=user_id,
        entity_type="published_report",
        entity_id=published.id,
        action="published",
        after={"version": number, "slug": published.slug, "note": note, "options": options.as_json()},
    )
    return version


def republish(
    session: Session, campaign: Campaign, note: str, user_id: int | None, version_url: Callable[[str, int], str]
) -> PublishedReportVersion:
    """Publish again with the last version's options: the next version, the campaign's data as
    it is now."""
    if published_report_of(session, campaign.id) is None:
        raise PublishError("This report has not been published yet.")
    return publish(session, campaign, default_options(session, campaign), note, user_id, version_url)


def unpublish(session: Session, published: PublishedReport, user_id: int | None) -> None:
    """Take the report down: every version of it answers 404 until it is published again."""
    published.is_published = False
    published.changed_at = clock.now()
    session.flush()
    record(
        session,
        user_id=user_id,
        entity_type="published_report",
        entity_id=published.id,
        action="unpublished",
        after={"version": published.current_version},
    )


# ---------------------------------------------------------------- reading, for the public pages


@dataclass(frozen=True)
class PublicVersion:
    slug: str
    number: int
    latest: int
    digest: str
    snapshot: dict
    versions: list[tuple[int, object, str]]  # (number, created_at, note) of every version, newest first


_snapshots: OrderedDict[tuple[int, str], dict] = OrderedDict()  # a version never changes: keep a few parsed
_snapshots_lock = threading.Lock()
SNAPSHOTS_KEPT = 8


def _parsed(version_id: int, digest: str, load: Callable[[], str]) -> dict:
    key = (version_id, digest)
    with _snapshots_lock:
        if key in _snapshots:
            _snapshots.move_to_end(key)
            return _snapshots[key]
    data = json.loads(load())
    with _snapshots_lock:
        _snapshots[key] = data
        while len(_snapshots) > SNAPSHOTS_KEPT:
            _snapshots.popitem(last=False)
    return data


def find_public_version(session: Session, slug: str, number: int | None = None) -> PublicVersion | None:
    """A published report's version (`number`, or the current one) as the public may read it;
    None when there is no such report or version, or the report is not online."""
    if not is_slug(slug):
        return None
    published = session.scalar(select(PublishedReport).where(PublishedReport.slug == slug))
    if published is None or not published.is_published or not published.current_version:
        return None
    number = published.current_version if number is None else number
    rows = session.execute(
        select(PublishedReportVersion.id, PublishedReportVersion.number, PublishedReportVersion.created_at,
               PublishedReportVersion.note, PublishedReportVersion.digest)
        .where(PublishedReportVersion.published_report_id == published.id)
        .order_by(PublishedReportVersion.number.desc())
    ).all()  # fmt: skip
    found = next((r for r in rows if r.number == number), None)
    if found is None:
        return None

    def load() -> str:
        return session.scalar(select(PublishedReportVersion.snapshot).where(PublishedReportVersion.id == found.id))

    return PublicVersion(
        slug=published.slug,
        number=number,
        latest=published.current_version,
        digest=found.digest,
        snapshot=_parsed(found.id, found.digest, load),
        versions=[(r.number, r.created_at, r.note) for r in rows],
    )
