from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    or_,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator

from .. import clock
from ..extensions import db
from .campaign import Campaign
from .foi_request import Attachment, FoiRequest
from .user import User

_SIX_PLACES = Decimal("0.000001")


class _TextOnSqlite(ColumnElement):
    """A figure column as selected: CAST(... AS TEXT) on SQLite, itself elsewhere."""

    inherit_cache = True

    def __init__(self, clause):
        self.clause = clause
        self.type = clause.type


@compiles(_TextOnSqlite)
def _as_is(element, compiler, **kw):
    return compiler.process(element.clause, **kw)


@compiles(_TextOnSqlite, "sqlite")
def _as_text(element, compiler, **kw):
    return f"CAST({compiler.process(element.clause, **kw)} AS TEXT)"


def _exact_sqlite_number(value):
    if isinstance(value, str):
        return Decimal(value).quantize(_SIX_PLACES)
    return None if value is None else Decimal(f"{value:.6f}")  # not selected through the CAST


class ExactNumber(TypeDecorator):
    """Numeric(24, 6) that reads back exactly on SQLite too. SQLite keeps it as a REAL, and
    SQLAlchemy's float -> Decimal("%.6f") misreads large figures (987654321012.34 comes back as
    987654321012.339966); SQLite's own text form of the REAL (15 significant digits) is exact for
    every figure the app accepts (domain.figures.MAX_SIGNIFICANT_DIGITS). PostgreSQL: numeric, as is."""

    impl = Numeric(24, 6)
    cache_ok = True

    def column_expression(self, column):
        return _TextOnSqlite(column)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            return _exact_sqlite_number
        return super().result_processor(dialect, coltype)


# Exact decimals: money to the penny and beyond, never floats.
NUMBER = ExactNumber()


def exact_figure(column) -> ColumnElement:
    """A figure column read for arithmetic: SQLite's exact text of it, PostgreSQL's numeric, for
    Decimal() to take either. ExactNumber's own reading also rescales every value to six places,
    as PostgreSQL shows them, which sums and quartiles don't need: a third of the report's read on
    SQLite (benchmarks/bench_report.py)."""
    return type_coerce(_TextOnSqlite(column), String)


class Question(db.Model):
    """One question a campaign asks every council (e.g. "Adult social-care budget 2010/11")."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("campaign_id", "code", name="uq_question_campaign_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # short, stable: used in imports and exports
    label: Mapped[str] = mapped_column(String(300))
    qtype: Mapped[str] = mapped_column(String(12))  # money, count, decimal, percentage, yes_no, choice, text
    period_label: Mapped[str] = mapped_column(String(20), default="")  # e.g. 2010/11
    pair_group: Mapped[str] = mapped_column(String(40), default="")  # two questions sharing it: before/after
    choices: Mapped[list | None] = mapped_column(JSON)  # for "choice"
    help_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship()


class Answer(db.Model):
    """What one council said to one question: a state, and a value where there is one."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("request_id", "question_id", name="uq_answer_request_question"),
        Index("ix_answer_question_state", "question_id", "state"),
        # ix_answer_request_counted: after the class, from counted_in_sql().
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("foi_request.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    # provided, estimate, not_held, not_collected, refused, not_applicable
    state: Mapped[str] = mapped_column(String(16))
    value_number: Mapped[Decimal | None] = mapped_column(NUMBER)  # money, count, decimal, percentage
    bound_low: Mapped[Decimal | None] = mapped_column(NUMBER)  # suppressed values such as "<5": a range
    bound_high: Mapped[Decimal | None] = mapped_column(NUMBER)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_text: Mapped[str] = mapped_column(Text, default="")  # text and choice answers
    raw: Mapped[str] = mapped_column(String(200), default="")  # as typed or imported, for checking
    exemption: Mapped[str] = mapped_column(String(20), default="")  # when refused
    source_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    source_page: Mapped[str] = mapped_column(String(40), default="")
    # Provenance of a figure taken from a file (#17, migration 0017): source_attachment_id is the
    # document; source_sheet the sheet, or "Page 2, table 1", or "Table 1"; source_cell the cell
    # ("C7") or table position ("row 3, column 2"); raw the cell's text; source_unit the unit
    # applied ("thousands": the cell said 1,234 under "£000s", the value is 1234000).
    source_sheet: Mapped[str] = mapped_column(String(120), default="", server_default="")
    source_cell: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source_unit: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The saved mapping that took it (file_mapping.id). No foreign key: SQLite cannot add one to an
    # existing table without rebuilding it; services.file_mappings clears it when a mapping goes.
    source_mapping_id: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    request: Mapped[FoiRequest] = relationship()
    question: Mapped[Question] = relationship()
    source: Mapped[Attachment | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


class FileMapping(db.Model):
    """Where a council's file keeps each answer (#17): saved from what a person did on one file and
    applied to other councils' files. `rules` is a list of
    {"question": code, "by": "cell", "sheet": title, "cell": "C7"} or
    {"question": code, "by": "label", "label": "net budget 2010/11", "direction": "right" | "below"}
    (domain.file_mappings). authority_id: a council's own layout, reused by its files in later
    campaigns (questions matched by code); NULL: the campaign's general mapping."""

    __tablename__ = "file_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="")  # "" = as each file says / the person confirms
    rules: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)


class SecondEntry(db.Model):
    """Double entry (#17): a second person's blind entry of one answer, compared with the Answer.
    A mismatch waits for a third person, who settles it (settled_by_id, settled_at); the report
    states how many figures were double-entered."""

    __tablename__ = "second_entry"
    __table_args__ = (UniqueConstraint("request_id", "question_id", name="uq_second_entry_request_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("foi_request.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    value_number: Mapped[Decimal | None] = mapped_column(NUMBER)
    bound_low: Mapped[Decimal | None] = mapped_column(NUMBER)
    bound_high: Mapped[Decimal | None] = mapped_column(NUMBER)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_text: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(String(200), default="")
    exemption: Mapped[str] = mapped_column(String(20), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def sql_word(word: str) -> ColumnElement:
    """A fixed word of the domain (an answer state, the empty text) written into a statement instead
    of bound. A partial index's predicate is matched only so (ix_answer_request_counted), and the
    report's statements run faster so (benchmarks/bench_report.py: the figures' read 18 -> 16 ms)."""
    assert re.fullmatch(r"[a-z_]*", word), word  # never anything a quote could end
    return literal_column(f"'{word}'")


def counted_in_sql() -> ColumnElement:
    """The answers the report counts in the database instead of reading their figure
    (services.report_answers.counts_statement): all but a plain figure, provided or estimated,
    with no yes/no and no text besides. Its words are written in (`sql_word`), as in the index."""
    a = Answer
    return or_(
        a.state.not_in([sql_word("provided"), sql_word("estimate")]),
        a.value_number.is_(None),
        a.value_bool.is_not(None),
        a.value_text != sql_word(""),
    )


# Exactly the answers counted_in_sql() asks for: a campaign's 3,700 of 24,000 (benchmarks/bench_report.py).
Index(
    "ix_answer_request_counted",
    Answer.request_id,
    postgresql_where=counted_in_sql(),
    sqlite_where=counted_in_sql(),
)
