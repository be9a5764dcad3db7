"""A median in portable SQL: the same answer on SQLite and PostgreSQL (services.stats uses it).

Neither backend offers a median aggregate that the other understands (PostgreSQL has
`percentile_cont`, SQLite has nothing), so the median is built from window functions
both have had for years (SQLite 3.25+):

    SELECT g, AVG(v) FROM (
        SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn,
                     COUNT(*)     OVER (PARTITION BY g)            AS n
        FROM ... WHERE v IS NOT NULL) AS ranked
    WHERE 2 * rn BETWEEN n AND n + 2
    GROUP BY g

`2 * rn BETWEEN n AND n + 2` keeps the middle row when n is odd (2rn = n + 1) and the two
middle rows when n is even (2rn = n and 2rn = n + 2): the textbook median, with no
integer division whose rounding could differ between backends.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, Select, and_, cast, func, select
from sqlalchemy.sql import ColumnElement, FromClause


def median_select(
    value: ColumnElement,
    groups: Sequence[ColumnElement] = (),
    where: Sequence[ColumnElement] = (),
    from_: FromClause | None = None,
) -> Select:
    """A SELECT of one row per group: the group columns (labelled g0, g1, ...), `median`
    (a float) and `n` (how many non-null values it is the median of).

    Rows whose value is NULL are left out. Groups with no values have no row; without
    groups the one row has a NULL median when there are no values at all. `from_`
    names the FROM clause (a join) when the columns span tables; without it SQLAlchemy
    takes the tables the columns belong to. The result can be executed or combined
    (`union_all`, a subquery to join against).
    """
    partition = list(groups) or None
    ranked = select(
        *(group.label(f"g{i}") for i, group in enumerate(groups)),
        value.label("value"),
        func.row_number().over(partition_by=partition, order_by=value).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    )
    if from_ is not None:
        ranked = ranked.select_from(from_)
    ranked = ranked.where(value.is_not(None), *where).subquery("ranked")
    group_columns = [ranked.c[f"g{i}"] for i in range(len(groups))]
    return (
        select(*group_columns, func.avg(cast(ranked.c.value, Float)).label("median"), func.max(ranked.c.n).label("n"))
        .where(and_(2 * ranked.c.rn >= ranked.c.n, 2 * ranked.c.rn <= ranked.c.n + 2))
        .group_by(*group_columns)
    )
