"""Saved mappings (#17): what a person did on one council's file, saved as a mapping for the
campaign (by cell, or by the label beside the figure) or for that council, listed and deleted.

The rules themselves are domain.file_mappings'; applying a mapping to the files still without
figures, its preview and its acceptance are services/mapping_preview.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.file_mappings import MappingError, Rule, label_for, rules_to_json
from ..domain.text import control_character
from ..file_tables import TablesError
from ..models import Answer, Attachment, Campaign, FileMapping, FoiRequest, Question
from .audit import record
from .file_figures import read_file

MAX_NAME = 200
SCOPES = ("campaign", "council")

__all__ = ["MappingError", "delete_mapping", "save_mapping"]


# ------------------------------------------------------------------------------ saving a mapping


@dataclass
class Saved:
    mappings: list[FileMapping]
    notes: list[str] = field(default_factory=list)  # rules saved by cell though a label was asked for


def taken_from_file(session: Session, foi_request: FoiRequest, attachment: Attachment) -> list[tuple[Answer, Question]]:
    """The request's answers taken from `attachment` (those with a cell in their provenance)."""
    return list(
        session.execute(
            select(Answer, Question)
            .join(Question, Question.id == Answer.question_id)
            .where(
                Answer.request_id == foi_request.id,
                Answer.source_attachment_id == attachment.id,
                Answer.source_cell != "",
            )
            .order_by(Question.position, Question.id)
        ).all()
    )


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise MappingError("give the mapping a name (e.g. “Kent's budget template”)")
    if len(name) > MAX_NAME:
        raise MappingError(f"a name is at most {MAX_NAME} characters")
    if control_character(name):
        raise MappingError("the name contains an invisible control character: remove it")
    return name


def save_mapping(
    session: Session,
    campaign: Campaign,
    foi_request: FoiRequest,
    attachment: Attachment,
    name: str,
    by: str,
    user_id: int | None,
    store,
    scopes: tuple[str, ...] = ("campaign",),
) -> Saved:
    """Save what was taken from `attachment` as a mapping: one rule per answer, by cell or by label
    (the label that names the source cell; a cell no label names alone is saved by cell, and
    said so). `scopes`: "council" (the council's own, reused by its files in later campaigns),
    "campaign" (the campaign's general one), or both. A mapping of the same name and scope is
    replaced. MappingError (nothing written) with the reason."""
    name = _check_name(name)
    if by not in ("cell", "label"):
        raise MappingError("choose by cell or by label")
    scopes = tuple(s for s in SCOPES if s in scopes)
    if not scopes:
        raise MappingError("choose this council's own mapping, the campaign's, or both")
    if foi_request.campaign_id != campaign.id:
        raise MappingError("that request is not one of this campaign's")
    taken = taken_from_file(session, foi_request, attachment)
    if not taken:
        raise MappingError("no figure has been taken from this file yet: take them in the file viewer first")
    tables = None
    if by == "label":
        try:
            tables = read_file(session, attachment, store)
        except TablesError as exc:
            raise MappingError(f"the file cannot be read: {exc}") from None
    rules, notes = [], []
    for answer, question in taken:
        rule = Rule(question.code, "cell", sheet=answer.source_sheet, cell=answer.source_cell)
        if tables is not None:
            grid = next((g for g in tables.grids if g.title == answer.source_sheet), None)
            label = label_for(grid, answer.source_cell) if grid is not None else None
            if label is not None:
                rule = Rule(question.code, "label", label=label[0], direction=label[1])
            else:
                notes.append(
                    f"{question.code}: no label names {answer.source_sheet}!{answer.source_cell} alone, "
                    "so it is found by its cell"
                )
        rules.append(rule)
    data = rules_to_json(rules)
    mappings = []
    for scope in scopes:
        authority_id = foi_request.authority_id if scope == "council" else None
        mapping = session.scalar(
            select(FileMapping).where(
                FileMapping.campaign_id == campaign.id,
                FileMapping.authority_id.is_(None)
                if authority_id is None
                else FileMapping.authority_id == authority_id,
                FileMapping.name == name,
            )
        )
        if mapping is None:
            mapping = FileMapping(
                campaign_id=campaign.id,
                authority_id=authority_id,
                name=name,
                unit="",
                rules=data,
                created_by_id=user_id,
            )
            session.add(mapping)
            session.flush()
            record(
                session,
                user_id=user_id,
                entity_type="file_mapping",
                entity_id=mapping.id,
                action="created",
                after={"name": name, "authority_id": authority_id, "rules": data},
            )
        else:
            before = {"rules": mapping.rules}
            mapping.rules = data
            record(
                session,
                user_id=user_id,
                entity_type="file_mapping",
                entity_id=mapping.id,
                action="updated",
                before=before,
                after={"rules": data},
            )
        mappings.append(mapping)
    session.flush()
    return Saved(mappings, notes)


def campaign_mappings(session: Session, campaign: Campaign) -> list[FileMapping]:
    """The campaign's mappings: the general ones first, then the councils' own, by name."""
    return list(
        session.scalars(
            select(FileMapping)
            .where(FileMapping.campaign_id == campaign.id)
            .order_by(FileMapping.authority_id.is_not(None), FileMapping.name, FileMapping.id)
        )
    )


def delete_mapping(session: Session, mapping: FileMapping, user_id: int | None) -> int:
    """Delete the mapping; the answers it took keep their figures and the rest of their provenance,
    and forget the mapping (answer.source_mapping_id has no foreign key). Returns how many."""
    cleared = session.execute(
        update(Answer).where(Answer.source_mapping_id == mapping.id).values(source_mapping_id=None)
    ).rowcount
    record(
        session,
        user_id=user_id,
        entity_type="file_mapping",
        entity_id=mapping.id,
        action="deleted",
        before={"name": mapping.name, "authority_id": mapping.authority_id, "rules": mapping.rules},
        after={"answers_forgetting_it": cleared},
    )
    session.delete(mapping)
    session.flush()
    return cleared
