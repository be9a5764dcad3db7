"""Sending letters by email (services/mail_sending.py) and the mail merge (services/mail_merge.py):
a campaign's drafts from the batch page, the ticked requests of the request list, one request's
letter or follow-up from its page; the outbox (queued, sent, failed: retry, cancel).

Every page is for logged-in members of the campaign (get_*_or_404: another campaign's is a 404);
sending needs request.edit, a whole campaign's drafts and its mail merge campaign.edit."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..auth.permissions import can, get_campaign_or_404, get_request_or_404, requires, visible_campaigns
from ..deadlines import page_calendars
from ..domain.mail.outgoing import FOLLOW_UP_KINDS, LABEL, subject_line
from ..domain.mail.references import our_mail_reference
from ..extensions import db
from ..forms import FilterForm, Form
from ..models import Campaign, FoiRequest, MailMessage
from ..services import mail_merge
from ..services.contacts import councils_without_address, foi_address
from ..services.letters import follow_up_letters
from ..services.mail_sending import SendingError, cancel, queue_letter, queue_requests, retry
from . import bp

OUTBOX_STATUSES = {
    "": "Any state",
    "queued": "Queued",
    "claimed": "Being sent",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
MAX_REFUSALS_SHOWN = 10  # flashes live in the session cookie
LIST_ARGS = ("q", "campaign", "status", "outcome", "region", "owner", "deadline", "todo", "sort", "page")
REGULATOR_HINT = {
    "ICO": "The ICO takes complaints through its website; if you have a casework address, give it here.",
    "SIC": "The Scottish Information Commissioner takes appeals by email: check the address on its website.",
}


def _flash_refusals(refused) -> None:
    for foi_request, why in refused[:MAX_REFUSALS_SHOWN]:
        flash(f"Not queued (request #{foi_request.id}): {why}.", "warning")
    if len(refused) > MAX_REFUSALS_SHOWN:
        flash(f"… and {len(refused) - MAX_REFUSALS_SHOWN} more not queued.", "warning")


def _queued_message(count: int) -> str:
    rate = current_app.config.get("MAIL_PER_MINUTE", 20)
    return (
        f"Queued {count} letter{'' if count == 1 else 's'} to send by email, at most {rate} a minute. "
        "Each is recorded as sent on its timeline when the mail server accepts it."
    )


# ---------------------------------------------------------------- a campaign's drafts (the batch page)


def _campaign_drafts(campaign: Campaign) -> list[FoiRequest]:
    return list(
        db.session.scalars(
            mail_merge.draft_requests(campaign.id).options(
                joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign)
            )
        )
    )


@bp.route("/campaigns/<id:campaign_id>/send", methods=["GET", "POST"])
@requires("request.edit")
def send_campaign(campaign_id: int):
    """The campaign's drafts: send them all by email, or download them for a mail merge."""
    campaign = get_campaign_or_404(campaign_id)
    drafts = _campaign_drafts(campaign)
    if request.method == "POST":
        result = queue_requests(db.session, drafts, current_user.id, config=current_app.config)
        db.session.commit()
        if result.queued:
            flash(_queued_message(len(result.queued)), "success")
        elif not result.refused:
            flash("There are no drafts with a letter to send.", "info")
        _flash_refusals(result.refused)
        return redirect(url_for("mail.outbox", campaign=campaign.id))
    queued = dict(
        db.session.execute(
            select(MailMessage.request_id, MailMessage.status).where(
                MailMessage.campaign_id == campaign.id,
                MailMessage.direction == "out",
                MailMessage.letter_kind == "request",
                MailMessage.status.in_(("queued", "claimed", "sending", "sent", "failed")),
            )
        ).all()
    )
    missing = councils_without_address(db.session, campaign.id, {r.authority for r in drafts})
    missing_ids = {a.id for a in missing}
    ready = [r for r in drafts if r.authority_id not in missing_ids and r.id not in queued]
    return render_template(
        "mail/send_campaign.html",
        campaign=campaign,
        drafts=drafts,
        ready=ready,
        missing=sorted(missing, key=lambda a: a.short_name),
        queued=queued,
        reply_to=bool((current_app.config.get("MAIL_REPLY_TO") or "").strip()),
        sender=campaign.mail_from or current_app.config.get("MAIL_FROM", ""),
        columns=mail_merge.CSV_COLUMNS,
    )


def _merge_download(campaign_id: int, kind: str) -> Response:
    campaign = get_campaign_or_404(campaign_id)
    config = current_app.config
    mail_merge.prepare(db.session, campaign.id, config)
    db.session.commit()  # the reply tokens in the files are the ones replies will be matched by
    rows = mail_merge.rows(db.session, campaign.id, config)
    stamp = clock.today().isoformat()
    if kind == "zip":
        body, mimetype, name = mail_merge.zip_chunks(rows), "application/zip", f"letters-{campaign.id}-{stamp}.zip"
    else:
        body, mimetype, name = mail_merge.csv_chunks(rows), "text/csv", f"mail-merge-{campaign.id}-{stamp}.csv"
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.route("/campaigns/<id:campaign_id>/merge.zip", methods=["POST"])
@requires("request.edit")
def merge_zip(campaign_id: int):
    return _merge_download(campaign_id, "zip")


@bp.route("/campaigns/<id:campaign_id>/merge.csv", methods=["POST"])
@requires("request.edit")
def merge_csv(campaign_id: int):
    return _merge_download(campaign_id, "csv")


# ---------------------------------------------------------------- the request list's ticked requests


@bp.route("/send", methods=["POST"])
@requires("request.edit")
def send_selected():
    """The request list's bulk form, its "Send by email" button: the ticked requests' letters."""
    back = {k: v for k, v in parse_qsl(request.form.get("back") or "") if k in LIST_ARGS}
    ids = []
    for value in request.form.getlist("ids")[:1000]:
        if value.isdigit() and 0 < int(value) < 2**31:
            ids.append(int(value))
    if not ids:
        flash("Nothing was queued: tick at least one request.", "error")
        return redirect(url_for("foi_requests.index", **back))
    found = list(
        db.session.scalars(
            select(FoiRequest)
            .where(FoiRequest.id.in_(set(ids)), visible_campaigns())
            .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign))
            .order_by(FoiRequest.id)
        )
    )
    result = queue_requests(db.session, found, current_user.id, config=current_app.config)
    db.session.commit()
    unknown = len(set(ids)) - len(found)
    if result.queued:
        flash(_queued_message(len(result.queued)), "success")
    if unknown:
        flash(f"{unknown} ticked request{'' if unknown == 1 else 's'} not found.", "warning")
    _flash_refusals(result.refused)
    return redirect(url_for("foi_requests.index", **back))


# ---------------------------------------------------------------- one request


@bp.route("/requests/<id:request_id>/send", methods=["POST"])
@requires("request.edit")
def send_request(request_id: int):
    foi_request = get_request_or_404(request_id)
    try:
        queue_letter(db.session, foi_request, "request", current_user.id, config=current_app.config)
        db.session.commit()
        flash(_queued_message(1), "success")
    except SendingError as exc:
        db.session.rollback()
        flash(f"Not queued: {exc.message}.", "warning")
    return redirect(url_for("foi_requests.show", request_id=foi_request.id, _anchor="mail"))


class FollowUpForm(Form):
    to = StringField("To (the regulator's address)", validators=[Optional(), Length(max=320)])
    subject = StringField("Subject", validators=[DataRequired("give the subject"), Length(max=450)])
    body = TextAreaField("Letter", validators=[DataRequired("write the letter"), Length(max=50_000)])


@bp.route("/requests/<id:request_id>/letters/<any(chaser, review, complaint):letter_kind>", methods=["GET", "POST"])
@requires("request.edit")
def send_follow_up(request_id: int, letter_kind: str):
    """A follow-up letter, filled from the timeline, to complete and queue."""
    foi_request = get_request_or_404(request_id)
    letters = {
        letter.kind.value: letter
        for letter in follow_up_letters(foi_request, foi_request.events, clock.today(), page_calendars())
    }
    letter = letters.get(letter_kind)
    if letter is None:
        flash("This letter can be sent once the request has been sent.", "warning")
        return redirect(url_for("foi_requests.show", request_id=foi_request.id))
    form = FollowUpForm()
    if request.method == "GET":
        form.body.data = letter.text
        form.subject.data = subject_line(
            letter_kind, foi_request.subject, our_mail_reference(foi_request.id), foi_request.council_reference or ""
        )
    if form.validate_on_submit():
        try:
            queue_letter(
                db.session,
                foi_request,
                letter_kind,
                current_user.id,
                subject=form.subject.data,
                body=form.body.data,
                config=current_app.config,
                to=form.to.data,
            )
            db.session.commit()
            flash(_queued_message(1), "success")
            return redirect(url_for("foi_requests.show", request_id=foi_request.id, _anchor="mail"))
        except SendingError as exc:
            db.session.rollback()
            wrong = form.to if exc.message.startswith("the regulator's address") else form.body
            wrong.errors = [*wrong.errors, exc.message]
    to, _source = foi_address(db.session, foi_request.campaign_id, foi_request.authority_id)
    regulator = "SIC" if foi_request.regime in ("foisa", "eisr") else "ICO"
    return render_template(
        "mail/send_follow_up.html",
        req=foi_request,
        form=form,
        letter_kind=letter_kind,
        title=LABEL[letter_kind],
        to=to,
        regulator_hint=REGULATOR_HINT[regulator],
    )


# ---------------------------------------------------------------- the outbox


class OutboxFilters(FilterForm):
    campaign = SelectField("Campaign", validators=[Optional()])
    status = SelectField("State", choices=[(k, v) for k, v in OUTBOX_STATUSES.items() if k != "sending"])


@bp.route("/outbox")
def outbox():
    filters = OutboxFilters(request.args)
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title).where(visible_campaigns(Campaign.id)).order_by(Campaign.title)
    ).all()
    filters.campaign.choices = [("", "Every campaign")] + [(str(i), t) for i, t in campaigns]
    filters.validate()
    stmt = (
        select(MailMessage)
        .where(MailMessage.direction == "out", visible_campaigns(MailMessage.campaign_id))
        .options(joinedload(MailMessage.request).joinedload(FoiRequest.authority), joinedload(MailMessage.campaign))
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    )
    if filters.campaign.data and not filters.campaign.errors:
        stmt = stmt.where(MailMessage.campaign_id == int(filters.campaign.data))
    status = filters.status.data if not filters.status.errors else ""
    if status == "claimed":
        stmt = stmt.where(MailMessage.status.in_(("claimed", "sending")))
    elif status:
        stmt = stmt.where(MailMessage.status == status)
    counts = dict(
        db.session.execute(
            select(MailMessage.status, func.count(MailMessage.id))
            .where(MailMessage.direction == "out", visible_campaigns(MailMessage.campaign_id))
            .group_by(MailMessage.status)
        ).all()
    )
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(stmt, page=page, per_page=current_app.config["PER_PAGE"], count=True)
    return render_template(
        "mail/send_outbox.html",
        filters=filters,
        pagination=pagination,
        counts=counts,
        labels=OUTBOX_STATUSES,
        can_change=can(current_user, "request.edit"),
        rate=current_app.config.get("MAIL_PER_MINUTE", 20),
    )


def _outgoing_or_404(outbox_id: int) -> MailMessage:
    message = db.session.get(MailMessage, outbox_id)
    if message is None or message.direction != "out" or message.campaign_id is None:
        abort(404)
    get_campaign_or_404(message.campaign_id)  # another campaign's letter is answered as one that does not exist
    return message


def _back_to_outbox():
    target = request.form.get("back") or ""
    args = {k: v for k, v in parse_qsl(target) if k in ("campaign", "status", "page")}
    return redirect(url_for("mail.outbox", **args))


@bp.route("/outbox/<id:outbox_id>/retry", methods=["POST"])
@requires("request.edit")
def retry_letter(outbox_id: int):
    message = _outgoing_or_404(outbox_id)
    try:
        retry(db.session, message)
        db.session.commit()
        flash("Queued again: it goes at the next run of the outbox.", "success")
    except SendingError as exc:
        db.session.rollback()
        flash(f"Not retried: {exc.message}.", "warning")
    return _back_to_outbox()


@bp.route("/outbox/<id:outbox_id>/cancel", methods=["POST"])
@requires("request.edit")
def cancel_letter(outbox_id: int):
    message = _outgoing_or_404(outbox_id)
    try:
        cancel(db.session, message)
        db.session.commit()
        flash("Cancelled: it will not be sent.", "success")
    except SendingError as exc:
        db.session.rollback()
        flash(f"Not cancelled: {exc.message}.", "warning")
    return _back_to_outbox()


# ---------------------------------------------------------------- on the request page


def _request_mail(request_id: int) -> list[MailMessage]:
    """The request's letters by email, loaded once per page (the timeline asks for each event)."""
    cache = g.setdefault("_sent_mail", {})
    if request_id not in cache:
        cache[request_id] = list(
            db.session.scalars(
                select(MailMessage)
                .where(MailMessage.request_id == request_id, MailMessage.direction == "out")
                .order_by(MailMessage.created_at, MailMessage.id)
            )
        )
    return cache[request_id]


@bp.app_template_global("request_mail_out")
def request_mail_out(foi_request) -> dict:
    """What the request page's "Send by email" box shows: the letters by email so far, where the
    request letter would go, and whether it may be queued now."""
    messages = _request_mail(foi_request.id)
    to, source = foi_address(db.session, foi_request.campaign_id, foi_request.authority_id)
    letter_queued = any(m.letter_kind == "request" and m.status not in ("cancelled",) for m in messages)
    return {
        "messages": messages,
        "to": to,
        "source": source,
        "can_send": can(current_user, "request.edit"),
        "request_sendable": foi_request.sent_on is None
        and bool((foi_request.body or "").strip())
        and not letter_queued,
        "follow_ups": FOLLOW_UP_KINDS,
        "labels": LABEL,
    }


@bp.app_template_global("sent_mail_for")
def sent_mail_for(event) -> MailMessage | None:
    """The email that recorded this step, if one did (shown, expandable, on the timeline)."""
    return next((m for m in _request_mail(event.request_id) if m.event_id == event.id), None)
