"""The mail pages (#16): the intake page (the triage inbox and the upload door), a message's
page (its text, files, why it was filed where it was, and the step it suggests), and the
request page's mail, which templates/mail/_request_mail.html lists.

Mail is hostile: only its text is shown (autoescaped), its files only as downloads. Access is
the campaign's: a message filed in a campaign is seen by whoever may see the campaign; a
triage message with no campaign by admins and coordinators. Changing anything needs
request.edit, and every POST carries the CSRF token.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from ..auth.permissions import can, get_request_or_404, requires, visible_campaigns
from ..domain.lifecycle import EventKind
from ..domain.mail.parsing import UnparseableMessage
from ..extensions import db
from ..models import Authority, Campaign, FoiRequest, Role
from ..models.mail import MailAttachment, MailMessage
from ..services import access
from ..services.file_store import FileStore
from ..services.mail_filing import CONFIRMED, PENDING, FilingError, arrived_on, assign, confirm, dismiss
from ..services.mail_intake import receive
from ..services.request_search import search_condition
from ..services.timeline import TimelineError
from . import bp

UPLOAD_EXTENSIONS = ("eml", "msg")
MAX_UPLOAD_FILES = 50  # per upload; MAX_CONTENT_LENGTH bounds their total size
REQUEST_PAGE_MAIL = 5  # the request page shows this many, the rest folded
STATES = {
    "triage": "Waiting in triage",
    "pending": "Filed, step to confirm",
    "bounced": "Bounces",
    "filed": "Filed",
    "all": "All incoming mail",
}
NO_CAMPAIGN = "none"


# ---------------------------------------------------------------- who sees which message


def _sees_unfiled() -> bool:
    """Triage mail of no campaign may belong to any: admins and coordinators sort it."""
    return access.sees_everything(current_user) or current_user.role == Role.COORDINATOR.value


def visible_mail():
    """A condition: the messages the signed-in user may see."""
    unfiled = and_(MailMessage.campaign_id.is_(None), true() if _sees_unfiled() else false())
    return or_(visible_campaigns(MailMessage.campaign_id), unfiled)


def get_message_or_404(message_id: int) -> MailMessage:
    message = db.session.get(MailMessage, message_id)
    if message is None:
        abort(404)
    if message.campaign_id is None:
        if not _sees_unfiled():
            abort(404)
    elif not access.may_see_campaign(db.session, current_user, message.campaign_id):
        abort(404)
    return message


def _store() -> FileStore:
    return FileStore.from_config(current_app.config)


# ---------------------------------------------------------------- template helpers


def highlighted(text: str, phrases: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is one of `phrases`) for the template to mark (autoescaped)."""
    wanted = sorted({p.strip() for p in phrases or [] if p and p.strip() and len(p) <= 300}, key=len, reverse=True)
    if not wanted or not text:
        return [(text or "", False)]
    pattern = re.compile("|".join(re.escape(p) for p in wanted[:30]), re.IGNORECASE)
    pieces, at = [], 0
    for found in pattern.finditer(text):
        if found.start() > at:
            pieces.append((text[at : found.start()], False))
        pieces.append((found.group(0), True))
        at = found.end()
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def suggestion_label(suggestion: dict) -> str:
    from ..domain.event_details import describe

    try:
        kind = EventKind(suggestion.get("kind"))
    except ValueError:
        return ""
    summary = describe(kind, suggestion.get("details") or {})
    return kind.label + (f": {summary}" if summary else "")


@bp.app_template_global()
def mail_of_request(foi_request: FoiRequest) -> list[MailMessage]:
    """For templates/mail/_request_mail.html: the request's mail, in and out, newest first."""
    return db.session.scalars(
        select(MailMessage)
        .options(selectinload(MailMessage.attachments))
        .where(MailMessage.request_id == foi_request.id)
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
        .limit(200)
    ).all()


@bp.app_context_processor
def _mail_helpers():
    return {
        "mail_suggestion_label": suggestion_label,
        "MAIL_PENDING": PENDING,
        "MAIL_CONFIRMED": CONFIRMED,
        "REQUEST_PAGE_MAIL": REQUEST_PAGE_MAIL,
    }


# ---------------------------------------------------------------- the intake page


def _campaign_choices() -> list[tuple[str, str]]:
    campaigns = db.session.scalars(select(Campaign).where(visible_campaigns(Campaign.id)).order_by(Campaign.title))
    choices = [("", "Any campaign")] + [(str(c.id), c.title) for c in campaigns]
    if _sees_unfiled():
        choices.append((NO_CAMPAIGN, "No campaign yet"))
    return choices


def _inbox(state: str, campaign: str):
    stmt = (
        select(MailMessage)
        .options(joinedload(MailMessage.campaign), joinedload(MailMessage.request).joinedload(FoiRequest.authority))
        .where(MailMessage.direction == "in", visible_mail())
    )
    if state == "triage":
        stmt = stmt.where(MailMessage.status == "triage")
    elif state == "pending":
        stmt = stmt.where(MailMessage.status == "filed", MailMessage.suggestion_state == PENDING)
    elif state == "bounced":
        stmt = stmt.where(MailMessage.is_bounce.is_(True))
    elif state == "filed":
        stmt = stmt.where(MailMessage.status == "filed")
    if campaign == NO_CAMPAIGN:
        stmt = stmt.where(MailMessage.campaign_id.is_(None))
    elif campaign.isdigit():
        stmt = stmt.where(MailMessage.campaign_id == int(campaign))
    return stmt.order_by(MailMessage.received_at.desc(), MailMessage.id.desc())


def _render_intake(results=None, status: int = 200):
    state = request.args.get("state", "triage")
    state = state if state in STATES else "triage"
    campaigns = _campaign_choices()
    campaign = request.args.get("campaign", "")
    campaign = campaign if campaign in {value for value, _ in campaigns} else ""
    pagination = db.paginate(
        _inbox(state, campaign),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "mail/intake.html",
        pagination=pagination,
        states=STATES,
        state=state,
        campaigns=campaigns,
        campaign=campaign,
        results=results,
        max_files=MAX_UPLOAD_FILES,
    ), status


@bp.route("/")
def intake():
    return _render_intake()


@dataclass
class UploadResult:
    filename: str
    outcome: str  # request, triage, duplicate, refused
    text: str
    message_id: int | None = None
    request_id: int | None = None


def _receive_uploads(uploads, file_to: FoiRequest | None) -> list[UploadResult]:
    from ..services.attachments import display_name

    config, store, results = current_app.config, _store(), []
    uploads = [u for u in uploads if u and u.filename]
    if len(uploads) > MAX_UPLOAD_FILES:
        return [UploadResult("", "refused", f"at most {MAX_UPLOAD_FILES} files at once: nothing was read")]
    for upload in uploads:
        name = display_name(upload.filename)
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in UPLOAD_EXTENSIONS:
            results.append(UploadResult(name, "refused", "not an email file (.eml or Outlook .msg)"))
            continue
        data = upload.stream.read()
        try:
            if extension == "msg":
                from ..domain.mail.outlook import msg_file_to_rfc822

                data = msg_file_to_rfc822(data)
            result = receive(
                db.session, data, source="upload", store=store, config=config, user_id=current_user.id, file_to=file_to
            )
            db.session.commit()  # each file on its own: one bad file does not lose the others
        except UnparseableMessage as error:
            db.session.rollback()
            results.append(UploadResult(name, "refused", str(error)))
            continue
        message = result.message
        if result.filed_to == "request":
            text = f"filed to the request to {message.request.authority.short_name}: {result.reason}"
        elif result.filed_to == "duplicate":
            text = f"received before (message {message.id}): not filed again"
        else:
            text = f"in triage: {result.reason}"
        results.append(UploadResult(name, result.filed_to, text, message.id, message.request_id))
    return results


@bp.route("/upload", methods=["POST"])
@requires("request.edit")
def upload():
    results = _receive_uploads(request.files.getlist("files"), None)
    if not results:
        flash("Choose one or more .eml or .msg files to upload.", "error")
        return _render_intake(status=400)
    return _render_intake(results)


@bp.route("/requests/<id:request_id>/upload", methods=["POST"])
@requires("request.edit")
def upload_to_request(request_id: int):
    foi_request = get_request_or_404(request_id)
    results = _receive_uploads(request.files.getlist("files"), foi_request)
    if not results:
        flash("Choose one or more .eml or .msg files to upload.", "error")
    # An error only when nothing was taken: a refused file among filed ones is a warning.
    refused_category = "warning" if any(r.outcome != "refused" for r in results) else "error"
    for result in results:
        category = refused_category if result.outcome == "refused" else "success"
        flash(f"{result.filename}: {result.text}" if result.filename else result.text, category)
    return redirect(url_for("foi_requests.show", request_id=request_id) + "#mail")


# ---------------------------------------------------------------- a message


def _candidates(message: MailMessage, q: str) -> list[FoiRequest]:
    q = q.strip()[:200]
    if not q:
        return []
    stmt = (
        select(FoiRequest)
        .join(FoiRequest.authority)
        .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign))
        .where(visible_campaigns(), search_condition(db.session, q))
        .order_by(Authority.short_name, FoiRequest.id)
        .limit(20)
    )
    if message.campaign_id is not None and message.status == "triage":
        stmt = stmt.where(FoiRequest.campaign_id == message.campaign_id)
    return db.session.scalars(stmt).all()


def _correct_form(message: MailMessage, formdata=None):
    from ..foi_requests.timeline_views import add_event_form

    form = add_event_form(message.request)
    if request.method == "GET":
        form.occurred_on.data = arrived_on(message)
        suggestion = message.suggestion or {}
        if suggestion.get("kind") in {value for value, _ in form.kind.choices}:
            form.kind.data = suggestion["kind"]
            for key, value in (suggestion.get("details") or {}).items():
                if key in form and key not in ("kind", "occurred_on", "csrf_token"):
                    form[key].data = value
    return form


def render_message(message: MailMessage, status: int = 200, correct_form=None):
    from ..foi_requests.timeline_forms import field_kinds

    q = request.args.get("q", "")
    editable = can(current_user, "request.edit")
    if correct_form is None and editable and message.request is not None and message.suggestion_state != CONFIRMED:
        correct_form = _correct_form(message)
    suggestion = message.suggestion or {}
    return render_template(
        "mail/message.html",
        message=message,
        editable=editable,
        q=q,
        candidates=_candidates(message, q) if editable else [],
        correct_form=correct_form,
        field_kinds=field_kinds(),
        suggestion=suggestion,
        pieces=highlighted(message.body_text, suggestion.get("phrases") or []),
    ), status


@bp.route("/<id:message_id>")
def show(message_id: int):
    return render_message(get_message_or_404(message_id))


@bp.route("/<id:message_id>/original")
def original(message_id: int):
    """The message as it came in, as an .eml download (never shown)."""
    message = get_message_or_404(message_id)
    if not message.raw_sha256:
        abort(404)
    return _download(_store().read(db.session, message.raw_sha256), f"message-{message.id}.eml", "message/rfc822")


@bp.route("/<id:message_id>/files/<id:file_id>")
def file(message_id: int, file_id: int):
    message = get_message_or_404(message_id)
    attachment = db.session.get(MailAttachment, file_id)
    if attachment is None or attachment.message_id != message.id:
        abort(404)
    return _download(_store().read(db.session, attachment.sha256), attachment.filename, attachment.content_type)


def _download(data: bytes, filename: str, content_type: str):
    # Never inline, and never as the type a hostile sender claimed when that could render.
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=filename or "attachment",
        mimetype="application/octet-stream" if "html" in content_type or "xml" in content_type else content_type,
        max_age=0,
    )


def _back(message: MailMessage):
    if request.form.get("next") == "request" and message.request_id:
        return redirect(url_for("foi_requests.show", request_id=message.request_id) + "#mail")
    return redirect(url_for(".show", message_id=message.id))


@bp.route("/<id:message_id>/confirm", methods=["POST"])
@requires("request.edit")
def confirm_step(message_id: int):
    message = get_message_or_404(message_id)
    if message.suggestion_state != PENDING:
        flash("There is no suggested step waiting on this message.", "error")
        return _back(message)
    try:
        event = confirm(db.session, message, store=_store(), user_id=current_user.id)
        db.session.commit()
    except (TimelineError, FilingError) as error:
        db.session.rollback()
        flash(f"Not recorded: {error.message}. Correct it below.", "error")
        return redirect(url_for(".show", message_id=message_id) + "#correct")
    flash(f"{EventKind(event.kind).label} recorded, with the email and its files.", "success")
    return _back(message)


@bp.route("/<id:message_id>/correct", methods=["POST"])
@requires("request.edit")
def correct(message_id: int):
    message = get_message_or_404(message_id)
    if message.request is None or message.suggestion_state == CONFIRMED:
        flash("File the message on a request first (or its step is recorded already).", "error")
        return _back(message)
    form = _correct_form(message)
    if not form.validate_on_submit():
        return render_message(message, 400, form)
    kind = EventKind(form.kind.data)
    try:
        confirm(
            db.session,
            message,
            store=_store(),
            user_id=current_user.id,
            kind=kind.value,
            details=form.details(kind),
            occurred_on=form.occurred_on.data,
            note=form.note.data or None,
        )
        db.session.commit()
    except (TimelineError, FilingError) as error:
        db.session.rollback()
        message = get_message_or_404(message_id)
        form.kind.errors.append(error.message)
        return render_message(message, 400, form)
    flash(f"{kind.label} recorded, with the email and its files.", "success")
    return redirect(url_for(".show", message_id=message_id))


@bp.route("/<id:message_id>/dismiss", methods=["POST"])
@requires("request.edit")
def dismiss_step(message_id: int):
    message = get_message_or_404(message_id)
    try:
        dismiss(db.session, message, user_id=current_user.id)
        db.session.commit()
    except FilingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(message)
    flash("Dealt with: the bounce leaves the to-do." if message.is_bounce else "No step recorded for it.", "success")
    return _back(message)


@bp.route("/<id:message_id>/assign", methods=["POST"])
@requires("request.edit")
def assign_to_request(message_id: int):
    message = get_message_or_404(message_id)
    request_id = request.form.get("request_id", type=int)
    foi_request = get_request_or_404(request_id) if request_id and 0 < request_id < 2**31 else None
    if foi_request is None:
        flash("Choose the request it belongs to.", "error")
        return _back(message)
    try:
        assign(db.session, message, foi_request, store=_store(), user_id=current_user.id)
        db.session.commit()
    except FilingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(message)
    flash(f"Filed on the request to {foi_request.authority.short_name}.", "success")
    return redirect(url_for(".show", message_id=message_id))
