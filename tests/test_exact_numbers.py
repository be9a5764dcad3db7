"""Figures read back exactly as stored, on both backends (models.figures.ExactNumber).

SQLite keeps a Numeric as a REAL; SQLAlchemy's own float -> Decimal("%.6f") read 987654321012.34
back as 987654321012.339966, so the two backends' reports disagreed on large money figures."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select

from fointracker.extensions import db
from fointracker.models.figures import ExactNumber

# What the app accepts: at most 15 significant digits (domain.figures.MAX_SIGNIFICANT_DIGITS).
figures = st.decimals(min_value=Decimal("-999999999999999"), max_value=Decimal("999999999999999"), places=2).filter(
    lambda d: len(d.as_tuple().digits) <= 15
) | st.decimals(min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=6)

_metadata = MetaData()
_probe = Table("exact_number_probe", _metadata, Column("id", Integer, primary_key=True), Column("v", ExactNumber()))


@pytest.fixture
def probe(app):
    """A one-column table of ExactNumber, dropped afterwards (no other test may see it)."""
    with app.app_context():
        _metadata.create_all(db.engine)
        yield db.engine
        _metadata.drop_all(db.engine)


def test_a_large_money_figure_reads_back_to_the_penny(probe):
    with probe.begin() as conn:
        conn.execute(insert(_probe), [{"v": Decimal("987654321012.34")}, {"v": None}])
        assert conn.execute(select(_probe.c.v).order_by(_probe.c.id)).scalars().all() == [
            Decimal("987654321012.34"),
            None,
        ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(figures, min_size=1, max_size=20))
def test_every_figure_reads_back_exactly(probe, values):
    with probe.begin() as conn:
        conn.execute(delete(_probe))
        conn.execute(insert(_probe), [{"v": v} for v in values])
        read = conn.execute(select(_probe.c.v).order_by(_probe.c.id)).scalars().all()
    assert read == values
    assert all(v.as_tuple().exponent == -6 for v in read)  # the column's 6 places, as before
