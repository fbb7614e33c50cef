"""Reading stored records themselves (not the rollup): the evidence behind one day.

The transactions table has no time index (each one would slow every import), so
these reads are for one pair's day or one system's office hours, on demand.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select, tuple_

from store.schema import transactions
from store.writer import from_us, to_us


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One stored transaction record, as a person checking a figure wants to see it."""

    ts: datetime  # UTC
    department: str
    system: str
    success: bool
    source: str
    record_id: str | None
    detail: str | None
    latency_ms: float | None


def _where(
    start: datetime, end: datetime, department: str | None, system: str | None
) -> list[ColumnElement[bool]]:
    c = transactions.c
    where: list[ColumnElement[bool]] = [c.ts_us >= to_us(start), c.ts_us < to_us(end)]
    if department is not None:
        where.append(c.department == department)
    if system is not None:
        where.append(c.system == system)
    return where


def records_between(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    department: str | None = None,
    system: str | None = None,
    limit: int | None = None,
) -> list[StoredRecord]:
    """Records with start <= ts < end (of one department and/or system), oldest first."""
    c = transactions.c
    query = (
        select(
            c.ts_us,
            c.department,
            c.system,
            c.success,
            c.source,
            c.record_id,
            c.detail,
            c.latency_ms,
        )
        .where(*_where(start, end, department, system))
        .order_by(c.ts_us, c.id)
        .limit(limit)
    )
    return [
        StoredRecord(from_us(ts), d, s, bool(ok), src, rid, detail, latency)
        for ts, d, s, ok, src, rid, detail, latency in conn.execute(query)
    ]


def count_between(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    department: str | None = None,
    system: str | None = None,
) -> int:
    query = (
        select(func.count())
        .select_from(transactions)
        .where(*_where(start, end, department, system))
    )
    return int(conn.execute(query).scalar_one())


def latest_failures(
    conn: Connection, start: datetime, end: datetime, department: str, system: str, limit: int
) -> list[StoredRecord]:
    """The pair's latest failed records with start <= ts < end, newest first."""
    c = transactions.c
    query = (
        select(c.ts_us, c.source, c.record_id, c.detail, c.latency_ms)
        .where(*_where(start, end, department, system), c.success.is_(False))
        .order_by(c.ts_us.desc(), c.id.desc())
        .limit(limit)
    )
    return [
        StoredRecord(from_us(ts), department, system, False, src, rid, detail, latency)
        for ts, src, rid, detail, latency in conn.execute(query)
    ]


IDS_PER_QUERY = 500  # (department, record_id) pairs per statement: well under any bind limit


def stored_ids(conn: Connection, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (department, record_id) pairs are stored: read through the idempotency
    index, never a scan (a new probe leader asks this of the slots it inherits)."""
    c = transactions.c
    wanted = list(keys)
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[start : start + IDS_PER_QUERY]
        query = select(c.department, c.record_id).where(
            tuple_(c.department, c.record_id).in_(chunk)
        )
        found.update((d, rid) for d, rid in conn.execute(query))
    return found
