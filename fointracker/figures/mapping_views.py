"""Saved mappings (#17): save what was taken from one council's file as a mapping, preview it on
every returned file without figures, accept all, some or none of the councils, delete it.

Who may do what is the entry grid's: whoever may see the campaign lists its mappings; those who
enter figures (request.edit) save, preview, accept and delete them.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.permissions import can, get_attachment_or_404, get_campaign_or_404
from ..domain.file_mappings import MappingError, rules_from_json
from ..domain.provenance import UNIT_SHORT
from ..domain.text import typed_id
from ..extensions import db
from ..forms import Form
from ..models import Authority, Campaign, FileMapping
from ..services.answers import describe, question_name, values_from
from ..services.file_figures import request_of
from ..services.file_mappings import delete_mapping, save_mapping
from ..services.file_store import FileStore, FileStoreError
from ..services.mapping_preview import MAX_FILES, accept, files_without_figures, own_mappings, preview
from . import bp

log = logging.getLogger("fointracker.figures")


class MappingForm(Form):
    """Only the CSRF token: the fields are read by name."""


def _store() -> FileStore:
    return FileStore.from_config(current_app.config)


def _may_enter() -> None:
    if not can(current_user, "request.edit"):
        abort(403)


def _posted() -> None:
    _may_enter()
    if not MappingForm().validate_on_submit():
        abort(400)


def _mapping_of(campaign: Campaign, mapping_id: int | None) -> FileMapping | None:
    """The campaign's mapping `mapping_id` (404 if it is another campaign's or none), or None for no id."""
    if mapping_id is None:
        return None
    mapping = db.session.get(FileMapping, mapping_id)
    if mapping is None or mapping.campaign_id != campaign.id:
        abort(404)
    return mapping


def _authorities(ids) -> dict[int, Authority]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Authority).where(Authority.id.in_(ids)))}


def _rules_shown(mapping: FileMapping) -> list:
    try:
        return rules_from_json(mapping.rules)
    except MappingError:
        return []


@bp.route("/campaigns/<id:campaign_id>/mappings")
def mappings(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["PER_PAGE"]
    query = (
        select(FileMapping)
        .where(FileMapping.campaign_id == campaign.id)
        .order_by(FileMapping.authority_id.is_not(None), FileMapping.name, FileMapping.id)
    )
    total = db.session.scalar(select(func.count(FileMapping.id)).where(FileMapping.campaign_id == campaign.id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    waiting = files_without_figures(db.session, campaign)
    with_own = own_mappings(db.session, campaign, {c.request.authority_id for c in waiting})
    return render_template(
        "figures/mappings.html",
        campaign=campaign,
        mappings=items,
        page=page,
        pages=pages,
        total=total,
        authorities=_authorities(m.authority_id for m in items),
        rules_of={m.id: _rules_shown(m) for m in items},
        waiting=len(waiting),
        waiting_with_own=sum(1 for c in waiting if c.request.authority_id in with_own),
        can_edit=can(current_user, "request.edit"),
        form=MappingForm(),
    )


@bp.route("/documents/<id:attachment_id>/mapping", methods=["POST"])
def save_file_mapping(attachment_id: int):
    _may_enter()
    attachment = get_attachment_or_404(attachment_id)
    if not MappingForm().validate_on_submit():
        abort(400)
    foi_request = request_of(db.session, attachment)
    campaign = db.session.get(Campaign, foi_request.campaign_id)
    scopes = tuple(request.form.getlist("scope"))
    try:
        saved = save_mapping(
            db.session,
            campaign,
            foi_request,
            attachment,
            request.form.get("name", "")[:1000],
            request.form.get("by", ""),
            current_user.id,
            _store(),
            scopes=scopes,
        )
    except MappingError as exc:
        db.session.rollback()
        flash(f"Mapping not saved: {exc}.", "error")
        return redirect(url_for(".viewer", attachment_id=attachment.id))
    except FileStoreError as exc:
        db.session.rollback()
        log.error("save mapping: attachment %s: %s", attachment.id, exc)
        flash("Mapping not saved: the file is missing from the store.", "error")
        return redirect(url_for(".viewer", attachment_id=attachment.id))
    db.session.commit()
    rules = len(saved.mappings[0].rules)
    kinds = " and ".join("this council's own" if m.authority_id else "the campaign's" for m in saved.mappings)
    message = f"Saved “{saved.mappings[0].name}” as {kinds} mapping: {rules} rule{'s' if rules != 1 else ''}."
    if saved.notes:
        message += " " + "; ".join(saved.notes) + "."
    flash(message, "success" if not saved.notes else "warning")
    return redirect(url_for(".mappings", campaign_id=campaign.id))


def _preview_page(campaign: Campaign, mapping: FileMapping | None, status: int = 200):
    try:
        shown = preview(db.session, campaign, mapping, _store())
    except FileStoreError as exc:
        log.error("mapping preview: campaign %s: %s", campaign.id, exc)
        shown = None
    return render_template(
        "figures/mapping_preview.html",
        campaign=campaign,
        mapping=mapping,
        preview=shown,
        max_files=MAX_FILES,
        unit_short=UNIT_SHORT,
        question_name=question_name,
        shown_value=_shown_value,
        form=MappingForm(),
    ), status


def _shown_value(value) -> str:
    """A previewed value in words, as the grid would show it once saved."""
    from ..services.answers import content_of

    values = values_from(value.parsed, raw=value.raw, exemption="", note="", source_attachment_id=None, source_page="")
    return describe(value.question, content_of(values))


@bp.route("/campaigns/<id:campaign_id>/mappings/preview")
def mapping_preview(campaign_id: int):
    _may_enter()
    campaign = get_campaign_or_404(campaign_id)
    text = request.args.get("mapping", "")
    mapping_id = typed_id(text) if text else None
    if text and mapping_id is None:
        abort(404)
    return _preview_page(campaign, _mapping_of(campaign, mapping_id))


@bp.route("/campaigns/<id:campaign_id>/mappings/accept", methods=["POST"])
def accept_mapping(campaign_id: int):
    _posted()
    campaign = get_campaign_or_404(campaign_id)
    text = request.form.get("mapping", "")
    mapping_id = typed_id(text) if text else None
    if text and mapping_id is None:
        abort(400)
    mapping = _mapping_of(campaign, mapping_id)
    chosen = [typed_id(t) for t in request.form.getlist("request")[: MAX_FILES * 2]]
    chosen = [i for i in chosen if i is not None]
    if not chosen:
        flash("No council was chosen: tick the councils whose figures to save.", "warning")
        return redirect(url_for(".mapping_preview", campaign_id=campaign.id, mapping=mapping.id if mapping else None))
    try:
        result = accept(db.session, campaign, mapping, chosen, _store(), current_user.id)
    except FileStoreError as exc:
        db.session.rollback()
        log.error("mapping accept: campaign %s: %s", campaign.id, exc)
        flash("Nothing saved: a file is missing from the store; ask the administrator to restore it.", "error")
        return redirect(url_for(".mappings", campaign_id=campaign.id))
    db.session.commit()
    return render_template(
        "figures/mapping_result.html", campaign=campaign, mapping=mapping, result=result, form=MappingForm()
    )


@bp.route("/campaigns/<id:campaign_id>/mappings/<id:mapping_id>/delete", methods=["POST"])
def delete_file_mapping(campaign_id: int, mapping_id: int):
    _posted()
    campaign = get_campaign_or_404(campaign_id)
    mapping = _mapping_of(campaign, mapping_id)
    name = mapping.name
    cleared = delete_mapping(db.session, mapping, current_user.id)
    db.session.commit()
    kept = (
        f" The {cleared} figure{'s' if cleared != 1 else ''} it found keep their values and sources." if cleared else ""
    )
    flash(f"Deleted the mapping “{name}”.{kept}", "success")
    return redirect(url_for(".mappings", campaign_id=campaign.id))


@bp.app_context_processor
def _mapping_helpers():
    """For the file viewer's "Save as mapping" form (templates/figures/_mapping_save.html)."""
    return {"mapping_form": MappingForm}
