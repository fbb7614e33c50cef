"""Where each source running inside `serve` has read to, and how its last read went.

A source's position is saved with `save_position` on the connection of the
write that stores the records it covers (`store.writer.writing`): both commit
together or neither does. The status columns (last read, last error) are
written apart, as they change: they say how the source is, not what it holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.schema import source_positions


@dataclass(frozen=True)
class SourceRow:
    source: str
    kind: str
    position: dict[str, Any] | None
    committed_us: int | None
    last_read_us: int | None
    last_error: str | None
    error_us: int | None


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def load_position(conn: Connection, source: str) -> dict[str, Any] | None:
    """The source's committed position, or None if it never committed one."""
    c = source_positions.c
    text = conn.execute(select(c.position).where(c.source == source)).scalar_one_or_none()
    return None if text is None else dict(json.loads(text))


def save_position(
    conn: Connection, source: str, kind: str, position: dict[str, Any], now_us: int
) -> None:
    """Set the source's position inside the caller's transaction (the records' own)."""
    text = json.dumps(position, sort_keys=True, separators=(",", ":"))
    statement = _insert(conn)(source_positions).values(
        source=source, kind=kind, position=text, committed_us=now_us
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source"],
            set_={"kind": kind, "position": text, "committed_us": now_us},
        )
    )


def save_status(
    engine: Engine, source: str, kind: str, last_read_us: int | None, error: str | None, now_us: int
) -> None:
    """Record how the source's last read went (its position is left as it is)."""
    values: dict[str, Any] = {"kind": kind, "last_error": error}
    if error is None:
        values["error_us"] = None
        if last_read_us is not None:
            values["last_read_us"] = last_read_us
    else:
        values["error_us"] = now_us
    with engine.begin() as conn:
        statement = _insert(conn)(source_positions).values(source=source, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["source"], set_=values))


def read_sources(engine: Engine) -> dict[str, SourceRow]:
    """Every source that ever read or failed, by name."""
    c = source_positions.c
    with engine.connect() as conn:
        rows = conn.execute(select(source_positions).order_by(c.source)).all()
    return {
        r.source: SourceRow(
            r.source,
            r.kind,
            None if r.position is None else json.loads(r.position),
            r.committed_us,
            r.last_read_us,
            r.last_error,
            r.error_us,
        )
        for r in rows
    }
