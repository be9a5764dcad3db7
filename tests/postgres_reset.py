"""Emptying a worker's PostgreSQL database between tests (tests/conftest.py's _reset_postgres):
which tables a test wrote to, and how to empty them cheaply."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

_DELETE_ORDER: dict = {}  # per process: the tables, each before those it references (see empty_tables)


def register_stamp(conn) -> tuple:
    """What tells whether a test changed the council register: a digest of every row but its
    updated_at (the size and latest `updated_at` missed changes made under a pinned clock; with
    updated_at, every import of the same register would look different)."""
    return tuple(
        conn.execute(
            text(
                "SELECT count(*), md5(string_agg((to_jsonb(a) - 'updated_at')::text, '|' ORDER BY a.id)) FROM authority a"
            )
        ).one()
    )


def written_since_reset(conn, names: list[str]) -> list[str]:
    """Of `names`, the tables that hold a row or whose id sequence has moved since it was last
    restarted: only those need emptying (`empty_tables`). (Truncating all ~35 tables cost
    ~0.4 s a test, most of the PostgreSQL pass; a test writes to a few.)"""
    if not names:
        return []
    holding = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names)
    moved = (
        "SELECT t.relname FROM pg_class t JOIN pg_depend d ON d.refobjid = t.oid AND d.deptype IN ('a', 'i')"
        " JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S'"
        " JOIN pg_sequences s ON s.schemaname = current_schema() AND s.sequencename = q.relname"
        " WHERE s.last_value IS NOT NULL"
    )
    written = set(conn.execute(text(f"{holding} UNION {moved}")).scalars())
    return [n for n in names if n in written]


def _delete_order(conn) -> list[str] | None:
    """Every table of the schema, each before the tables its foreign keys reference; None if the
    keys go round in a cycle (a table referencing itself is fine: a DELETE checks at its end)."""
    if "order" not in _DELETE_ORDER:
        edges = conn.execute(
            text(
                "SELECT child.relname, parent.relname FROM pg_constraint c"
                " JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid"
                " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
            )
        ).all()
        sorter = TopologicalSorter({name: set() for name in inspect(conn).get_table_names()})
        for child, parent in edges:
            if child != parent:
                sorter.add(parent, child)  # the parent is emptied after the child
        try:
            _DELETE_ORDER["order"] = list(sorter.static_order())
        except CycleError:
            _DELETE_ORDER["order"] = None
    return _DELETE_ORDER["order"]


def empty_tables(conn, names: list[str]) -> None:
    """What TRUNCATE `names` RESTART IDENTITY CASCADE does, for the few rows a test writes at a
    fraction of its cost (~60 ms a test: TRUNCATE makes new files for each table and every one
    referencing it, cascading to dozens): DELETE, each table before those it references (any
    table that references them and holds a row is in `names`, see written_since_reset), then
    the tables' own sequences restarted. Should a DELETE fail (a cycle of keys), TRUNCATE it is."""
    order = _delete_order(conn)
    if order is not None and set(names) <= set(order):  # else a table came since (a migration test)
        savepoint = conn.begin_nested()
        try:
            for name in (n for n in order if n in names):
                conn.execute(text(f'DELETE FROM "{name}"'))
            conn.execute(
                text(
                    "SELECT setval(q.oid, s.seqstart, false) FROM pg_class t"
                    " JOIN pg_depend d ON d.refobjid = t.oid AND d.deptype IN ('a', 'i')"
                    " JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S' JOIN pg_sequence s ON s.seqrelid = q.oid"
                    " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:names)"
                ),
                {"names": list(names)},
            )
            savepoint.commit()
            return
        except DBAPIError:
            savepoint.rollback()
    conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
