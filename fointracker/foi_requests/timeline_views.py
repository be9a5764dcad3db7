"""The request's timeline: add, edit and remove events, attach and download documents."""

import io
from datetime import date
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..auth.permissions import get_attachment_or_404, get_request_or_404, requires
from ..domain.lifecycle import EventKind, Status, allowed_kinds
from ..extensions import db
from ..models import Attachment, Authority, FoiRequest, RequestEvent
from ..services.attachments import AttachmentError, attach
from ..services.file_store import FileStore, FileStoreError
from ..services.timeline import (
    JOINT_KINDS,
    TimelineError,
    add_event,
    record_joint_reply,
    remove_event,
    set_figures_entered,
    update_event,
)
from . import bp
from .timeline_forms import AddEventForm, AttachForm, EditEventForm, RemoveEventForm, form_fields


def add_event_form(foi_request: FoiRequest) -> AddEventForm:
    """The form offers only the events that make sense in the request's state."""
    form = AddEventForm()
    kinds = allowed_kinds(Status(foi_request.status))
    form.kind.choices = [(k.value, k.label) for k in kinds]
    if EventKind.TRANSFERRED in kinds:
        form.authority_id.choices = [("", "— choose —")] + [
            (i, f"{name} ({code})")
            for i, name, code in db.session.execute(
                select(Authority.id, Authority.short_name, Authority.code)
                .where(Authority.end_date.is_(None), Authority.id != foi_request.authority_id)
                .order_by(Authority.short_name)
            )
        ]
    if any(kind in JOINT_KINDS for kind in kinds):
        # The other requests of the campaign (its members may see them all: access is per campaign).
        form.also_answers.choices = [
            (other.id, f"{other.authority.short_name}: {other.subject}")
            for other in db.session.scalars(
                select(FoiRequest)
                .join(FoiRequest.authority)
                .options(joinedload(FoiRequest.authority))
                .where(FoiRequest.campaign_id == foi_request.campaign_id, FoiRequest.id != foi_request.id)
                .order_by(Authority.short_name, FoiRequest.id)
            )
        ]
    if request.method == "GET":
        form.occurred_on.data = clock.today()
    return form


def _flash_warnings(warnings: list[str]) -> None:
    for warning in dict.fromkeys(warnings):  # once each, though a joint reply meets it per request
        flash(warning, "warning")


def _event_of(request_id: int, event_id: int) -> RequestEvent:
    get_request_or_404(request_id)
    event = db.get_or_404(RequestEvent, event_id)
    if event.request_id != request_id:
        abort(404)
    return event


def _upload_args():
    return FileStore.from_config(current_app.config), current_app.config["MAX_CONTENT_LENGTH"]


def _show_with(foi_request, status=400, **forms):
    from .views import render_request_page

    return render_request_page(foi_request, status=status, **forms)


@bp.route("/<id:request_id>/events", methods=["POST"])
@requires("request.edit")
def add(request_id: int):
    foi_request = get_request_or_404(request_id)
    form = add_event_form(foi_request)
    if not form.validate_on_submit():
        return _show_with(foi_request, event_form=form)
    kind = EventKind(form.kind.data)
    warnings = []
    also = form.also_answers.data if kind in JOINT_KINDS else []
    try:
        event = add_event(
            db.session,
            foi_request,
            kind=kind.value,
            occurred_on=form.occurred_on.data,
            details=form.details(kind),
            note=form.note.data or "",
            user_id=current_user.id,
            warnings=warnings,
        )
        attach(db.session, event, request.files.getlist("files"), *_upload_args(), current_user.id)
        if also:
            others = db.session.scalars(select(FoiRequest).where(FoiRequest.id.in_(also)).order_by(FoiRequest.id))
            db.session.refresh(event, ["attachments"])
            record_joint_reply(db.session, event, list(others), user_id=current_user.id, warnings=warnings)
        db.session.commit()
    except (TimelineError, AttachmentError) as exc:
        db.session.rollback()
        field = getattr(exc, "field", None) or "files"
        getattr(form, field if hasattr(form, field) else "kind").errors.append(getattr(exc, "message", str(exc)))
        foi_request = db.session.get(FoiRequest, request_id)
        return _show_with(foi_request, event_form=form)
    except BaseException:
        db.session.rollback()
        raise
    flash(f"{kind.label} recorded" + (f" on this and {len(also)} other request(s)." if also else "."), "success")
    _flash_warnings(warnings)
    return redirect(url_for(".show", request_id=request_id) + f"#event-{event.id}")


@bp.route("/<id:request_id>/events/<id:event_id>/edit", methods=["GET", "POST"])
@requires("request.edit")
def edit_event(request_id: int, event_id: int):
    event = _event_of(request_id, event_id)
    kind = EventKind(event.kind)
    form = EditEventForm(
        data={
            "occurred_on": event.occurred_on,
            "note": event.note,
            **EditEventForm.data_from(kind, {k: _form_value(v) for k, v in (event.details or {}).items()}),
        }
    )
    if form.validate_on_submit():
        try:
            update_event(
                db.session,
                event,
                occurred_on=form.occurred_on.data,
                details=form.details(kind),
                note=form.note.data or "",
                reason=form.change_reason.data,
                user_id=current_user.id,
            )
            db.session.commit()
        except TimelineError as exc:
            db.session.rollback()
            event = _event_of(request_id, event_id)
            target = exc.field if exc.field and hasattr(form, exc.field) and exc.field != "kind" else "occurred_on"
            getattr(form, target).errors.append(exc.message)
        else:
            flash(f"{kind.label} changed.", "success")
            return redirect(url_for(".show", request_id=request_id) + f"#event-{event.id}")
    return render_template(
        "foi_requests/event_form.html",
        form=form,
        event=event,
        kind=kind,
        fields=form_fields(kind),
        remove_form=RemoveEventForm(),
    )


def _form_value(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


@bp.route("/<id:request_id>/events/<id:event_id>/remove", methods=["POST"])
@requires("request.edit")
def remove(request_id: int, event_id: int):
    event = _event_of(request_id, event_id)
    form = RemoveEventForm()
    if not form.validate_on_submit():
        flash("Say why the event is being removed.", "error")
        return redirect(url_for(".edit_event", request_id=request_id, event_id=event_id))
    kind = EventKind(event.kind)
    try:
        remove_event(db.session, event, reason=form.change_reason.data, user_id=current_user.id)
        db.session.commit()
    except TimelineError as exc:
        db.session.rollback()
        flash(f"Not removed: {exc.message}", "error")
        return redirect(url_for(".edit_event", request_id=request_id, event_id=event_id))
    flash(f"{kind.label} removed; its documents are kept only in the audit trail's record.", "success")
    return redirect(url_for(".show", request_id=request_id))


@bp.route("/<id:request_id>/events/<id:event_id>/attachments", methods=["POST"])
@requires("request.edit")
def add_attachments(request_id: int, event_id: int):
    event = _event_of(request_id, event_id)
    form = AttachForm()
    if not form.validate_on_submit():
        flash("Choose at least one file to upload.", "error")
        return redirect(url_for(".show", request_id=request_id) + f"#event-{event_id}")
    try:
        added = attach(db.session, event, request.files.getlist("files"), *_upload_args(), current_user.id)
        db.session.commit()
    except AttachmentError as exc:
        db.session.rollback()
        flash(f"Nothing uploaded: {exc}", "error")
    except BaseException:
        db.session.rollback()
        raise
    else:
        flash(f"{len(added)} document(s) added.", "success")
    return redirect(url_for(".show", request_id=request_id) + f"#event-{event_id}")


def _send_attachment(attachment: Attachment):
    """The stored content, as a download under its original name: never shown inline, never sniffed
    (a document from a council is hostile input). Streamed from the folder store; the database
    store's bytes are sent as they are."""
    try:
        found = FileStore.from_config(current_app.config).locate(db.session, attachment.sha256)
    except FileStoreError as exc:  # lost or damaged: the operator's log says which, the user what to do
        current_app.logger.error("document %s: %s", attachment.id, exc)
        return render_template(
            "errors/error.html",
            code=500,
            title="Document unavailable",
            message=f"The file of “{attachment.original_name}” is missing or damaged in the file store. "
            "Tell an admin: it can be restored from a backup.",
        ), 500
    response = send_file(
        found if isinstance(found, Path) else io.BytesIO(found),
        as_attachment=True,
        download_name=attachment.original_name,
        mimetype=attachment.content_type,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/attachments/<id:attachment_id>")
def download(attachment_id: int):
    attachment = get_attachment_or_404(attachment_id)
    return _send_attachment(attachment)


@bp.route("/<id:request_id>/documents/<id:attachment_id>")
def request_document(request_id: int, attachment_id: int):
    """A document of this request: one of its own events', or a joint reply's that one of its
    events names (details.joint_attachment_ids: one stored copy for every council it answers).
    Offered to whoever may see this request (its campaign's members)."""
    foi_request = get_request_or_404(request_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    own = attachment.event.request_id == foi_request.id
    shared = any(attachment_id in (e.details or {}).get("joint_attachment_ids", []) for e in foi_request.events)
    if not (own or shared) or attachment.event.request.campaign_id != foi_request.campaign_id:
        abort(404)
    return _send_attachment(attachment)


@bp.route("/<id:request_id>/figures-entered", methods=["POST"])
@requires("request.edit")
def figures_entered(request_id: int):
    """Tick off (or reopen) the figures of a response; the dashboard lists responses not ticked off."""
    foi_request = get_request_or_404(request_id)
    set_figures_entered(db.session, foi_request, request.form.get("entered") == "1", current_user.id)
    db.session.commit()
    flash(
        "Figures marked as entered." if foi_request.figures_entered else "Figures marked as still to enter.", "success"
    )
    return redirect(url_for(".show", request_id=request_id))
