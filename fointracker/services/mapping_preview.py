"""Saved mappings applied (#17): the returned files that have no figures yet, a mapping previewed
on them council by council (each value found, the cell it came from, what could not be found),
and the preview accepted: the rules are applied again (nothing posted is trusted; what they found
in a file is kept by its content, services/mapping_findings.py), and a council's figures are
written all or none, through services.answers.create_answers, audited like typed entry. A
council's own mapping, from this or an earlier campaign, wins over the campaign's general one,
question by question, matched by code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from ..domain.figures import FigureError, ParsedAnswer
from ..domain.file_mappings import Found, MappingError, Rule, rules_from_json
from ..domain.lifecycle import FIGURE_OUTCOMES
from ..domain.text import replace_control_characters
from ..domain.units import UNITS, Unit
from ..file_tables import can_read
from ..models import Answer, Attachment, Campaign, FileMapping, FoiRequest, Question, RequestEvent
from .answers import campaign_questions, create_answers, sync_figures_entered, values_from
from .audit import record
from .file_figures import SCALED_TYPES, cell_problem, confirm_unit, parse_cell
from .mapping_findings import FileFindings, findings

#: Files read by one preview or acceptance (the issue's benchmark: 150 spreadsheets of ~50 KB).
MAX_FILES = 150


# ------------------------------------------------------------------------------ files without figures


@dataclass
class CouncilFiles:
    request: FoiRequest
    documents: list[Attachment]


def files_without_figures(
    session: Session, campaign: Campaign, request_ids: list[int] | None = None
) -> list[CouncilFiles]:
    """The councils whose reply has come (a response on the timeline, or an outcome with figures) with documents
    the viewer can read, and no answer yet: oldest reply first. `request_ids`: only those."""
    has_answers = exists(select(Answer.id).where(Answer.request_id == FoiRequest.id))
    responded = exists(
        select(RequestEvent.id).where(
            RequestEvent.request_id == FoiRequest.id, RequestEvent.kind == "response_received"
        )
    )
    query = (
        select(FoiRequest)
        .options(joinedload(FoiRequest.authority))
        .where(
            FoiRequest.campaign_id == campaign.id,
            or_(FoiRequest.responded_on.is_not(None), FoiRequest.outcome.in_(FIGURE_OUTCOMES), responded),
            ~has_answers,
        )
        .order_by(FoiRequest.responded_on.is_(None), FoiRequest.responded_on, FoiRequest.id)
    )
    if request_ids is not None:
        query = query.where(FoiRequest.id.in_(request_ids[: MAX_FILES * 4]))
    requests = list(session.scalars(query))
    documents: dict[int, list[Attachment]] = {}
    for request_id, attachment in session.execute(
        select(RequestEvent.request_id, Attachment)
        .join(RequestEvent, Attachment.event_id == RequestEvent.id)
        .join(FoiRequest, RequestEvent.request_id == FoiRequest.id)
        .where(FoiRequest.campaign_id == campaign.id, ~has_answers)
        .order_by(RequestEvent.occurred_on, Attachment.id)
    ):
        if can_read(attachment.original_name):
            documents.setdefault(request_id, []).append(attachment)
    return [CouncilFiles(r, documents[r.id]) for r in requests if r.id in documents]


# ------------------------------------------------------------------------------ preview


@dataclass
class Value:
    question: Question
    attachment: Attachment
    sheet: str
    ref: str
    raw: str
    unit: Unit | None  # applied (money, count, decimal questions); None for others
    mapping_id: int
    parsed: ParsedAnswer | None = None
    problem: str = ""  # why the cell is not an answer to the question


@dataclass
class CouncilPreview:
    request: FoiRequest
    documents: list[Attachment]
    values: list[Value] = field(default_factory=list)
    missing: list[tuple[Question, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read
    own_mapping: FileMapping | None = None  # the council's own, when it has one

    @property
    def refusal(self) -> str:
        """Why the council's figures cannot be accepted; "" when they can."""
        bad = [v for v in self.values if v.parsed is None]
        if bad:
            return "; ".join(f"{v.question.code}: {v.problem}" for v in bad)
        if not self.values:
            return "no figure was found in its files"
        return ""


@dataclass
class Preview:
    councils: list[CouncilPreview]
    more: int = 0  # councils waiting beyond MAX_FILES files
    without_mapping: int = 0  # councils with neither their own mapping nor a general one to apply

    @property
    def acceptable(self) -> list[CouncilPreview]:
        return [c for c in self.councils if not c.refusal]


def own_mappings(session: Session, campaign: Campaign, authority_ids: set[int]) -> dict[int, list[FileMapping]]:
    """Each council's own mappings, from this campaign or an earlier one: this campaign's first,
    then the most recently changed."""
    if not authority_ids:
        return {}
    found: dict[int, list[FileMapping]] = {}
    for mapping in session.scalars(
        select(FileMapping)
        .join(Campaign, Campaign.id == FileMapping.campaign_id)
        .where(
            FileMapping.authority_id.in_(authority_ids),
            or_(FileMapping.campaign_id == campaign.id, Campaign.created_at <= campaign.created_at),
        )
        .order_by(FileMapping.campaign_id != campaign.id, FileMapping.updated_at.desc(), FileMapping.id.desc())
    ):
        found.setdefault(mapping.authority_id, []).append(mapping)
    return found


def _rules(mappings: list[FileMapping], codes: set[str]) -> dict[str, tuple[Rule, int]]:
    """{question code: (rule, mapping id)}: the first mapping with a rule for a question wins;
    rules for questions the campaign does not ask are left out. Unreadable stored rules are skipped."""
    rules: dict[str, tuple[Rule, int]] = {}
    for mapping in mappings:
        try:
            parsed = rules_from_json(mapping.rules)
        except MappingError:
            continue
        for rule in parsed:
            if rule.question in codes and rule.question not in rules:
                rules[rule.question] = (rule, mapping.id)
    return rules


def _unit(attachment: Attachment, grid_unit: Unit | None, mapping_unit: str) -> Unit:
    """The unit confirmed for the file; else the one the figure's own sheet (or table) states: a
    staff sheet beside a "£m" budget sheet is not in millions; else the mapping's; else as shown.
    The preview shows each figure's unit, for the person to check before accepting."""
    if attachment.figures_unit in UNITS:
        return UNITS[attachment.figures_unit]
    return grid_unit or UNITS.get(mapping_unit) or UNITS["units"]


def _council_preview(
    session: Session, council: CouncilFiles, rules: dict[str, tuple[Rule, int]], questions: list[Question], store, units
) -> CouncilPreview:
    preview = CouncilPreview(council.request, council.documents)
    ordered = [(q, rules[q.code]) for q in questions if q.code in rules]
    wanted = tuple(rule for _q, (rule, _m) in ordered)
    results: list[tuple[Attachment, FileFindings]] = []
    for attachment in council.documents:
        found = findings(session, attachment, wanted, store)
        if found.problem:
            preview.problems.append(f"{attachment.original_name}: {found.problem}")
        else:
            results.append((attachment, found))
    for index, (question, (_rule, mapping_id)) in enumerate(ordered):
        hit = next(((a, f, f.found[index]) for a, f in results if isinstance(f.found[index], Found)), None)
        if hit is None:
            if not results:
                preview.missing.append((question, "no file could be read"))
            else:
                why = results[0][1].found[index].why
                if len(results) > 1:
                    why = f"{why} (in any of its {len(results)} files)"
                preview.missing.append((question, why))
            continue
        attachment, file_findings, found = hit
        text = replace_control_characters(found.text.strip())
        unit = _unit(attachment, file_findings.grid_units.get(found.grid_key), units.get(mapping_id, ""))
        scaled = question.qtype in SCALED_TYPES
        value = Value(question, attachment, found.sheet, found.ref, text, unit if scaled else None, mapping_id)
        try:
            value.parsed = parse_cell(question, text, unit)
        except FigureError as exc:
            value.problem = cell_problem(question, found.ref, text, exc)
        preview.values.append(value)
    return preview


def preview(
    session: Session, campaign: Campaign, mapping: FileMapping | None, store, request_ids: list[int] | None = None
) -> Preview:
    """The mapping applied to every council still without figures (at most MAX_FILES files): per
    council, each value found and what was not. `mapping` None: the councils' own mappings only.
    A council's own mapping wins over `mapping` for the questions it has a rule for; a mapping of
    one council applies to that council alone."""
    questions = campaign_questions(session, campaign.id)
    codes = {q.code for q in questions}
    waiting = files_without_figures(session, campaign, request_ids)
    if mapping is not None and mapping.authority_id is not None:
        waiting = [c for c in waiting if c.request.authority_id == mapping.authority_id]
    own = own_mappings(session, campaign, {c.request.authority_id for c in waiting})
    units = {m.id: m.unit for ms in own.values() for m in ms}
    if mapping is not None:
        units[mapping.id] = mapping.unit
    result = Preview([])
    files = 0
    for council in waiting:
        council_own = own.get(council.request.authority_id, [])
        rules = _rules([*council_own, *([mapping] if mapping is not None else [])], codes)
        if not rules:
            result.without_mapping += 1
            continue
        if files + len(council.documents) > MAX_FILES:
            result.more += 1
            continue
        files += len(council.documents)
        shown = _council_preview(session, council, rules, questions, store, units)
        shown.own_mapping = council_own[0] if council_own else None
        result.councils.append(shown)
    return result


# ------------------------------------------------------------------------------ accepting


@dataclass
class Accepted:
    written: list[tuple[FoiRequest, int]] = field(default_factory=list)  # (request, answers written)
    refused: list[tuple[FoiRequest | None, str]] = field(default_factory=list)  # (request, why)

    @property
    def answers(self) -> int:
        return sum(n for _r, n in self.written)


def accept(
    session: Session, campaign: Campaign, mapping: FileMapping | None, request_ids: list[int], store, user_id
) -> Accepted:
    """Write the chosen councils' figures as the preview shows them, applying the rules again (to
    the findings kept from the preview when this host showed it: services/mapping_findings.py).
    All or none per council: a council with a value that is not an answer to its question is not
    written, with the reason; one that has figures by now (entered meanwhile) is left alone.
    Each answer keeps its provenance and the mapping that found it, audited like typed entry."""
    ids = sorted({i for i in request_ids if isinstance(i, int)})[:MAX_FILES]
    shown = preview(session, campaign, mapping, store, ids)
    result = Accepted()
    previewed = {c.request.id for c in shown.councils}
    for request_id in ids:
        if request_id not in previewed:
            request = session.get(FoiRequest, request_id)
            known = request if request is not None and request.campaign_id == campaign.id else None
            reason = "it has figures already, no returned file, or no mapping that applies"
            result.refused.append((known, reason))
    written_requests, new_answers = [], []
    for council in shown.councils:  # none has answers: the preview above takes only those without
        if council.refusal:
            result.refused.append((council.request, council.refusal))
            continue
        units_used: dict[int, set[str]] = {}
        for value in council.values:
            values = values_from(
                value.parsed,
                raw=value.raw,
                exemption="",
                note="",
                source_attachment_id=value.attachment.id,
                source_page="",
            )
            values.update(
                source_sheet=value.sheet[:120],
                source_cell=value.ref[:40],
                source_unit=value.unit.code if value.unit is not None else "",
                source_mapping_id=value.mapping_id,
            )
            new_answers.append((council.request.id, value.question, values))
            if value.unit is not None:
                units_used.setdefault(value.attachment.id, set()).add(value.unit.code)
        _confirm_units(session, council, units_used, user_id)
        result.written.append((council.request, len(council.values)))
        written_requests.append(council.request)
    create_answers(session, new_answers, user_id)
    session.flush()
    sync_figures_entered(session, written_requests, user_id)
    if mapping is not None and result.written:
        record(
            session,
            user_id=user_id,
            entity_type="file_mapping",
            entity_id=mapping.id,
            action="applied",
            after={"request_ids": [r.id for r, _n in result.written], "answers": result.answers},
        )
    session.flush()
    return result


def _confirm_units(session: Session, council: CouncilPreview, units_used: dict[int, set[str]], user_id) -> None:
    """Accepting a preview confirms the unit it showed for each file that had none confirmed (one
    unit for the whole file; a file whose figures came in two units is left for the viewer)."""
    for attachment in council.documents:
        used = units_used.get(attachment.id, set())
        if attachment.figures_unit or len(used) != 1:
            continue
        confirm_unit(session, attachment, next(iter(used)), user_id)
