"""What a mapping's rules find in one returned file, kept for the accept that follows its preview.

Accepting writes what the preview showed, so it applies the same rules to the same files again.
Reading a council's spreadsheet is most of that work (bench_mappings: accepting 150 files
re-read them all and doubled the time), so each file's findings are kept, keyed by the file's
content (its SHA-256) and the rules: a key can never go stale, and a host that did not show the
preview (several web hosts share only the database) simply reads the file again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from ..domain.file_mappings import Found, Missing, Rule, apply_rules
from ..domain.units import Unit
from ..file_tables import TablesError
from ..models import Attachment
from .file_figures import read_file

KEPT = 400  # files' findings kept per process: a preview of MAX_FILES files and its accept, twice over


@dataclass(frozen=True)
class FileFindings:
    found: list[Found | Missing] = field(default_factory=list)  # one per rule, in the rules' order
    grid_units: dict[str, Unit | None] = field(default_factory=dict)  # the unit each finding's grid states
    problem: str = ""  # the file could not be read: why (then `found` is empty)


_kept: OrderedDict[tuple, FileFindings] = OrderedDict()
_lock = threading.Lock()


def findings(session, attachment: Attachment, rules: tuple[Rule, ...], store) -> FileFindings:
    """The rules applied to the attachment's tables (TablesError's reason in `problem`)."""
    suffix = attachment.original_name.rpartition(".")[2].lower()  # the reader depends on the file type
    key = (attachment.sha256, suffix, rules)
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
            return kept
    try:
        tables = read_file(session, attachment, store)
    except TablesError as exc:
        result = FileFindings(problem=str(exc))
    else:
        found = apply_rules(tables, rules)
        units = {}
        for finding in found:
            if isinstance(finding, Found):
                grid = tables.grid(finding.grid_key)
                units[finding.grid_key] = grid.unit if grid is not None else None
        result = FileFindings(found, units)
    with _lock:
        _kept[key] = result
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return result


def forget() -> None:
    """Drop what is kept (tests)."""
    with _lock:
        _kept.clear()
