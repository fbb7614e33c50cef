"""Copies the registry into SQL, so people querying the store see names beside codes.

The YAML stays the source of truth: a table whose copy differs from it in any way is
replaced wholesale on every sync; one that holds exactly its rows is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from registry import Registry
from store.province import check_province
from store.schema import DepartmentRow, ObligationRow, SystemRow

DEPARTMENT_COLUMNS = ("code", "name", "since", "until", "merged_into")
SYSTEM_COLUMNS = ("code", "name", "owner", "since", "until", "merged_into")
OBLIGATION_COLUMNS = (
    "department",
    "system",
    "kind",
    "basis",
    "since",
    "until",
    "min_daily_successes",
    "target_ratio",
    "derived",
)


def sync_registry(engine: Engine, registry: Registry) -> None:
    """Replace the stored copy of departments, systems and obligations with the registry's.

    Every command that brings a registry to a store comes here first, so this is
    where a store refuses another province's registry (`store.province`).
    """
    departments = list(map(attrgetter(*DEPARTMENT_COLUMNS), registry.departments))
    systems = list(map(attrgetter(*SYSTEM_COLUMNS), registry.systems))
    obligations = list(map(attrgetter(*OBLIGATION_COLUMNS), registry.obligations))
    with engine.begin() as conn:
        check_province(conn, registry)
        # Codes are the departments' and systems' keys: their rows compare as sets. The
        # obligations compare in registry order (the order they were inserted in).
        if set(_stored(conn, DepartmentRow, DEPARTMENT_COLUMNS)) != set(departments):
            _replace(conn, DepartmentRow, DEPARTMENT_COLUMNS, departments)
        if set(_stored(conn, SystemRow, SYSTEM_COLUMNS)) != set(systems):
            _replace(conn, SystemRow, SYSTEM_COLUMNS, systems)
        # A restart with the same registry (most starts) rewrote 100,000 obligations
        # for nothing: reading them to compare takes a third of that.
        order = ObligationRow.id
        if _stored(conn, ObligationRow, OBLIGATION_COLUMNS, order) != obligations:
            _replace(conn, ObligationRow, OBLIGATION_COLUMNS, obligations)


def _stored(
    conn: Connection, table: Any, columns: Sequence[str], order: Any = None
) -> list[tuple[Any, ...]]:
    query = select(*(getattr(table, c) for c in columns))
    if order is not None:
        query = query.order_by(order)
    return [tuple(row) for row in conn.execute(query)]


def _replace(
    conn: Connection, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    conn.execute(delete(table))
    if rows:
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
