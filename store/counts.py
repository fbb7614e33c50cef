"""What reports and metrics read: per-day counts from the rollup."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Engine, Select, func, select, tuple_

from store.schema import daily_counts, daily_platforms, pair_totals
from store.writer import from_us, to_us

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class DayCount:
    """One obligation pair's records on one local day: of one source, or several together."""

    successes: int = 0
    failures: int = 0
    first_success: datetime | None = None  # UTC
    last_success: datetime | None = None


# One pair's records on one local day, per source ("probe", "push", "gateway", "import").
DaySources = Mapping[str, DayCount]


def combined(counts: Iterable[DayCount]) -> DayCount:
    """Several sources' counts of one day added together."""
    successes = failures = 0
    first: datetime | None = None
    last: datetime | None = None
    for c in counts:
        successes += c.successes
        failures += c.failures
        if c.first_success is not None and (first is None or c.first_success < first):
            first = c.first_success
        if c.last_success is not None and (last is None or c.last_success > last):
            last = c.last_success
    return DayCount(successes, failures, first, last)


def daily_source_counts_between(
    conn: Connection,
    first: date,
    last: date,
    department: str | None = None,
    pairs: Collection[Pair] | None = None,
) -> dict[Pair, dict[date, dict[str, DayCount]]]:
    """Counts per pair, local day and source for every day in [first, last]: the rollup's rows
    (of one department's pairs only, or of some pairs only, when given)."""
    c = daily_counts.c
    query = select(
        c.department,
        c.system,
        c.day,
        c.source,
        c.successes,
        c.failures,
        c.first_success_us,
        c.last_success_us,
    ).where(c.day >= first, c.day <= last)
    if department is not None:
        query = query.where(c.department == department)
    found: dict[Pair, dict[date, dict[str, DayCount]]] = defaultdict(dict)
    for dept, system, day, source, ok, failed, first_us, last_us in _of_pairs(conn, query, pairs):
        found[(dept, system)].setdefault(day, {})[source] = DayCount(
            successes=int(ok),
            failures=int(failed),
            first_success=from_us(first_us) if first_us is not None else None,
            last_success=from_us(last_us) if last_us is not None else None,
        )
    return dict(found)


@dataclass(frozen=True, slots=True)
class SourceDays:
    """One pair's records of one source on the days of a period that have any, as parallel
    sequences: a month of 30,000 pairs is 900,000 rollup rows, read as 30,000 of these.

    Tuples of numbers: the garbage collector stops tracking them (lists it would walk
    through at every full collection while the report is computed).
    """

    first: date  # the period's first day: `days` holds offsets from it
    days: tuple[int, ...]
    successes: tuple[int, ...]
    failures: tuple[int, ...]
    # Per day; both empty when only the extremes below were read (`times=False`).
    first_success_us: tuple[int | None, ...]
    last_success_us: tuple[int | None, ...]
    # The first and last success over all its days: what a figure of the whole period needs.
    earliest_us: int | None
    latest_us: int | None

    @property
    def has_times(self) -> bool:
        """Whether the first and last success of each day were read."""
        return len(self.first_success_us) == len(self.days)


class PeriodCounts(dict[Pair, dict[str, SourceDays]]):
    """Counts per pair and source over a period, each source's days as lists."""


def source_days(counts: Mapping[date, DaySources], first: date) -> dict[str, SourceDays]:
    """One pair's counts per day and source as lists per source, days counted from `first`."""
    lists: dict[str, tuple[list[int], list[int], list[int], list[int | None], list[int | None]]]
    lists = {}
    for day, sources in sorted(counts.items()):
        for source, c in sources.items():
            n, ok, failed, firsts, lasts = lists.setdefault(source, ([], [], [], [], []))
            n.append((day - first).days)
            ok.append(c.successes)
            failed.append(c.failures)
            firsts.append(None if c.first_success is None else to_us(c.first_success))
            lasts.append(None if c.last_success is None else to_us(c.last_success))
    return {
        source: SourceDays(
            first,
            tuple(n),
            tuple(ok),
            tuple(failed),
            tuple(firsts),
            tuple(lasts),
            min((us for us in firsts if us is not None), default=None),
            max((us for us in lasts if us is not None), default=None),
        )
        for source, (n, ok, failed, firsts, lasts) in lists.items()
    }


def period_counts(counts: Mapping[Pair, Mapping[date, DaySources]], first: date) -> PeriodCounts:
    """Counts per pair, day and source as lists per pair and source (days from `first`)."""
    return PeriodCounts({pair: source_days(by_day, first) for pair, by_day in counts.items()})


# One row per pair and source: a JSON array of three (or five) arrays over its days (day
# offsets, successes, failures, and with `times` each day's first and last success),
# aligned, then the first and last success of them all. The database groups the rows (in
# C) and Python decodes 30,000 documents instead of fetching 900,000 rows; without the
# per-day times (16-digit numbers), a month's documents are 6 MB instead of 33.
def _source_days_sql(dialect: str, times: bool, departments: int, part: int | None = None) -> str:
    postgres = dialect == "postgresql"
    mark = "%s" if postgres else "?"
    offset = "d.day - %s::date" if postgres else "CAST(julianday(d.day) - julianday(?) AS INTEGER)"
    arrays = [offset, "d.successes", "d.failures"]
    arrays += ["d.first_success_us", "d.last_success_us"] if times else []
    # No ORDER BY: the arrays of one row are aggregated over the same rows in the same
    # order, so they stay aligned, and the arithmetic reads days in any order.
    aggregate = "json_agg({})" if postgres else "json_group_array({})"
    document = (
        ("json_build_array(" if postgres else "json_array(")
        + ", ".join(aggregate.format(a) for a in arrays)
        + ", min(d.first_success_us), max(d.last_success_us))"
        + ("::text" if postgres else "")
    )
    marks = ", ".join([mark] * departments)
    # Grouping the period's rows sorted them all: SQLite in a temporary B-tree (2.5 s of
    # 3.8 at 30,000 obligations), PostgreSQL on disk past its work_mem (1.34 s of a
    # month's 930,000 rows, against 0.85 s this way). Each pair's own rows are one range
    # of the primary key (department, system, day, source), sought from its `pair_totals`
    # row (one per pair and source, kept with the records). A pair without a row in the
    # period gets empty arrays (PostgreSQL: nulls).
    among = f" WHERE t.department IN ({marks})" if departments else ""
    if part is not None:  # PostgreSQL only: one of READERS parts of the pairs, by hash
        pair = "hashtext(t.department || ' ' || t.system) & 2147483647"  # not negative
        among = f" WHERE mod({pair}, {READERS}) = {part}"
    return (
        f"SELECT t.department, t.system, t.source, (SELECT {document} FROM daily_counts d"
        " WHERE d.department = t.department AND d.system = t.system"
        f" AND d.day >= {mark} AND d.day <= {mark} AND d.source = t.source)"
        f" FROM pair_totals t{among}"
    )


DEPARTMENTS_PER_QUERY = 500  # bound parameters stay well under SQLite's limit


def source_days_between(
    conn: Connection,
    first: date,
    last: date,
    times: bool = True,
    departments: Sequence[str] | None = None,
) -> PeriodCounts:
    """Counts per pair and source for every day in [first, last], each source's days as
    lists counted from `first` (in no particular order, the lists aligned).

    `times=False` leaves out each day's first and last success (a figure of the whole
    period needs only the extremes, which are always read); `departments`, only theirs.
    """
    if departments is not None:
        found = PeriodCounts()
        for start in range(0, len(departments), DEPARTMENTS_PER_QUERY):
            chunk = departments[start : start + DEPARTMENTS_PER_QUERY]
            found.update(_source_days(conn, first, last, times, chunk))
        return found
    return _source_days(conn, first, last, times, ())


READERS = 2  # PostgreSQL connections reading a period's counts at once


def read_source_days(engine: Engine, first: date, last: date, times: bool = True) -> PeriodCounts:
    """`source_days_between` over the whole store, on connections of the engine's own.

    PostgreSQL does most of this read in its server process (seeking each pair's days,
    building their arrays), on one core per connection: the pairs are read in READERS
    parts at once, each on its connection. A month of 30,000 obligations over 10 M
    records, the server's buffers cold, took 0.55-0.78 s instead of 0.85-1.08 s on two
    cores (alternated). SQLite reads in this process, on one connection.
    """

    def part(k: int | None) -> PeriodCounts:
        with engine.connect() as conn:
            return _source_days(conn, first, last, times, (), k)

    if engine.dialect.name != "postgresql":
        return part(None)
    found = PeriodCounts()
    with ThreadPoolExecutor(READERS, thread_name_prefix="lienthong-read") as pool:
        for counts in pool.map(part, range(READERS)):
            found.update(counts)  # the parts' pairs are disjoint
    return found


def _source_days(
    conn: Connection,
    first: date,
    last: date,
    times: bool,
    departments: Sequence[str],
    part: int | None = None,
) -> PeriodCounts:
    postgres = conn.dialect.name == "postgresql"
    # SQLAlchemy stores a Date in SQLite as ISO text, compared as such.
    params: tuple[Any, ...] = (
        (first, first, last)
        if postgres
        else (first.isoformat(), first.isoformat(), last.isoformat())
    )
    query = _source_days_sql(conn.dialect.name, times, len(departments), part)
    found = PeriodCounts()
    loads = orjson.loads  # the same lists as json.loads, in half the time (30,000 documents)
    for dept, system, source, document in conn.exec_driver_sql(query, (*params, *departments)):
        days, ok, failed, *per_day, earliest, latest = loads(document)
        if not days:
            continue  # SQLite: a pair with no row in the period
        firsts, lasts = per_day if times else ((), ())
        found.setdefault((dept, system), {})[source] = SourceDays(
            first,
            tuple(days),
            tuple(ok),
            tuple(failed),
            tuple(firsts),
            tuple(lasts),
            earliest,
            latest,
        )
    return found


def daily_counts_between(
    conn: Connection, first: date, last: date
) -> dict[Pair, dict[date, DayCount]]:
    """Counts per pair and local day for every day in [first, last]."""
    c = daily_counts.c
    query = (
        select(
            c.department,
            c.system,
            c.day,
            func.sum(c.successes),
            func.sum(c.failures),
            func.min(c.first_success_us),
            func.max(c.last_success_us),
        )
        .where(c.day >= first, c.day <= last)
        .group_by(c.department, c.system, c.day)
    )
    found: dict[Pair, dict[date, DayCount]] = defaultdict(dict)
    for dept, system, day, ok, failed, first_us, last_us in conn.execute(query):
        found[(dept, system)][day] = DayCount(
            successes=int(ok),
            failures=int(failed),
            first_success=from_us(first_us) if first_us is not None else None,
            last_success=from_us(last_us) if last_us is not None else None,
        )
    return dict(found)


class PlatformDay(NamedTuple):
    """Successes of one pair on one local day, of one source, carried by one platform."""

    day: date
    source: str
    platform: str
    successes: int


# Per pair, the days with successes that named their platform.
PlatformDays = Mapping[Pair, Sequence[PlatformDay]]


def platform_days_between(
    conn: Connection, first: date, last: date, department: str | None = None
) -> dict[Pair, list[PlatformDay]]:
    """The platforms' rollup for every day in [first, last] (of one department, when given)."""
    c = daily_platforms.c
    query = select(c.department, c.system, c.day, c.source, c.platform, c.successes).where(
        c.day >= first, c.day <= last, c.successes > 0
    )
    if department is not None:
        query = query.where(c.department == department)
    found: dict[Pair, list[PlatformDay]] = defaultdict(list)
    for dept, system, day, source, platform, n in conn.execute(query):
        found[(dept, system)].append(PlatformDay(day, source, platform, int(n)))
    return dict(found)


def first_success_days(conn: Connection, last: date) -> dict[Pair, date]:
    """The first local day with a success, per pair, among days up to `last`."""
    c = daily_counts.c
    query = (
        select(c.department, c.system, func.min(c.day))
        .where(c.successes > 0, c.day <= last)
        .group_by(c.department, c.system)
    )
    return {(d, s): day for d, s, day in conn.execute(query)}


def first_success_days_by_source(conn: Connection, last: date) -> dict[Pair, dict[str, date]]:
    """The first local day with a success, per pair and source, among days up to `last`.

    Read from the totals the write path keeps (one row per pair and source): the first
    day ever is the first up to `last` when it is not after it, and there is none if it is.
    """
    c = pair_totals.c
    query = select(c.department, c.system, c.source, c.first_success_day).where(
        c.first_success_day <= last
    )
    found: dict[Pair, dict[str, date]] = defaultdict(dict)
    for d, s, source, day in conn.execute(query):
        found[(d, s)][source] = day
    return dict(found)


def first_record_days(conn: Connection, pairs: Collection[Pair] | None = None) -> dict[Pair, date]:
    """The first local day with any stored record, per pair (of `pairs` only, when given):
    before it, nothing was watched."""
    c = daily_counts.c
    query = select(c.department, c.system, func.min(c.day)).group_by(c.department, c.system)
    return {(d, s): day for d, s, day in _of_pairs(conn, query, pairs)}


PAIRS_PER_QUERY = 500  # pairs named in one query's IN list (two parameters each)


def _of_pairs(
    conn: Connection, query: Select[Any], pairs: Collection[Pair] | None
) -> Iterator[Any]:
    """The query's rows, of the given pairs only (named a few hundred per statement)."""
    if pairs is None:
        yield from conn.execute(query)
        return
    c = daily_counts.c
    listed = sorted(pairs)
    for i in range(0, len(listed), PAIRS_PER_QUERY):
        chunk = listed[i : i + PAIRS_PER_QUERY]
        yield from conn.execute(query.where(tuple_(c.department, c.system).in_(chunk)))


def totals(conn: Connection) -> dict[tuple[str, str, str, bool], int]:
    """All-time counts per (department, system, source, success), for running counters."""
    c = daily_counts.c
    query = select(c.department, c.system, c.source, func.sum(c.successes), func.sum(c.failures))
    query = query.group_by(c.department, c.system, c.source)
    found: dict[tuple[str, str, str, bool], int] = {}
    for d, s, src, ok, failed in conn.execute(query):
        found[(d, s, src, True)] = int(ok)
        found[(d, s, src, False)] = int(failed)
    return found


def last_successes(conn: Connection) -> dict[Pair, datetime]:
    """The latest success per pair (UTC)."""
    c = daily_counts.c
    query = select(c.department, c.system, func.max(c.last_success_us)).group_by(
        c.department, c.system
    )
    return {(d, s): from_us(us) for d, s, us in conn.execute(query) if us is not None}


@dataclass(frozen=True, slots=True)
class PairTotals:
    """All-time counts of one pair from one source, as the write path keeps them."""

    successes: int
    failures: int
    last_success_us: int | None


def pair_totals_all(conn: Connection) -> dict[tuple[str, str, str], PairTotals]:
    """Every pair's running totals per source: one small row each, no summing."""
    c = pair_totals.c
    query = select(c.department, c.system, c.source, c.successes, c.failures, c.last_success_us)
    return {
        (d, s, src): PairTotals(int(ok), int(failed), us)
        for d, s, src, ok, failed, us in conn.execute(query)
    }


class TotalsOn(NamedTuple):
    """The running totals with one day's part of them, read in one statement (one snapshot)."""

    totals: dict[tuple[str, str, str], PairTotals]
    successes: dict[Pair, dict[str, int]]  # the day's successes per pair and source
    before: dict[Pair, int]  # records of the days before the day, all sources, per pair


def totals_on(conn: Connection, day: date) -> TotalsOn:
    """Every pair's totals per source, its successes on `day` and its records before `day`.

    One statement, so that a write landing meanwhile is in all three or in none: the
    records before `day` change only when a late record arrives for an earlier day
    (that is how the metrics know whose month figures to compute again).
    """
    t, d = pair_totals.c, daily_counts.c
    on_day = (
        (d.department == t.department)
        & (d.system == t.system)
        & (d.source == t.source)
        & (d.day == day)
    )
    query = select(
        t.department,
        t.system,
        t.source,
        t.successes,
        t.failures,
        t.last_success_us,
        d.successes,
        d.failures,
    ).select_from(pair_totals.outerjoin(daily_counts, on_day))
    totals: dict[tuple[str, str, str], PairTotals] = {}
    successes: dict[Pair, dict[str, int]] = defaultdict(dict)
    before: dict[Pair, int] = defaultdict(int)
    for dept, system, source, ok, failed, us, ok_on, failed_on in conn.execute(query):
        pair = (dept, system)
        totals[(dept, system, source)] = PairTotals(int(ok), int(failed), us)
        if ok_on is None:
            before[pair] += int(ok) + int(failed)
        else:
            successes[pair][source] = int(ok_on)
            before[pair] += int(ok) + int(failed) - int(ok_on) - int(failed_on)
    return TotalsOn(totals, dict(successes), dict(before))


def successes_on(conn: Connection, day: date) -> dict[Pair, int]:
    """Successes per pair on one local day, all sources together."""
    c = daily_counts.c
    query = (
        select(c.department, c.system, func.sum(c.successes))
        .where(c.day == day)
        .group_by(c.department, c.system)
    )
    return {(d, s): int(n) for d, s, n in conn.execute(query)}
