"""Portable SQL building blocks for statistics: the same answers on SQLite and PostgreSQL.

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
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Float, Select, and_, case, cast, func, literal, literal_column, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import array as pg_array
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


def percentage(part: int | None, whole: int | None) -> float | None:
    """part as a percentage of whole; None when there is no base to divide by."""
    if not whole:
        return None
    return 100.0 * (part or 0) / whole


# ---------------------------------------------------------------- percentiles (quartiles)
#
# Interpolated percentiles, the definition PostgreSQL's `percentile_cont`, numpy's default,
# Excel's QUARTILE.INC and Python's `statistics.quantiles(method="inclusive")` share: for n
# sorted values v1..vn and a fraction p, the position is h = 1 + p(n - 1) and the percentile
# is v[floor h] + (h - floor h)(v[ceil h] - v[floor h]). With p = num/den the rows needed are
# those whose 0-based rank r = rn - 1 lies strictly within one step of p(n - 1):
#
#     |den * (rn - 1) - num * (n - 1)| < den
#
# (one row when p(n - 1) is whole, the two either side of it when it is not): integer
# arithmetic only, so both backends pick the same rows. The database sorts and numbers the
# values and returns only those few rows per group; the interpolation is finished in Python,
# in Decimal, on them.


def percentile_select(
    value: ColumnElement,
    fractions: Sequence[Fraction],
    groups: Sequence[ColumnElement] = (),
    where: Sequence[ColumnElement] = (),
    from_: FromClause | None = None,
    carry: Sequence[ColumnElement] = (),
) -> Select:
    """A SELECT of the rows each percentile in `fractions` needs, per group: the group
    columns (labelled g0, g1, ...), `value`, `rn` (its 1-based rank), `n` (the group's
    number of non-null values) and the `carry` columns (labelled by the caller), which come
    along with their row (e.g. the two figures a percentage change was computed from).

    Rows whose value is NULL are left out; a group without values has no rows. Combine
    with `interpolate_percentiles`.
    """
    partition = list(groups) or None
    ranked = select(
        *(group.label(f"g{i}") for i, group in enumerate(groups)),
        value.label("value"),
        *carry,
        func.row_number().over(partition_by=partition, order_by=value).label("rn"),
        # The same window as the rank's, over the whole partition: one sort serves both.
        func.count().over(partition_by=partition, order_by=value, rows=(None, None)).label("n"),
    )
    if from_ is not None:
        ranked = ranked.select_from(from_)
    ranked = ranked.where(value.is_not(None), *where).subquery("ranked")
    wanted = []
    for num, den in _fraction_terms(fractions):
        offset = den * (ranked.c.rn - 1) - num * (ranked.c.n - 1)
        wanted.append(and_(offset > -den, offset < den))
    return select(*ranked.c).where(or_(*wanted))


def percentile_arrays_select(
    value: ColumnElement,
    fractions: Sequence[Fraction],
    keys: Sequence[ColumnElement],
    groupings: Sequence[tuple[str, ColumnElement | None]],
    from_: FromClause,
    where: Sequence[ColumnElement] = (),
    carry: Sequence[ColumnElement] = (),
) -> Select:
    """PostgreSQL only: the rows `percentile_select` picks, for several groupings in one pass.

    `groupings` are (label, column) pairs: percentiles per `keys` and that column, or per
    `keys` alone when the column is None. One GROUP BY GROUPING SETS sorts each group's
    values into an array (`array_agg(value ORDER BY value)`; numeric stays numeric, so
    exact), and only the elements at the ranks the percentiles use (the floor and ceiling of
    1 + p(n - 1)) come back. Columns: g0 (the grouping's label), g1 (the group's value of
    its column, '' for the grouping without one), g2.. (the keys), value, rn, n and the
    `carry` columns, whose arrays are sorted by (value, *carry) so ties line up across them.
    The rows are those of a UNION ALL of `percentile_select`s, one per grouping, at about a
    third of the cost there: one pass instead of a window sort per grouping that numbers
    every row. Combine with `interpolate_percentiles`.
    """
    columns = [column for _label, column in groupings if column is not None]

    def absent_bits(column) -> int:
        """What grouping(*columns) is in the grouping set of `column`: a bit for each other one."""
        return sum(1 << (len(columns) - 1 - i) for i, other in enumerate(columns) if other is not column)

    present = func.grouping(*columns) if columns else literal(0)
    by_column = [(name, column, present == absent_bits(column)) for name, column in groupings if column is not None]
    label = case(
        *((is_set, literal(name)) for name, _column, is_set in by_column),
        else_=literal(next((name for name, column in groupings if column is None), "")),
    )
    group_value = case(*((is_set, column) for _name, column, is_set in by_column), else_=literal_column("''"))
    order = [value, *carry]
    grouped = (
        select(
            label.label("g0"),
            group_value.label("g1"),
            *(key.label(f"g{i + 2}") for i, key in enumerate(keys)),
            func.count().label("n"),
            *(
                func.array_agg(aggregate_order_by(column, *order)).label(f"a{i}")
                for i, column in enumerate((value, *carry))
            ),
        )
        .select_from(from_)
        .where(value.is_not(None), *where)
        .group_by(
            func.grouping_sets(
                *(tuple_(*keys, *([column] if column is not None else [])) for _name, column in groupings)
            )
        )
        .subquery("sorted_groups")
    )
    n = grouped.c.n
    ranks = []
    for num, den in _fraction_terms(fractions):
        ranks += [1 + (num * (n - 1)) // den, 1 + (num * (n - 1) + den - 1) // den]
    wanted = func.unnest(pg_array(ranks)).table_valued("rn").render_derived("wanted")  # sees the row before it
    rank = wanted.c.rn
    return (
        select(
            grouped.c.g0,
            grouped.c.g1,
            *(grouped.c[f"g{i + 2}"] for i in range(len(keys))),
            grouped.c.a0[rank].label("value"),
            rank.label("rn"),
            n,
            *(grouped.c[f"a{i + 1}"][rank].label(column.key) for i, column in enumerate(carry)),
        )
        .select_from(grouped)
        .join(wanted, true())
    )


def _fraction_terms(fractions: Sequence[Fraction]) -> list[tuple[int, int]]:
    """(numerator, denominator) of each fraction, checked to be a percentile."""
    terms = []
    for fraction in map(Fraction, fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"a percentile is a fraction from 0 to 1, not {fraction}")
        terms.append((fraction.numerator, fraction.denominator))
    return terms


def interpolate_percentiles(
    rows, fractions: Sequence[Fraction], width: int = 0, value_of=None
) -> dict[tuple, tuple[Decimal, ...]]:
    """{group (the first `width` columns, g0.., as a tuple): the percentiles, in the order of
    `fractions`} from the rows of a `percentile_select` (or any SQLAlchemy rows that start
    with the group columns and have rn and n). `value_of(row)` gives a row's value (default:
    `row.value`); floats become Decimals through their shortest repr."""
    by_group: dict[tuple, dict[int, object]] = {}
    sizes: dict[tuple, int] = {}
    rn_at = n_at = None
    for row in rows:
        if rn_at is None:  # positions, not names: plain tuples are several times faster to read
            rn_at, n_at = row._fields.index("rn"), row._fields.index("n")
        data = tuple(row)
        key = data[:width]
        ranks = by_group.get(key)
        if ranks is None:
            ranks = by_group[key] = {}
            sizes[key] = int(data[n_at])
        ranks[int(data[rn_at])] = row  # the value is read only from the rows the percentiles use
    terms = _fraction_terms(fractions)

    def value(row) -> Decimal:
        found = value_of(row) if value_of else row.value
        return found if isinstance(found, Decimal) else Decimal(str(found))

    def percentile(ranks: dict[int, object], n: int, num: int, den: int) -> Decimal:
        low, step = divmod(num * (n - 1), den)  # 0-based rank below the position, and how far past it
        below = value(ranks[low + 1])
        return below if step == 0 else below + (value(ranks[low + 2]) - below) * step / den

    return {
        key: tuple(percentile(ranks, sizes[key], num, den) for num, den in terms) for key, ranks in by_group.items()
    }


QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))
