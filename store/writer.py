"""The one write path into the store, whatever a transaction's source.

Records are inserted idempotently on (department, id) and the daily rollup and
the per-pair totals are updated from exactly the rows that were new, in the
same database transaction, so neither ever disagrees with the records and a
retry never counts twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.records import Transaction
from store.schema import daily_counts, store_meta, transactions

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
BATCH = 2000  # records per statement
# Rollup deltas are summed in memory across a whole database transaction (an
# import file is one) and written at the end, or when this many keys pile up.
ROLLUP_KEYS = 50_000
INSERT_SQLITE = (
    "INSERT INTO transactions (department, system, ts_us, success, latency_ms,"
    " record_id, source, detail, received_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (department, record_id) DO NOTHING"
)


def to_us(ts: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    return (ts - EPOCH) // MICRO


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass
class WriteResult:
    accepted: int = 0
    duplicates: int = 0
    # Of the duplicates, those whose stored record has another system, time or
    # outcome: an id reused for a different transaction, not a retry.
    conflicts: int = 0
    # What the new rows added, per (department, system, source, success): for
    # anything that keeps running totals (the metrics exporter).
    added: dict[tuple[str, str, str, bool], int] = field(default_factory=dict)

    def merge(self, other: WriteResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        for k, v in other.added.items():
            self.added[k] = self.added.get(k, 0) + v


class TransactionWriter:
    """Writes batches of transactions inside one open database transaction."""

    def __init__(self, conn: Connection, tz: ZoneInfo, clock: Callable[[], float] = time.time):
        self._conn = conn
        self._tz = tz
        self._clock = clock
        self._postgres = conn.dialect.name == "postgresql"
        self._staging_ready = False
        self._rollup: dict[tuple[str, str, date, str], list[Any]] = {}

    def write(self, batch: Sequence[Transaction]) -> WriteResult:
        """Store a batch; records whose (department, id) is already stored are duplicates."""
        result = WriteResult()
        for start in range(0, len(batch), BATCH):
            chunk = batch[start : start + BATCH]
            stamps = [to_us(t.ts) for t in chunk]
            insert = self._insert_postgres if self._postgres else self._insert_sqlite
            new = insert(chunk, stamps)
            self._roll_up(chunk, stamps, new)
            result.accepted += len(new)
            result.duplicates += len(chunk) - len(new)
            if len(new) < len(chunk):
                result.conflicts += self._conflicts(chunk, stamps, new)
            for i in new:
                t = chunk[i]
                key = (t.department, t.system, t.source, t.success)
                result.added[key] = result.added.get(key, 0) + 1
        return result

    def _conflicts(self, chunk: Sequence[Transaction], stamps: list[int], new: list[int]) -> int:
        """How many of the chunk's duplicates differ from the record stored under their id."""
        fresh = set(new)
        repeats = [i for i in range(len(chunk)) if i not in fresh and chunk[i].record_id]
        wanted: dict[str, set[str]] = {}
        for i in repeats:
            wanted.setdefault(chunk[i].department, set()).add(str(chunk[i].record_id))
        stored: dict[tuple[str, str], tuple[str, int, bool]] = {}
        t = transactions.c
        for department, ids in wanted.items():
            listed = sorted(ids)
            for start in range(0, len(listed), 500):  # SQLite's bound-parameter limit
                rows = self._conn.execute(
                    select(t.record_id, t.system, t.ts_us, t.success).where(
                        t.department == department, t.record_id.in_(listed[start : start + 500])
                    )
                )
                for record_id, system, ts_us, success in rows:
                    stored[(department, record_id)] = (system, ts_us, bool(success))
        return sum(
            1
            for i in repeats
            if stored.get((chunk[i].department, str(chunk[i].record_id)))
            not in (None, (chunk[i].system, stamps[i], chunk[i].success))
        )

    def _rows(
        self, chunk: Sequence[Transaction], stamps: list[int], which: Iterable[int]
    ) -> list[tuple[Any, ...]]:
        received = int(self._clock() * 1_000_000)
        return [
            (
                chunk[i].department,
                chunk[i].system,
                stamps[i],
                chunk[i].success,
                chunk[i].latency_ms,
                chunk[i].record_id,
                chunk[i].source,
                chunk[i].detail,
                received,
            )
            for i in which
        ]

    def _insert_sqlite(self, chunk: Sequence[Transaction], stamps: list[int]) -> list[int]:
        """Insert the chunk's new records; returns their indices in the chunk.

        Rows whose (department, id) is already stored are skipped by the unique
        index. This writer holds SQLite's write lock for the whole transaction,
        so the rows it adds are exactly those above the largest rowid before.
        """
        before = self._conn.exec_driver_sql("SELECT max(id) FROM transactions").scalar() or 0
        added = self._conn.exec_driver_sql(
            INSERT_SQLITE, self._rows(chunk, stamps, range(len(chunk)))
        ).rowcount
        if added == len(chunk):
            return list(range(len(chunk)))
        stored = self._conn.exec_driver_sql(
            "SELECT department, record_id FROM transactions WHERE id > ? ORDER BY id", (before,)
        ).all()
        # Walk the chunk and the added rows together, both in insertion order.
        new: list[int] = []
        for i, t in enumerate(chunk):
            n = len(new)
            if n < len(stored) and (
                t.record_id is None or tuple(stored[n]) == (t.department, t.record_id)
            ):
                new.append(i)
        return new

    def _insert_postgres(self, chunk: Sequence[Transaction], stamps: list[int]) -> list[int]:
        # COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING
        # RETURNING: concurrent writers of the same id cannot both count it.
        raw = self._conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            if not self._staging_ready:
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS staging_transactions (n integer,"
                    " department text, system text, ts_us bigint, success boolean,"
                    " latency_ms double precision, record_id text, source text, detail text,"
                    " received_us bigint) ON COMMIT DELETE ROWS"
                )
                self._staging_ready = True
            cur.execute("TRUNCATE staging_transactions")
            with cur.copy(
                "COPY staging_transactions (n, department, system, ts_us, success, latency_ms,"
                " record_id, source, detail, received_us) FROM STDIN"
            ) as copy:
                for n, row in enumerate(self._rows(chunk, stamps, range(len(chunk)))):
                    copy.write_row((n, *row))
            cur.execute(
                "INSERT INTO transactions (department, system, ts_us, success, latency_ms,"
                " record_id, source, detail, received_us)"
                " SELECT department, system, ts_us, success, latency_ms, record_id, source,"
                " detail, received_us FROM staging_transactions ORDER BY n"
                " ON CONFLICT (department, record_id) DO NOTHING RETURNING department, record_id"
            )
            inserted_ids = {(d, r) for d, r in cur.fetchall() if r is not None}
        new = []
        for i, t in enumerate(chunk):
            if t.record_id is None:
                new.append(i)
            elif (t.department, t.record_id) in inserted_ids:
                inserted_ids.discard((t.department, t.record_id))  # a repeat is not new
                new.append(i)
        return new

    def _roll_up(self, chunk: Sequence[Transaction], stamps: list[int], new: list[int]) -> None:
        tz = self._tz
        sums = self._rollup
        for i in new:
            t = chunk[i]
            key = (t.department, t.system, t.ts.astimezone(tz).date(), t.source)
            s = sums.get(key)
            if s is None:
                s = sums[key] = [0, 0, None, None]
            if t.success:
                s[0] += 1
                us = stamps[i]
                if s[2] is None or us < s[2]:
                    s[2] = us
                if s[3] is None or us > s[3]:
                    s[3] = us
            else:
                s[1] += 1
        if len(sums) >= ROLLUP_KEYS:
            self.flush()

    def flush(self) -> None:
        """Write the pending rollup and totals deltas; `writing()` calls it before committing."""
        if self._rollup:
            add_to_rollup(self._conn, self._rollup)
            add_to_totals(self._conn, self._rollup)
            self._rollup = {}


ROLLUP_MERGE = (
    " ON CONFLICT (department, system, day, source) DO UPDATE SET"
    " successes = daily_counts.successes + excluded.successes,"
    " failures = daily_counts.failures + excluded.failures,"
    " first_success_us = CASE WHEN daily_counts.first_success_us IS NULL"
    " OR excluded.first_success_us < daily_counts.first_success_us"
    " THEN excluded.first_success_us ELSE daily_counts.first_success_us END,"
    " last_success_us = CASE WHEN daily_counts.last_success_us IS NULL"
    " OR excluded.last_success_us > daily_counts.last_success_us"
    " THEN excluded.last_success_us ELSE daily_counts.last_success_us END"
)
ROLLUP_COLUMNS = (
    "department, system, day, source, successes, failures, first_success_us, last_success_us"
)


def add_to_rollup(conn: Connection, sums: dict[tuple[str, str, date, str], list[Any]]) -> None:
    """Add counts to the daily rollup; `sums` maps (dept, system, day, source) to
    [successes, failures, first_success_us, last_success_us]."""
    # Sorted keys: concurrent PostgreSQL writers lock rollup rows in one order.
    rows = [(d, s, day, src, *v) for (d, s, day, src), v in sorted(sums.items())]
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(
            f"INSERT INTO daily_counts ({ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            + ROLLUP_MERGE,
            [(d, s, day.isoformat(), *rest) for d, s, day, *rest in rows],
        )
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS staging_daily_counts (n integer, department text,"
            " system text, day date, source text, successes bigint, failures bigint,"
            " first_success_us bigint, last_success_us bigint) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE staging_daily_counts")
        with cur.copy(f"COPY staging_daily_counts (n, {ROLLUP_COLUMNS}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row((n, *row))
        cur.execute(
            f"INSERT INTO daily_counts ({ROLLUP_COLUMNS}) SELECT {ROLLUP_COLUMNS}"
            " FROM staging_daily_counts ORDER BY n" + ROLLUP_MERGE
        )


def add_to_totals(conn: Connection, sums: dict[tuple[str, str, date, str], list[Any]]) -> None:
    """Add the same counts to the all-time totals per (department, system, source)."""
    totals: dict[tuple[str, str, str], list[Any]] = {}
    for (d, s, _day, src), v in sums.items():
        t = totals.setdefault((d, s, src), [0, 0, None])
        t[0] += v[0]
        t[1] += v[1]
        if v[3] is not None and (t[2] is None or v[3] > t[2]):
            t[2] = v[3]
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    conn.exec_driver_sql(
        "INSERT INTO pair_totals (department, system, source, successes, failures,"
        f" last_success_us) VALUES ({', '.join([mark] * 6)})"
        " ON CONFLICT (department, system, source) DO UPDATE SET"
        " successes = pair_totals.successes + excluded.successes,"
        " failures = pair_totals.failures + excluded.failures,"
        " last_success_us = CASE WHEN pair_totals.last_success_us IS NULL"
        " OR excluded.last_success_us > pair_totals.last_success_us"
        " THEN excluded.last_success_us ELSE pair_totals.last_success_us END",
        [(d, s, src, v[0], v[1], v[2]) for (d, s, src), v in sorted(totals.items())],
    )


def ensure_rollup_timezone(conn: Connection, timezone: str) -> bool:
    """Make the rollup's days those of `timezone`; rebuild it if they were another's.

    Returns whether a rebuild happened.
    """
    where = store_meta.c.key == "rollup_timezone"
    stored = conn.execute(select(store_meta.c.value).where(where)).scalar_one_or_none()
    if stored is None:
        # The first writer of a new store sets it; a concurrent first writer waits, then reads it.
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            insert(store_meta)
            .values(key="rollup_timezone", value=timezone)
            .on_conflict_do_nothing()
        )
        stored = conn.execute(select(store_meta.c.value).where(where)).scalar_one()
    if stored == timezone:
        return False
    conn.execute(store_meta.update().where(where).values(value=timezone))
    rebuild_rollup(conn, ZoneInfo(timezone))
    return True


def rebuild_rollup(conn: Connection, tz: ZoneInfo) -> None:
    """Recompute the whole rollup from the stored records (after a timezone change)."""
    conn.execute(delete(daily_counts))
    sums: dict[tuple[str, str, date, str], list[Any]] = {}
    query = select(
        transactions.c.department,
        transactions.c.system,
        transactions.c.ts_us,
        transactions.c.success,
        transactions.c.source,
    )
    for d, s, us, ok, src in conn.execute(query.execution_options(yield_per=10_000)):
        key = (d, s, from_us(us).astimezone(tz).date(), src)
        v = sums.setdefault(key, [0, 0, None, None])
        if ok:
            v[0] += 1
            v[2] = us if v[2] is None else min(v[2], us)
            v[3] = us if v[3] is None else max(v[3], us)
        else:
            v[1] += 1
    if sums:
        add_to_rollup(conn, sums)


@contextmanager
def writing(engine: Engine, timezone: str) -> Iterator[TransactionWriter]:
    """A writer whose batches commit together when the block ends without error."""
    with engine.connect() as conn:
        conn.execution_options(lienthong_write=True)
        with conn.begin():
            ensure_rollup_timezone(conn, timezone)
            writer = TransactionWriter(conn, ZoneInfo(timezone))
            yield writer
            writer.flush()


def write_transactions(
    engine: Engine, timezone: str, records: Sequence[Transaction]
) -> WriteResult:
    """Store records atomically: all of them, or (on error) none."""
    with writing(engine, timezone) as writer:
        return writer.write(records)
