"""Which scheduled exports were written, kept in the store so that instances sharing it
write each period once, whatever their exports folders."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.schema import store_meta

PREFIX = "exported:"


def exported_periods(engine: Engine) -> set[str]:
    """The periods (`2026-10`, `2026-Q4`) some instance of this store has written."""
    with engine.connect() as conn:
        keys = conn.execute(
            select(store_meta.c.key).where(store_meta.c.key.startswith(PREFIX))
        ).scalars()
        return {k.removeprefix(PREFIX) for k in keys}


def mark_exported(engine: Engine, period: str, written_at: str) -> None:
    """Record that `period`'s exports are written (the first record stays)."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as conn:
        conn.execute(
            insert(store_meta)
            .values(key=PREFIX + period, value=written_at)
            .on_conflict_do_nothing()
        )
