"""A request's history (its audit entries) in words. Pure module.

The audit trail stores each change as the fields' values before and after (services.audit).
The request page had shown them as raw JSON (#19); here each entry becomes a headline
("Event added: Acknowledged, Mon 2 Mar 2026") and one line per changed field ("Status:
Awaiting response → Responded"). A long text (the letter, a note) is not shown whole
twice: it says "edited", with a word diff to open on demand.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from .deadlines import format_uk_date
from .lifecycle import EventKind, Outcome, Status

FIELD_LABELS = {
    "campaign_id": "Campaign",
    "authority_id": "Council",
    "regime": "Regime",
    "subject": "Subject",
    "council_reference": "Council's reference",
    "owner_id": "Owner",
    "status": "Status",
    "outcome": "Outcome",
    "sent_on": "Sent",
    "received_on": "Received",
    "last_chased_on": "Last chased",
    "response_due_on": "Response due",
    "deferred_due_on": "Due if the council defers receipt",
    "very_overdue_on": "Very overdue after",
    "review_due_on": "Internal review due",
    "clock_paused": "Clock paused",
    "responded_on": "Responded",
    "responded_on_time": "Answered on time",
    "response_working_days": "Working days to respond",
    "figures_entered": "Figures entered",
    "request_id": "Request",
    "kind": "Step",
    "occurred_on": "Date",
    "reason": "Reason",
}
LONG_TEXTS = {"body": "Letter", "note": "Note"}
# Stored beside the changes to say what they were about, not changes themselves.
CONTEXT_FIELDS = frozenset({"event_id", "mail_message_id", "details"})
ACTION_HEADLINES = {
    "created": "Request created",
    "updated": "Request edited",
    "event added": "Step added",
    "event edited": "Step edited",
    "event removed": "Step removed",
    "mail filed": "Mail filed here",
    "mail dismissed": "Mail dismissed",
}
MAX_DIFF_WORDS = 5000  # a letter is a few hundred words; difflib is quadratic at worst
_WORDS = re.compile(r"\s+|\S+")


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    # For a long text: its word diff, ("same" | "del" | "ins", text) pieces, shown on demand.
    diff: tuple[tuple[str, str], ...] = ()

    @property
    def sentence(self) -> str:
        if self.diff:
            return f"{self.label} edited"
        if not self.before:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after or '(none)'}"


@dataclass(frozen=True)
class HistoryEntry:
    headline: str
    changes: tuple[Change, ...]


Names = Callable[[str, object], str | None]  # (field, stored id) -> a name, e.g. a council's or a user's


def describe(action: str, before: Mapping | None, after: Mapping | None, names: Names) -> HistoryEntry:
    """One audit entry as a headline and its changes, in words."""
    before, after = dict(before or {}), dict(after or {})
    headline = ACTION_HEADLINES.get(action, action.capitalize())
    if action.startswith("event"):
        step = after if action != "event removed" else before
        kind, day = step.get("kind"), step.get("occurred_on")
        if kind:
            headline += f": {_show('kind', kind, names)}" + (f", {_show('occurred_on', day, names)}" if day else "")
    elif action == "mail filed" and after.get("subject"):
        headline += f": “{after['subject']}”"
    changes = []
    fields = [
        f
        for f in dict.fromkeys([*before, *after])
        if (f not in CONTEXT_FIELDS and f != "subject") or _is_edit(action, f)
    ]
    for field in fields:
        old, new = before.get(field), after.get(field)
        if action == "created":
            if new in (None, "", False) or field in ("campaign_id",):
                continue
        elif old == new:
            continue
        if field in LONG_TEXTS:
            changes.append(_text_change(LONG_TEXTS[field], old or "", new or ""))
        else:
            changes.append(Change(_label(field), _show(field, old, names), _show(field, new, names)))
    return HistoryEntry(headline, tuple(changes))


def _is_edit(action: str, field: str) -> bool:
    """A request's subject is a change when the request was created or edited (mail's subject is context)."""
    return field == "subject" and action in ("created", "updated")


def _label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def _show(field: str, value, names: Names) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.endswith("_id"):
        return names(field, value) or f"#{value}"
    if field == "status":
        return _enum_label(Status, value)
    if field == "outcome":
        return _enum_label(Outcome, value)
    if field == "kind":
        return _enum_label(EventKind, value)
    if field == "regime":
        return str(value).upper()
    if field.endswith("_on") and isinstance(value, str):
        try:
            return format_uk_date(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _enum_label(enum, value) -> str:
    try:
        return enum(value).label
    except ValueError:
        return str(value)


def _text_change(label: str, old: str, new: str) -> Change:
    if not old:
        return Change(label, "", "written", ())
    if not new:
        return Change(label, "", "removed", ())
    return Change(label, "", "", word_diff(old, new))


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """The words removed and added between two texts, whitespace kept: ("same" | "del" | "ins", text)."""
    a, b = _WORDS.findall(old)[:MAX_DIFF_WORDS], _WORDS.findall(new)[:MAX_DIFF_WORDS]
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return tuple(pieces) or (("same", ""),)
