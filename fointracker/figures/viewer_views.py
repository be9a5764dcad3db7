"""The file viewer (#17): a document's tables in the browser, each cell a button that takes its
figure for the chosen question, with the file's unit confirmed once; provenance kept.

Who may do what is the entry grid's: whoever may see the campaign reads the file's tables;
those who enter figures (request.edit) confirm the unit and take figures.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.permissions import can, get_attachment_or_404
from ..domain.provenance import UNIT_SHORT
from ..domain.units import UNITS
from ..extensions import db
from ..file_tables import Cell, FileTables, Grid, TablesError
from ..forms import Form
from ..models import Attachment, Question
from ..services.answers import answer_content, describe, question_name
from ..services.file_figures import (
    SCALED_TYPES,
    TakeError,
    answer_source,
    confirm_unit,
    figure_documents,
    next_unanswered,
    questions_with_answers,
    read_file,
    request_of,
    take,
    taken_from,
)
from ..services.file_store import FileStore, FileStoreError
from . import bp

log = logging.getLogger("fointracker.figures")

PAGE_ROWS = 500  # rows of a grid shown at once
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$|^R(\d+)C(\d+)$")


class ViewerForm(Form):
    """Only the CSRF token: the fields are read by name."""


@dataclass
class ShownRow:
    number: str  # "7" or "R7"
    cells: list[Cell]
    hidden: bool


@dataclass
class FoldedRows:
    first: str
    last: str
    count: int


def _row_label(cell: Cell, index: int) -> str:
    found = _REF.match(cell.ref)
    if found is None:
        return str(index)
    return found.group(2) if found.group(2) else f"R{found.group(3)}"


def _column_label(cell: Cell, index: int) -> str:
    found = _REF.match(cell.ref)
    if found is None:
        return str(index)
    return found.group(1) if found.group(1) else f"C{found.group(4)}"


def _row_index(grid: Grid, ref: str) -> int | None:
    for index, row in enumerate(grid.rows):
        if any(cell.ref == ref for cell in row):
            return index
    return None


def grid_page(grid: Grid, page: int, show_hidden: bool) -> tuple[list, list[str], int]:
    """The rows of one page of `grid` (hidden rows folded unless `show_hidden`), its column
    labels and the number of pages."""
    pages = max(1, -(-len(grid.rows) // PAGE_ROWS))
    page = min(max(page, 1), pages)
    rows = grid.rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    columns = [_column_label(cell, i) for i, cell in enumerate(grid.rows[0], start=1)] if grid.rows else []
    shown: list = []
    for offset, row in enumerate(rows, start=(page - 1) * PAGE_ROWS + 1):
        hidden = bool(row) and all(cell.hidden for cell in row)
        label = _row_label(row[0], offset) if row else str(offset)
        if hidden and not show_hidden:
            if shown and isinstance(shown[-1], FoldedRows):
                shown[-1].last, shown[-1].count = label, shown[-1].count + 1
            else:
                shown.append(FoldedRows(label, label, 1))
            continue
        shown.append(ShownRow(label, row, hidden))
    return shown, columns, pages


def _store() -> FileStore:
    return FileStore.from_config(current_app.config)


def _tables(attachment: Attachment) -> tuple[FileTables | None, str]:
    try:
        return read_file(db.session, attachment, _store()), ""
    except TablesError as exc:
        return None, str(exc)
    except FileStoreError as exc:
        log.error("file viewer: attachment %s: %s", attachment.id, exc)
        return None, "the file is missing from the store: ask the administrator to restore it from a backup"


def _chosen_grid(tables: FileTables, key: str, title: str) -> Grid | None:
    if key and tables.grid(key) is not None:
        return tables.grid(key)
    if title:
        found = next((g for g in tables.grids if g.title == title), None)
        if found is not None:
            return found
    return next((g for g in tables.grids if not g.hidden), tables.grids[0] if tables.grids else None)


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default


def _render(attachment: Attachment, *, grid_key="", sheet="", cell="", question_id=None, error="", status=200):
    foi_request = request_of(db.session, attachment)
    tables, problem = _tables(attachment)
    grid = _chosen_grid(tables, grid_key, sheet) if tables is not None else None
    page = _int_arg("page", 1)
    if cell and grid is not None:
        index = _row_index(grid, cell)
        page = index // PAGE_ROWS + 1 if index is not None else page
    show_hidden = request.args.get("hidden") == "1"
    shown, columns, pages = grid_page(grid, page, show_hidden) if grid is not None else ([], [], 1)
    rows = questions_with_answers(db.session, foi_request)
    chosen = next((q for q, _a in rows if q.id == question_id), None) or next_unanswered(rows)
    unit = UNITS.get(attachment.figures_unit or "")
    detected = (grid.unit if grid is not None and grid.unit else None) or (tables.unit if tables else None)
    other_unit = [
        a for a in taken_from(db.session, attachment) if a.source_unit and unit and a.source_unit != unit.code
    ]
    grid_keys = {g.title: g.key for g in tables.grids} if tables else {}
    return render_template(
        "figures/viewer.html",
        attachment=attachment,
        req=foi_request,
        tables=tables,
        problem=problem,
        grid=grid,
        shown=shown,
        columns=columns,
        page=min(max(page, 1), pages),
        pages=pages,
        show_hidden=show_hidden,
        has_hidden_rows=any(isinstance(r, FoldedRows) or r.hidden for r in shown),
        rows=rows,
        chosen=chosen,
        cell=cell,
        unit=unit,
        detected=detected,
        units=UNITS,
        unit_short=UNIT_SHORT,
        other_unit=other_unit,
        grid_keys=grid_keys,
        scaled_types=SCALED_TYPES,
        error=error,
        form=ViewerForm(),
        can_take=can(current_user, "request.edit"),
        question_name=question_name,
        shown_answer={q.id: describe(q, answer_content(a)) if a is not None else "" for q, a in rows},
        sources={q.id: answer_source(a) for q, a in rows},
        FoldedRows=FoldedRows,
    ), status


@bp.route("/documents/<id:attachment_id>")
def viewer(attachment_id: int):
    attachment = get_attachment_or_404(attachment_id)
    return _render(
        attachment,
        grid_key=request.args.get("grid", "")[:300],
        sheet=request.args.get("sheet", "")[:300],
        cell=request.args.get("cell", "")[:20].upper(),
        question_id=_int_arg("question", 0) or None,
    )


def _posted_checked(attachment_id: int) -> Attachment:
    if not can(current_user, "request.edit"):
        abort(403)
    attachment = get_attachment_or_404(attachment_id)
    if not ViewerForm().validate_on_submit():
        abort(400)
    return attachment


@bp.route("/documents/<id:attachment_id>/unit", methods=["POST"])
def confirm_file_unit(attachment_id: int):
    attachment = _posted_checked(attachment_id)
    grid_key = request.form.get("grid", "")[:300]
    try:
        left = confirm_unit(db.session, attachment, request.form.get("unit", ""), current_user.id)
    except TakeError as exc:
        db.session.rollback()
        return _render(attachment, grid_key=grid_key, error=f"Unit not saved: {exc}.", status=400)
    db.session.commit()
    label = UNITS[attachment.figures_unit].label
    if left:
        flash(
            f"Unit set to {label}. {len(left)} figure{'s' if len(left) != 1 else ''} already taken from this file "
            "used another unit and were not changed: take them again below if the new unit is right.",
            "warning",
        )
    else:
        flash(f"Unit set to {label}.", "success")
    return redirect(url_for(".viewer", attachment_id=attachment.id, grid=grid_key or None))


@bp.route("/documents/<id:attachment_id>/take", methods=["POST"])
def take_cell(attachment_id: int):
    attachment = _posted_checked(attachment_id)
    grid_key = request.form.get("grid", "")[:300]
    # A pressed cell's button names it; else the reference typed in the Cell box.
    ref = (request.form.get("ref") or request.form.get("typed_ref") or "")[:20].strip().upper()
    question_id = _int_arg_form("question")
    question = db.session.get(Question, question_id) if question_id else None
    if question is None:
        return _render(attachment, grid_key=grid_key, cell=ref, error="Choose a question first.", status=400)
    try:
        taken = take(
            db.session, attachment, grid_key, ref, question, attachment.figures_unit, current_user.id, _store()
        )
    except TakeError as exc:
        db.session.rollback()
        message = f"Nothing saved: {exc}."
        return _render(attachment, grid_key=grid_key, cell=ref, question_id=question.id, error=message, status=400)
    db.session.commit()
    words = describe(question, answer_content(taken.answer))
    verb = "unchanged" if taken.action == "unchanged" else "saved"
    flash(f"{question.code} {verb}: {words}, from {answer_source(taken.answer)}.", "success")
    following = next_unanswered(questions_with_answers(db.session, request_of(db.session, attachment)), question.id)
    return redirect(
        url_for(
            ".viewer",
            attachment_id=attachment.id,
            grid=grid_key,
            question=following.id if following else question.id,
            cell=ref,
        )
        + f"#cell-{ref}"
    )


def _int_arg_form(name: str) -> int | None:
    try:
        value = int(request.form.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


@bp.app_context_processor
def _provenance_helpers():
    """For the request page and its figures grid: the documents figures can be taken from, and
    where each figure was taken from."""
    return {
        "figure_files_of": lambda foi_request: figure_documents(db.session, foi_request.id),
        "figure_unit_label": lambda code: UNITS[code].label if code in UNITS else code,
        "answer_source": answer_source,
        "viewer_link": _viewer_link,
    }


def _viewer_link(answer) -> str:
    """The viewer at the cell a figure was taken from."""
    return (
        url_for(
            "figures.viewer",
            attachment_id=answer.source_attachment_id,
            sheet=answer.source_sheet,
            cell=answer.source_cell,
            question=answer.question_id,
        )
        + f"#cell-{answer.source_cell}"
    )
