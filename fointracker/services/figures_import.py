"""Importing a campaign's figures from a spreadsheet: a dry run first, then all or nothing.

The file is CSV (UTF-8, with or without the BOM spreadsheet programs add) or XLSX (the
first sheet). Row 1 is the header; columns may come in any order, case ignored:

- ``authority``: the council: its GSS code (E10000016), its register code (KEN) or its
  name. Names are matched exactly first (official, short or alternative name), then
  leniently ("Durham" for Durham County Council); every lenient match is listed in the
  plan for the person importing to confirm. The council must be one the campaign has a
  request for; with several, the latest sent one gets the figures (the plan says so).
- ``question``: the question's code, or its exact label.
- ``value``: as people write it (``£1,234,567``, ``1.2m``, ``12%``, ``c. 40``, ``<5``,
  ``not held`` ...), parsed by domain.figures.parse_answer.
- optional ``state`` (provided, estimate, not held, not collected, refused, not
  applicable), ``note`` and ``exemption`` (for a refusal, e.g. s40). A blank note or
  exemption keeps the one already recorded.

`plan_import` reads and checks everything and writes nothing: it returns an ImportPlan
with every change (council, question, old -> new), the number unchanged, every lenient
match and every error as (row, column, reason). `apply_plan` writes a plan without
errors in one transaction; with any error nothing is written.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain.figures import AnswerState, FigureError, parse_state
from ..domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from ..formatting import uk_date
from ..models import Answer, Authority, Campaign, FoiRequest, Question
from ..register import build_name_index, match_name, normalise_name
from ..tabular import Layout, Limits, Problem, TableError, format_problem, read_csv, read_xlsx, table
from .answers import (
    CONTENT_FIELDS,
    MAX_NOTE,
    answer_content,
    campaign_questions,
    content_of,
    describe,
    parse_exemption,
    parse_for,
    sync_figures_entered,
    values_from,
    write_answer,
)

FILE_TYPES = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
REQUIRED = ("authority", "question", "value")
OPTIONAL = ("state", "note", "exemption")
ALIASES = {"council": "authority", "question_code": "question", "answer": "value"}
MAX_ROWS = 50_000


class ImportFileError(TableError):
    """The file could not be imported; `problems` lists (row, column, reason); row 0 is the file itself."""


LAYOUT = Layout(
    error=ImportFileError,
    columns=REQUIRED,
    optional=OPTIONAL,
    no_header="row 1 must name the columns: authority, question, value (and optionally state, note, exemption)",
    twice="this column appears twice",
    missing="missing column (the header needs authority, question and value)",
    not_utf8="save it from the spreadsheet as “CSV UTF-8”",
    aliases=ALIASES,
    fold_case=True,
    delimiters=",;\t",
    max_rows=MAX_ROWS,
)


# --- Reading ------------------------------------------------------------------------


def file_type(filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FILE_TYPES:
        raise ImportFileError(
            [(0, "file", f"{PurePath(filename or '').name or 'the file'}: import a .csv (UTF-8) or .xlsx file")]
        )
    return FILE_TYPES[suffix]


def read_table(filename: str, data: bytes, limits: Limits | None = None) -> tuple[list[list[str]], list[str]]:
    """The file's rows as text (index 0 is spreadsheet row 1), and notes about reading it;
    within `limits` (the defaults if None)."""
    if not data:
        raise ImportFileError([(0, "file", "the file is empty")])
    if file_type(filename) == "csv":
        return read_csv(data, LAYOUT, limits), []
    return read_xlsx(data, LAYOUT, limits)


# --- Matching -----------------------------------------------------------------------


def _exact_key(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class _Names:
    """What register.match_name and build_name_index read of a council."""

    id: int
    code: str
    gss_code: str
    official_name: str
    short_name: str
    alt_names: tuple[str, ...]
    is_current: bool

    @classmethod
    def of(cls, a: Authority) -> _Names:
        return cls(
            a.id,
            a.code,
            a.gss_code or "",
            a.official_name,
            a.short_name,
            tuple(n.strip() for n in (a.alt_names or "").split("|") if n.strip()),
            a.end_date is None,
        )


def council_name(a: Authority) -> str:
    return f"{a.official_name} ({a.code})"


class CouncilMatcher:
    """Matches what a file says to the councils a campaign has requests for."""

    def __init__(self, session: Session, campaign_id: int):
        self.session = session
        requests = session.scalars(
            select(FoiRequest).options(joinedload(FoiRequest.authority)).where(FoiRequest.campaign_id == campaign_id)
        ).all()
        self.requests: dict[int, list[FoiRequest]] = defaultdict(list)
        for r in requests:
            self.requests[r.authority_id].append(r)
        self.authorities = {r.authority_id: r.authority for r in requests}
        names = [_Names.of(a) for a in self.authorities.values()]
        self.by_code = {n.code.upper(): n.id for n in names}
        self.by_gss: dict[str, list[int]] = defaultdict(list)
        self.exact: dict[str, list[int]] = defaultdict(list)
        for n in names:
            if n.gss_code:
                self.by_gss[n.gss_code.upper()].append(n.id)
            for name in {_exact_key(x) for x in (n.official_name, n.short_name, *n.alt_names)}:
                self.exact[name].append(n.id)
        id_of = {n.code: n.id for n in names}
        self.lenient = {key: [id_of[c] for c in codes] for key, codes in build_name_index(names).items()}
        self._register: list[_Names] | None = None

    def request_for(self, authority_id: int) -> FoiRequest:
        """The latest sent request (drafts last, then the newest)."""
        return max(self.requests[authority_id], key=lambda r: (r.sent_on is not None, r.sent_on or date.min, r.id))

    def match(self, text: str) -> tuple[Authority | None, bool, str]:
        """(council, matched leniently, error)."""
        text = " ".join(text.split())
        if not text:
            return None, False, "no council given"
        for found, lenient in (
            (self.by_gss.get(text.upper()), False),
            ([self.by_code[text.upper()]] if text.upper() in self.by_code else None, False),
            (self.exact.get(_exact_key(text)), False),
            (self.lenient.get(normalise_name(text)), True),
        ):
            if not found:
                continue
            if len(set(found)) > 1:
                return (
                    None,
                    False,
                    (
                        f"{text!r} could be any of: "
                        + "; ".join(council_name(self.authorities[i]) for i in dict.fromkeys(found))
                        + ": give the GSS code"
                    ),
                )
            return self.authorities[found[0]], lenient, ""
        return None, False, self._not_in_campaign(text)

    def _not_in_campaign(self, text: str) -> str:
        if self._register is None:
            self._register = [_Names.of(a) for a in self.session.scalars(select(Authority))]
        elsewhere = match_name(text, self._register)
        if elsewhere:
            shown = "; ".join(f"{n.official_name} ({n.code})" for n in elsewhere[:3])
            return f"{text!r} is {shown}, which this campaign has no request for"
        return f"no council called {text!r} (give its GSS code or its name as in the council register)"


class QuestionMatcher:
    def __init__(self, questions: list[Question]):
        self.by_code = {q.code: q for q in questions}
        self.by_label: dict[str, list[Question]] = defaultdict(list)
        for q in questions:
            keys = {_exact_key(q.label)}
            if q.period_label:
                keys.add(_exact_key(f"{q.label} {q.period_label}"))
            for key in keys:
                self.by_label[key].append(q)

    def match(self, text: str) -> tuple[Question | None, str]:
        text = text.strip()
        if not text:
            return None, "no question given"
        if text.lower() in self.by_code:
            return self.by_code[text.lower()], ""
        found = self.by_label.get(_exact_key(text), [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return (
                None,
                f"{text!r} is the label of several questions: give the code ({', '.join(q.code for q in found)})",
            )
        codes = ", ".join(list(self.by_code)[:12]) + (" …" if len(self.by_code) > 12 else "")
        return None, f"no question with the code or label {text!r} (codes: {codes or 'none yet'})"


# --- The plan -----------------------------------------------------------------------


@dataclass
class Change:
    row: int
    council: str
    request_id: int
    question_id: int
    question_code: str
    old: str
    new: str
    values: dict
    created: bool


@dataclass
class ImportPlan:
    campaign_id: int
    campaign_title: str
    filename: str
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    lenient: list[str] = field(default_factory=list)  # "'Durham' matched Durham County Council (DUR) (row 3)"
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.created)

    @property
    def updated(self) -> int:
        return len(self.changes) - self.created

    def summary(self) -> str:
        return (
            f"{self.rows} row{'' if self.rows == 1 else 's'} read: {len(self.changes)} change"
            f"{'' if len(self.changes) == 1 else 's'} ({self.created} new, {self.updated} updated), "
            f"{self.unchanged} unchanged, {len(self.errors)} error{'' if len(self.errors) == 1 else 's'}"
        )

    def error_lines(self) -> list[str]:
        return [format_problem(p) for p in self.errors]

    def fingerprint(self) -> str:
        """Identifies exactly what would be written (to check that a confirmation is for
        the plan that was shown)."""
        digest = hashlib.sha256()
        for c in self.changes:
            digest.update(
                repr((c.request_id, c.question_id, sorted((k, str(v)) for k, v in c.values.items()))).encode()
            )
        return digest.hexdigest()[:32]


def plan_import(
    session: Session, campaign: Campaign, filename: str, data: bytes, limits: Limits | None = None
) -> ImportPlan:
    """Read and check the whole file (within `limits`); write nothing."""
    plan = ImportPlan(campaign.id, campaign.title, PurePath(filename or "").name)
    try:
        lines, notes = read_table(filename, data, limits)
        plan.notes.extend(notes)
        rows = table(lines, LAYOUT)
    except ImportFileError as exc:
        plan.errors.extend(exc.problems)
        return plan
    plan.errors.extend(rows.problems)
    if rows.ignored:
        plan.notes.append("Columns not used: " + ", ".join(repr(c) for c in rows.ignored) + ".")
    if plan.errors:
        return plan
    councils = CouncilMatcher(session, campaign.id)
    questions = QuestionMatcher(campaign_questions(session, campaign.id))
    existing = {
        (a.request_id, a.question_id): a
        for a in session.scalars(
            select(Answer)
            .join(FoiRequest, Answer.request_id == FoiRequest.id)
            .where(FoiRequest.campaign_id == campaign.id)
        )
    }
    seen: dict[tuple[int, int], int] = {}
    lenient: dict[tuple[str, int], list[int]] = defaultdict(list)
    several: set[int] = set()

    for row in rows:
        plan.rows += 1
        authority, was_lenient, error = councils.match(row["authority"])
        if error:
            row.problem("authority", error)
        elif was_lenient:
            lenient[(" ".join(row["authority"].split()), authority.id)].append(row.number)
        question, error = questions.match(row["question"])
        if error:
            row.problem("question", error)
        state = None
        try:
            state = parse_state(row["state"])
        except FigureError as exc:
            row.problem("state", str(exc))
        try:
            exemption = parse_exemption(row["exemption"])
        except FigureError as exc:
            row.problem("exemption", str(exc))
            exemption = ""
        note = row["note"]
        if len(note) > MAX_NOTE:
            row.problem("note", f"a note is at most {MAX_NOTE} characters")
        for name in ("value", "note"):
            if control_character(row[name]):
                row.problem(name, CONTROL_CHARACTER_MESSAGE)
        parsed = None
        raw = row["value"]
        if question is not None and not any(p[1] == "state" for p in row.problems):
            if state is None and not raw:
                row.problem("value", "no value given: write one, or a state such as “not held”")
            else:
                try:
                    parsed = parse_for(question, raw, state)
                except FigureError as exc:
                    row.problem("value", str(exc))
        if parsed is not None and exemption and parsed.state is not AnswerState.REFUSED:
            row.problem("exemption", "an exemption goes only with a refused answer")
        foi_request = councils.request_for(authority.id) if authority is not None else None
        if foi_request is not None and question is not None:
            key = (foi_request.id, question.id)
            if key in seen:
                row.problem("question", f"{question.code} for {authority.short_name} is also at row {seen[key]}")
            else:
                seen[key] = row.number
            if len(councils.requests[authority.id]) > 1:
                several.add(authority.id)
        if row.problems:
            plan.errors.extend(row.problems)
            continue

        answer = existing.get(key)
        old = answer_content(answer)
        if old is not None:
            note = note or old["note"]
            if not exemption and parsed.state is AnswerState.REFUSED and old["state"] == AnswerState.REFUSED.value:
                exemption = old["exemption"]
        values = values_from(
            parsed,
            raw=raw,
            exemption=exemption,
            note=note,
            source_attachment_id=old["source_attachment_id"] if old else None,
            source_page=old["source_page"] if old else "",
        )
        new = content_of(values)
        if old is not None and all(old[k] == new[k] for k in CONTENT_FIELDS):
            plan.unchanged += 1
            continue
        plan.changes.append(
            Change(
                row.number,
                council_name(authority),
                foi_request.id,
                question.id,
                question.code,
                describe(question, old),
                describe(question, new),
                values,
                answer is None,
            )
        )

    for (text, authority_id), numbers in lenient.items():
        plan.lenient.append(f"{text!r} matched {council_name(councils.authorities[authority_id])} ({_rows(numbers)})")
    for authority_id in sorted(several, key=lambda i: councils.authorities[i].short_name):
        chosen = councils.request_for(authority_id)
        sent = f"sent {uk_date(chosen.sent_on)}" if chosen.sent_on else "not sent yet"
        plan.notes.append(
            f"{council_name(councils.authorities[authority_id])} has "
            f"{len(councils.requests[authority_id])} requests in this campaign: the figures go to "
            f"the latest sent, request #{chosen.id} ({sent})."
        )
    if plan.rows == 0 and not plan.errors:
        plan.errors.append((2, "(row)", "the file has a header but no rows of figures"))
    plan.errors.sort(key=lambda p: p[0])  # stable: a row's columns stay in order
    return plan


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return f"row{'' if len(numbers) == 1 else 's'} {shown}"


def apply_plan(
    session: Session, plan: ImportPlan, user_id: int | None, progress: Callable[[int, int], None] | None = None
) -> ImportPlan:
    """Write every change of a plan without errors, in one transaction: all or nothing
    (the caller commits, or rolls back on an error)."""
    if plan.errors:
        raise ImportFileError(plan.errors)
    questions = {q.id: q for q in campaign_questions(session, plan.campaign_id)}
    request_ids = sorted({c.request_id for c in plan.changes})
    existing = (
        {
            (a.request_id, a.question_id): a
            for a in session.scalars(select(Answer).where(Answer.request_id.in_(request_ids)))
        }
        if request_ids
        else {}
    )
    for done, change in enumerate(plan.changes, start=1):
        write_answer(
            session,
            request_id=change.request_id,
            question=questions[change.question_id],
            existing=existing.get((change.request_id, change.question_id)),
            values=change.values,
            user_id=user_id,
        )
        if progress and (done % 200 == 0 or done == len(plan.changes)):
            progress(done, len(plan.changes))
    session.flush()
    requests = session.scalars(select(FoiRequest).where(FoiRequest.id.in_(request_ids))).all() if request_ids else []
    sync_figures_entered(session, requests, user_id)
    plan.applied = True
    return plan


def import_figures(
    session: Session,
    campaign: Campaign,
    filename: str,
    data: bytes,
    user_id: int | None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
) -> ImportPlan:
    """Plan, and unless `dry_run` or the plan has errors, apply. Returns the plan (`applied` says which)."""
    plan = plan_import(session, campaign, filename, data, limits)
    if plan.ok and not dry_run and plan.changes:
        apply_plan(session, plan, user_id, progress)
    return plan
