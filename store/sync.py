"""Copies the registry into SQL, so people querying the store see names beside codes.

The YAML stays the source of truth: this copy is replaced wholesale on every sync.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert

from registry import Registry
from store.province import check_province
from store.schema import DepartmentRow, ObligationRow, SystemRow


def sync_registry(engine: Engine, registry: Registry) -> None:
    """Replace the stored copy of departments, systems and obligations with the registry's.

    Every command that brings a registry to a store comes here first, so this is
    where a store refuses another province's registry (`store.province`).
    """
    with engine.begin() as conn:
        check_province(conn, registry)
        for table in (ObligationRow, DepartmentRow, SystemRow):
            conn.execute(delete(table))
        if registry.departments:
            conn.execute(
                insert(DepartmentRow),
                [
                    {
                        "code": d.code,
                        "name": d.name,
                        "since": d.since,
                        "until": d.until,
                        "merged_into": d.merged_into,
                    }
                    for d in registry.departments
                ],
            )
        if registry.systems:
            conn.execute(
                insert(SystemRow),
                [
                    {
                        "code": s.code,
                        "name": s.name,
                        "owner": s.owner,
                        "since": s.since,
                        "until": s.until,
                        "merged_into": s.merged_into,
                    }
                    for s in registry.systems
                ],
            )
        if registry.obligations:
            conn.execute(
                insert(ObligationRow),
                [
                    {
                        "department": o.department,
                        "system": o.system,
                        "kind": o.kind,
                        "basis": o.basis,
                        "since": o.since,
                        "until": o.until,
                        "min_daily_successes": o.min_daily_successes,
                        "target_ratio": o.target_ratio,
                        "derived": o.derived,
                    }
                    for o in registry.obligations
                ],
            )
