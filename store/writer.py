"""The one write path into the store, whatever a transaction's source.

Records are inserted idempotently on (department, id) and the daily rollup and
the per-pair totals are updated from exactly the rows that were new, in the
same database transaction, so neither ever disagrees with the records and a
retry never counts twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.records import DEFINITIVE, PROVISIONAL, Transaction
from store.schema import daily_counts, pair_totals, provisional_records, store_meta, transactions

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
MIDNIGHT = datetime.min.time()
BATCH = 2000  # records per statement
# Rollup deltas are summed in memory across a whole database transaction (an
# import file is one) and written at the end, or when this many keys pile up.
ROLLUP_KEYS = 50_000
INSERT_SQLITE = (
    "INSERT INTO transactions (department, system, ts_us, success, latency_ms,"
    " record_id, source, detail, received_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (department, record_id) DO NOTHING"
)
# The same for a chunk without any detail (most are): pysqlite binds a None, like a bool,
# through a lookup of adapters that costs more than SQLite's own work on the value, so
# the NULL is written in the statement and `success` bound as the 0 or 1 SQLite stores
# (0.8 µs a record less, a tenth of an import's time, measured on 1 M records).
INSERT_SQLITE_NO_DETAIL = (
    "INSERT INTO transactions (department, system, ts_us, success, latency_ms,"
    " record_id, source, detail, received_us) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)"
    " ON CONFLICT (department, record_id) DO NOTHING"
)


# The local day of a record is looked up per UTC minute rather than converted each time
# (a million conversions per import): since 1973 every zone's offsets and changes of
# offset fall on whole minutes (tzdata), so all instants of a UTC minute share one local
# day. Older instants (local mean times with seconds) are converted one by one.
MINUTE_US = 60_000_000
WHOLE_MINUTES_US = 94_694_400_000_000  # 1973-01-01T00:00:00Z
LOCAL_DAYS_KEPT = 100_000  # minutes remembered (~70 days of records), then forgotten
# A new record's key in WriteResult.added: (department, system, source, success).
ADDED_KEY = itemgetter(0, 1, 4, 3)
DETAIL = itemgetter(7)  # a Transaction's detail


def to_us(ts: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    return (ts - EPOCH) // MICRO


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass
class WriteResult:
    accepted: int = 0
    duplicates: int = 0
    # Duplicates that replaced a provisional view of their record (counted in duplicates too).
    replaced: int = 0
    # Of the duplicates, those whose stored record has another system, time or
    # outcome: an id reused for a different transaction, not a retry.
    conflicts: int = 0
    # What the new rows added, per (department, system, source, success): for
    # anything that keeps running totals (the metrics exporter).
    added: dict[tuple[str, str, str, bool], int] = field(default_factory=dict)
    # The number of its transaction in this process's CommitOrder (0: not numbered).
    commit: int = 0

    def merge(self, other: WriteResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.replaced += other.replaced
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
        self._totals: Totals = {}  # of the rollup deltas written, for `flush` to add
        self._days: dict[int, date] = {}  # UTC minute → local day (see WHOLE_MINUTES_US)
        self._provisional_stored: bool | None = None  # None: not looked at yet

    @property
    def connection(self) -> Connection:
        """The open database transaction, for what an import keeps beside its records."""
        return self._conn

    def write(self, batch: Sequence[Transaction]) -> WriteResult:
        """Store a batch; records whose (department, id) is already stored are duplicates."""
        result = WriteResult()
        added: Counter[tuple[str, str, str, bool]] = Counter()
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
            # Counted in C (Counter over a map): an import adds up a million of these.
            added.update(
                map(ADDED_KEY, chunk if len(new) == len(chunk) else map(chunk.__getitem__, new))
            )
            if any(t.view for t in chunk):
                result.replaced += self._views(chunk, stamps, new)
        result.added = dict(added)
        return result

    # -- provisional and definitive views of one record ----------------------------

    def _views(self, chunk: Sequence[Transaction], stamps: list[int], new: list[int]) -> int:
        """List the new provisional records; replace those a definitive duplicate supersedes."""
        conn = self._conn
        marks = [
            {"record_id": chunk[i].record_id, "department": chunk[i].department}
            for i in new
            if chunk[i].view == PROVISIONAL and chunk[i].record_id is not None
        ]
        if marks:
            insert = pg_insert if self._postgres else sqlite_insert
            conn.execute(insert(provisional_records).on_conflict_do_nothing(), marks)
            self._provisional_stored = True
        if len(new) == len(chunk) or not self._any_provisional():
            return 0  # no repeats, or nothing they could replace
        fresh = set(new)
        repeats = [
            i
            for i, t in enumerate(chunk)
            if t.view == DEFINITIVE and t.record_id is not None and i not in fresh
        ]
        if not repeats:
            return 0
        c = provisional_records.c
        ids = sorted({chunk[i].record_id or "" for i in repeats})
        waiting = set(conn.execute(select(c.department, c.record_id).where(c.record_id.in_(ids))))
        replacing: dict[tuple[str, str], int] = {}
        for i in repeats:
            key = (chunk[i].department, chunk[i].record_id or "")
            if key in waiting and key not in replacing:
                replacing[key] = i
        if not replacing:
            return 0
        return self._replace([(chunk[i], stamps[i]) for i in replacing.values()])

    def _any_provisional(self) -> bool:
        if self._provisional_stored is None:
            found = self._conn.execute(select(provisional_records.c.record_id).limit(1)).first()
            self._provisional_stored = found is not None
        return self._provisional_stored

    def _replace(self, records: list[tuple[Transaction, int]]) -> int:
        """Put each record in place of its stored provisional view, rollup and totals exact.

        Rare (an exchange whose producer's record was imported before the client's),
        so plain statements: the pending rollup is written first, the old row's counts
        taken away, the new row's added, and a first or last success that the old
        row held is recomputed from the records of its day.
        """
        self.flush()
        conn, tz = self._conn, self._tz
        t_c, p_c = transactions.c, provisional_records.c
        minus: dict[tuple[str, str, date, str], list[int]] = {}
        plus: dict[tuple[str, str, date, str], list[Any]] = {}
        extremes: set[tuple[str, str, date, str]] = set()
        replaced = 0
        for t, us in records:
            # Taken off the list first: a concurrent writer replacing the same record
            # waits for this one and then finds nothing to take, so counts change once.
            mark = (p_c.record_id == t.record_id) & (p_c.department == t.department)
            if conn.execute(delete(provisional_records).where(mark)).rowcount != 1:
                continue
            replaced += 1
            where = (t_c.department == t.department) & (t_c.record_id == t.record_id)
            system, old_us, old_success, source = conn.execute(
                select(t_c.system, t_c.ts_us, t_c.success, t_c.source).where(where)
            ).one()
            conn.execute(
                update(transactions)
                .where(where)
                .values(
                    system=t.system,
                    ts_us=us,
                    success=t.success,
                    latency_ms=t.latency_ms,
                    source=t.source,
                    detail=t.detail,
                )
            )
            old_key = (t.department, system, from_us(old_us).astimezone(tz).date(), source)
            m = minus.setdefault(old_key, [0, 0])
            m[0 if old_success else 1] += 1
            if old_success:
                extremes.add(old_key)
            new_key = (t.department, t.system, t.ts.astimezone(tz).date(), t.source)
            p = plus.setdefault(new_key, [0, 0, None, None])
            if t.success:
                p[0] += 1
                p[2] = us if p[2] is None else min(p[2], us)
                p[3] = us if p[3] is None else max(p[3], us)
            else:
                p[1] += 1
        _take_from_rollup(conn, minus)
        add_to_rollup(conn, plus)
        add_to_totals(conn, plus)
        for key in sorted(extremes):
            _recompute_success_times(conn, key, tz)
        for d, s, src in sorted({(d, s, src) for d, s, _, src in extremes}):
            pair = (
                (pair_totals.c.department == d)
                & (pair_totals.c.system == s)
                & (pair_totals.c.source == src)
            )
            conn.execute(update(pair_totals).where(pair).values(**_success_extremes(d, s, src)))
        return replaced

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

    def _rows(self, chunk: Sequence[Transaction], stamps: list[int]) -> list[tuple[Any, ...]]:
        """The chunk's rows of `transactions`, in its order (unpacked, not indexed: a
        million rows an import)."""
        received = int(self._clock() * 1_000_000)
        return [
            (department, system, us, success, latency, record_id, source, detail, received)
            for (department, system, _, success, source, latency, record_id, detail, *_), us in zip(
                chunk, stamps, strict=True
            )
        ]

    def _insert_sqlite(self, chunk: Sequence[Transaction], stamps: list[int]) -> list[int]:
        """Insert the chunk's new records; returns their indices in the chunk.

        Rows whose (department, id) is already stored are skipped by the unique
        index. This writer holds SQLite's write lock for the whole transaction,
        so the rows it adds are exactly those above the largest rowid before.
        """
        before = self._conn.exec_driver_sql("SELECT max(id) FROM transactions").scalar() or 0
        details = list(map(DETAIL, chunk))
        if details.count(None) == len(details):
            received = int(self._clock() * 1_000_000)
            rows = [
                (department, system, us, 1 if success else 0, latency, record_id, source, received)
                for (department, system, _, success, source, latency, record_id, *_), us in zip(
                    chunk, stamps, strict=True
                )
            ]
            added = self._conn.exec_driver_sql(INSERT_SQLITE_NO_DETAIL, rows).rowcount
        else:
            added = self._conn.exec_driver_sql(INSERT_SQLITE, self._rows(chunk, stamps)).rowcount
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
                for n, row in enumerate(self._rows(chunk, stamps)):
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
        days = self._days
        if len(days) > LOCAL_DAYS_KEPT:
            days.clear()
        for i in new:
            t = chunk[i]
            us = stamps[i]
            if us >= WHOLE_MINUTES_US:
                day = days.get(us // MINUTE_US)
                if day is None:
                    day = days[us // MINUTE_US] = t.ts.astimezone(tz).date()
            else:
                day = t.ts.astimezone(tz).date()
            key = (t.department, t.system, day, t.source)
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
            self._flush_rollup()

    def _flush_rollup(self) -> None:
        """Write the pending rollup deltas; their totals wait for `flush`.

        One transaction updates each pair's totals once: an import of 10 M records
        flushed its rollup 200 times, each time updating every pair's row again, and
        PostgreSQL kept each row's 200 versions (none is dead before the commit): 30,000
        rows took 509 MB, read whole by each refresh of the metrics' totals.
        """
        if self._rollup:
            add_to_rollup(self._conn, self._rollup)
            gather_totals(self._totals, self._rollup)
            self._rollup = {}

    def flush(self) -> None:
        """Write the pending rollup and totals deltas; `writing()` calls it before committing."""
        self._flush_rollup()
        if self._totals:
            write_totals(self._conn, self._totals)
            self._totals = {}


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


# Per (department, system, source): successes, failures, last success, first success day.
Totals = dict[tuple[str, str, str], list[Any]]


def add_to_totals(conn: Connection, sums: dict[tuple[str, str, date, str], list[Any]]) -> None:
    """Add the same counts to the all-time totals per (department, system, source)."""
    write_totals(conn, gather_totals({}, sums))


def gather_totals(totals: Totals, sums: dict[tuple[str, str, date, str], list[Any]]) -> Totals:
    """Rollup deltas added to `totals` (returned), per (department, system, source)."""
    for (d, s, day, src), v in sums.items():
        t = totals.get((d, s, src))
        if t is None:
            t = totals[(d, s, src)] = [0, 0, None, None]
        t[0] += v[0]
        t[1] += v[1]
        if v[3] is not None and (t[2] is None or v[3] > t[2]):
            t[2] = v[3]
        if v[0] and (t[3] is None or day < t[3]):
            t[3] = day
    return totals


def write_totals(conn: Connection, totals: Totals) -> None:
    """Add `totals` to the stored all-time totals."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    conn.exec_driver_sql(
        "INSERT INTO pair_totals (department, system, source, successes, failures,"
        f" last_success_us, first_success_day) VALUES ({', '.join([mark] * 7)})"
        " ON CONFLICT (department, system, source) DO UPDATE SET"
        " successes = pair_totals.successes + excluded.successes,"
        " failures = pair_totals.failures + excluded.failures,"
        " last_success_us = CASE WHEN pair_totals.last_success_us IS NULL"
        " OR excluded.last_success_us > pair_totals.last_success_us"
        " THEN excluded.last_success_us ELSE pair_totals.last_success_us END,"
        # The earliest day ever written stays: a later day never overwrites it.
        " first_success_day = CASE WHEN pair_totals.first_success_day IS NULL"
        " OR excluded.first_success_day < pair_totals.first_success_day"
        " THEN excluded.first_success_day ELSE pair_totals.first_success_day END",
        [
            (d, s, src, v[0], v[1], v[2], v[3] if postgres else _sqlite_day(v[3]))
            for (d, s, src), v in sorted(totals.items())
        ],
    )


def _sqlite_day(day: date | None) -> str | None:
    """A day as SQLAlchemy stores a Date in SQLite: ISO text, which sorts as the days do."""
    return None if day is None else day.isoformat()


def _success_extremes(d: str, s: str, src: str) -> dict[str, Any]:
    """A pair's last success and first success day per source, as its rollup rows hold them
    (for an UPDATE of `pair_totals` after counts were taken away)."""
    c = daily_counts.c
    mine = (c.department == d) & (c.system == s) & (c.source == src)
    return {
        "last_success_us": select(func.max(c.last_success_us)).where(mine).scalar_subquery(),
        "first_success_day": select(func.min(c.day))
        .where(mine & (c.successes > 0))
        .scalar_subquery(),
    }


def _rollup_row(key: tuple[str, str, date, str]) -> Any:
    d, s, day, src = key
    c = daily_counts.c
    return (c.department == d) & (c.system == s) & (c.day == day) & (c.source == src)


def _take_from_rollup(conn: Connection, minus: dict[tuple[str, str, date, str], list[int]]) -> None:
    """Take counts away from the rollup and the totals (a record replaced by another view)."""
    c, t = daily_counts.c, pair_totals.c
    for key, (ok, failed) in sorted(minus.items()):
        row = _rollup_row(key)
        conn.execute(
            update(daily_counts)
            .where(row)
            .values(successes=c.successes - ok, failures=c.failures - failed)
        )
        conn.execute(delete(daily_counts).where(row & (c.successes == 0) & (c.failures == 0)))
        d, s, _, src = key
        conn.execute(
            update(pair_totals)
            .where((t.department == d) & (t.system == s) & (t.source == src))
            .values(successes=t.successes - ok, failures=t.failures - failed)
        )


def _recompute_success_times(
    conn: Connection, key: tuple[str, str, date, str], tz: ZoneInfo
) -> None:
    """First and last success of one rollup row, from its day's records."""
    d, s, day, src = key
    start = to_us(datetime.combine(day, MIDNIGHT, tzinfo=tz))
    end = to_us(datetime.combine(day + timedelta(days=1), MIDNIGHT, tzinfo=tz))
    t = transactions.c
    first, last = conn.execute(
        select(func.min(t.ts_us), func.max(t.ts_us)).where(
            (t.department == d)
            & (t.system == s)
            & (t.source == src)
            & t.success.is_(True)
            & (t.ts_us >= start)
            & (t.ts_us < end)
        )
    ).one()
    conn.execute(
        update(daily_counts)
        .where(_rollup_row(key))
        .values(first_success_us=first, last_success_us=last)
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
    # The totals count the same records whatever the timezone; only the first day moves.
    t, c = pair_totals.c, daily_counts.c
    conn.execute(
        update(pair_totals).values(
            first_success_day=select(func.min(c.day))
            .where(
                (c.department == t.department)
                & (c.system == t.system)
                & (c.source == t.source)
                & (c.successes > 0)
            )
            .scalar_subquery()
        )
    )


@contextmanager
def writing(
    engine: Engine, timezone: str, before_commit: Callable[[], None] | None = None
) -> Iterator[TransactionWriter]:
    """A writer whose batches commit together when the block ends without error.

    `before_commit` runs last inside the transaction: raising there rolls it back.
    """
    with engine.connect() as conn:
        conn.execution_options(lienthong_write=True)
        with conn.begin():
            ensure_rollup_timezone(conn, timezone)
            writer = TransactionWriter(conn, ZoneInfo(timezone))
            yield writer
            writer.flush()
            if before_commit is not None:
                before_commit()


def write_transactions(
    engine: Engine, timezone: str, records: Sequence[Transaction]
) -> WriteResult:
    """Store records atomically: all of them, or (on error) none."""
    with writing(engine, timezone) as writer:
        return writer.write(records)
