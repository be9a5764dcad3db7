"""the report's counted answers: a partial index of the answers that are not a plain figure

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 22:45:00

ix_answer_request_counted: answer(request_id) for the answers the report counts in the database
rather than reading their figure (models.figures.counted_in_sql; services.report_answers.
counts_statement): about one answer in seven, so counting them no longer visits every answer of the
campaign (benchmarks/bench_report.py: the statement 9 → 3 ms on PostgreSQL).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# As models.figures.counted_in_sql() on the day this was written: a migration keeps its own copy.
COUNTED_IN_SQL = (
    "state NOT IN ('provided', 'estimate') OR value_number IS NULL OR value_bool IS NOT NULL OR value_text <> ''"
)


def upgrade():
    op.create_index(
        "ix_answer_request_counted",
        "answer",
        ["request_id"],
        postgresql_where=sa.text(COUNTED_IN_SQL),
        sqlite_where=sa.text(COUNTED_IN_SQL),
    )


def downgrade():
    op.drop_index("ix_answer_request_counted", table_name="answer")
