"""What the metrics show, kept current: running totals, today's successes, durations, calendar.

Totals come from the store's `pair_totals` (refreshed in the background, so
they include other writers, such as `lienthong ingest`) and from this
process's own writes as they happen. Both are lower bounds of the same
ever-growing numbers, so they merge by taking the larger: counters never go
backwards; and since this process's commits are numbered and each read of the
totals knows the last one it holds, a write told of after such a read is not
counted twice. The month's calendar figures are computed
in the background from the daily rollup; nothing here touches the database
during a scrape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from compliance.month_to_date import LOOKBACK_DAYS, MonthToDate, month_to_date
from compliance.rules import applies
from registry import Obligation, Registry, is_working_day
from store.counts import (
    Pair,
    PairTotals,
    TotalsOn,
    daily_source_counts_between,
    first_record_days,
    totals_on,
)
from store.excusals import Excusal, approved_between
from store.group_commit import CommitOrder
from store.records import Transaction
from store.writer import WriteResult

log = logging.getLogger("lienthong.metrics")

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))
CounterKey = tuple[str, str, str, bool]  # department, system, source, success


@dataclass
class DurationHistogram:
    """Probe durations (one obligation's, or one system's), with Prometheus's cumulative buckets."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        self.count += 1
        for i, bound in enumerate(DURATION_BUCKETS):
            if seconds <= bound:
                self.buckets[i] += 1


class MetricsState:
    """The current figures for every obligation pair, and which pairs changed lately."""

    def __init__(
        self,
        registry: Registry,
        clock: Callable[[], float] = time.time,
        durations_per_obligation: bool = False,
    ) -> None:
        self.registry = registry
        # Whether a probe's duration is kept per obligation too (and so changes its text).
        self.durations_per_obligation = durations_per_obligation
        self.clock = clock
        self.counters: dict[CounterKey, int] = {}
        self.last_success: dict[Pair, float] = {}
        self.today: date = self.local_day()
        self.successes_today: dict[Pair, int] = {}
        self.durations: dict[Pair, DurationHistogram] = {}
        self.system_durations: dict[str, DurationHistogram] = {
            system: DurationHistogram()
            for system in sorted({o.system for o in registry.obligations if o.probe is not None})
        }
        self.calendar: dict[Pair, MonthToDate] = {}
        self.dirty: set[Pair] = set()  # pairs changed since the renderer last looked
        self.writes = 0  # batches this process committed (the status pages' cache key)
        # This process's commits, numbered (the push API's and the recorder's), and the
        # last of them the totals read from the store hold: told of one of those
        # later, its records are not added again.
        self.commit_order = CommitOrder()
        self.absorbed_through = 0
        self.calendar_version = 0  # bumped by every refresh of the calendar figures
        self.calendar_changed: set[Pair] = set()  # pairs whose figures a refresh changed
        # Each pair's records of the days before today, as last read from the store, and as
        # when its calendar figures were computed: where they differ, a late record came
        # in for an earlier day and the pair's figures are due again (see stale_calendar).
        self.before: Mapping[Pair, int] = {}
        self.calendar_basis: dict[Pair, int] = {}
        self.calendar_excusals: list[Excusal] | None = None  # those the figures were made with
        self.probed: set[Pair] = {o.key for o in registry.obligations if o.probe is not None}
        self.store_up: bool | None = None  # whether the store took a write at the last check
        # The record sources that count for each pair (the registry's `evidence:`): only
        # their successes make today met, as in the monthly report.
        self.counting: dict[Pair, frozenset[str]] = {}
        for o in registry.obligations:
            self.counting.setdefault(o.key, registry.evidence_for(o))
        # Which obligations this instance exports: all of them, unless it takes
        # part in a shard's leadership (then only its shard's, and only while it leads).
        self.shard: str | None = None
        self.leading = False
        self._owns: Callable[[Pair], bool] = lambda _pair: True
        self.scope_version = 0
        self._current: tuple[date, list[Obligation]] | None = None

    def current(self, day: date) -> list[Obligation]:
        """`current_obligations` on `day`, kept for the last day asked: the calendar
        refresh and the renderer both ask (each a fifth of a second at 100,000)."""
        if self._current is None or self._current[0] != day:
            self._current = (day, current_obligations(self.registry, day))
        return self._current[1]

    def lead(self, shard: str, leading: bool, owns: Callable[[Pair], bool]) -> None:
        """This instance now leads `shard` (exports the pairs it `owns`) or stands by (none)."""
        self.shard, self.leading = shard, leading
        self._owns = owns if leading else (lambda _pair: False)
        self.scope_version += 1

    def shows(self, pair: Pair) -> bool:
        """Whether this instance exports the pair's series (one instance per shard does)."""
        return self._owns(pair)

    def local_day(self) -> date:
        return datetime.fromtimestamp(self.clock(), self.registry.tz).date()

    def _touch(self, pair: Pair) -> None:
        self.dirty.add(pair)

    def take_dirty(self) -> set[Pair]:
        """The pairs changed since the last call (the renderer re-renders just those)."""
        dirty, self.dirty = self.dirty, set()
        return dirty

    # -- from the store ------------------------------------------------------------

    def absorb_totals(self, totals: Mapping[tuple[str, str, str], PairTotals]) -> None:
        for (d, s, src), t in totals.items():
            for success, n in ((True, t.successes), (False, t.failures)):
                key = (d, s, src, success)
                if n > self.counters.get(key, 0):
                    self.counters[key] = n
                    self._touch((d, s))
            if t.last_success_us is not None:
                self._raise_last_success((d, s), t.last_success_us / 1_000_000)

    def absorb_today(self, day: date, by_source: Mapping[Pair, Mapping[str, int]]) -> None:
        """The store's successes of `day` per pair and source (only counting sources kept)."""
        if day != self.today:
            self._new_day(day)
        for pair, sources in by_source.items():
            counting = self.counting.get(pair, frozenset())
            n = sum(k for source, k in sources.items() if source in counting)
            if n > self.successes_today.get(pair, 0):
                self.successes_today[pair] = n
                self._touch(pair)

    def absorb_calendar(
        self,
        figures: Mapping[Pair, MonthToDate],
        before: Mapping[Pair, int] | None = None,
        pairs: Collection[Pair] | None = None,
    ) -> None:
        """New month-to-date figures, of every obligation or of `pairs` only, computed from
        the store when its records before today were `before`. Only the pairs whose figures
        differ are re-rendered (at 100,000 obligations re-rendering every one held the
        event loop for seconds)."""
        old = self.calendar
        if pairs is None:
            self.calendar = dict(figures)
            changed = {pair for pair, f in self.calendar.items() if old.get(pair) != f}
            changed.update(pair for pair in old if pair not in self.calendar)
            if before is not None:
                self.calendar_basis = dict(before)
        else:
            changed = {pair for pair, f in figures.items() if old.get(pair) != f}
            self.calendar.update(figures)
            if before is not None:
                self.calendar_basis.update((pair, before.get(pair, 0)) for pair in pairs)
        self.calendar_changed |= changed
        self.calendar_version += 1

    def stale_calendar(self) -> set[Pair]:
        """The pairs with records for days before today that came after their calendar
        figures were computed (a late import, a department's backlog pushed)."""
        basis = self.calendar_basis
        return {pair for pair, n in self.before.items() if basis.get(pair, 0) != n}

    def take_calendar_changed(self) -> set[Pair]:
        """The pairs whose calendar figures changed since the last call."""
        changed, self.calendar_changed = self.calendar_changed, set()
        return changed

    @property
    def working_day(self) -> bool:
        """Whether today is a working day: a required day for every obligation in force."""
        return is_working_day(self.today, self.registry.calendar)

    def _new_day(self, day: date) -> None:
        for pair in self.successes_today:
            self._touch(pair)
        self.today = day
        self.successes_today = {}

    def _raise_last_success(self, pair: Pair, seconds: float) -> None:
        if seconds > self.last_success.get(pair, 0.0):
            self.last_success[pair] = seconds
            self._touch(pair)

    # -- from this process ---------------------------------------------------------

    def on_written(self, batch: Sequence[Transaction], result: WriteResult) -> None:
        """A batch this process just committed (the recorder's or the push API's)."""
        self.writes += 1
        # Told after a read of the totals that holds it already (a read that ran while
        # the loop was busy): it is in the counters through that read.
        known = 0 < result.commit <= self.absorbed_through
        if not known:
            for key, n in result.added.items():
                self.counters[key] = self.counters.get(key, 0) + n
                self._touch(key[:2])
        today = self.local_day()
        if today != self.today:
            self._new_day(today)
        tz = self.registry.tz
        for t in batch:
            if not t.success:
                continue
            pair = (t.department, t.system)
            self._raise_last_success(pair, t.ts.timestamp())
            # Only when nothing was a duplicate is every success known to be new.
            counts = t.source in self.counting.get(pair, frozenset())
            if (
                counts
                and not known
                and result.duplicates == 0
                and t.ts.astimezone(tz).date() == today
            ):
                self.successes_today[pair] = self.successes_today.get(pair, 0) + 1

    def on_probe(self, pair: Pair, seconds: float) -> None:
        by_system = self.system_durations.get(pair[1])
        if by_system is None:
            by_system = self.system_durations[pair[1]] = DurationHistogram()
        by_system.observe(seconds)
        if not self.durations_per_obligation:
            return  # the obligation's own text does not move: nothing to re-render
        histogram = self.durations.get(pair)
        if histogram is None:
            histogram = self.durations[pair] = DurationHistogram()
        histogram.observe(seconds)
        self._touch(pair)


def read_totals(
    engine: Engine, day: date, order: CommitOrder | None = None
) -> tuple[TotalsOn, int]:
    """The store's running totals, the successes of `day` per source and the records of the
    days before it (in a worker thread); and the last of this process's commits (numbered
    by `order`) that they hold."""
    with engine.connect() as conn:
        if order is None:
            return totals_on(conn, day), 0
        if conn.dialect.name == "postgresql":
            # One snapshot for the pin and the read (READ COMMITTED takes one per statement).
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            through = order.pin(conn)
            return totals_on(conn, day), through


def calendar_span(today: date) -> tuple[date, date]:
    """The days the month-to-date figures of `today` read: back to the streak's lookback,
    on to the month's last day (for the excusals ahead)."""
    first = min(today.replace(day=1), today - timedelta(days=LOOKBACK_DAYS))
    month_last = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, month_last


def read_excusals(engine: Engine, today: date) -> list[Excusal]:
    """The approved excusals the month-to-date figures of `today` use."""
    with engine.connect() as conn:
        return approved_between(conn, *calendar_span(today))


# Above this many pairs, the month's counts are read for every pair in one statement.
PAIRS_READ_APART = 5_000


def read_calendar(
    engine: Engine,
    registry: Registry,
    obligations: Sequence[Obligation],
    today: date,
    pairs: Collection[Pair] | None = None,
    excusals: Sequence[Excusal] | None = None,
) -> dict[Pair, MonthToDate]:
    """The month-to-date figures for `today` of the obligations (of those of `pairs` only,
    when given), in a worker thread; with the approved `excusals` when the caller read
    them already (`read_excusals`)."""
    first, month_last = calendar_span(today)
    if pairs is not None:
        obligations = [o for o in obligations if o.key in pairs]
    apart = pairs if pairs is not None and len(pairs) <= PAIRS_READ_APART else None
    with engine.connect() as conn:
        counts = daily_source_counts_between(conn, first, today - timedelta(days=1), pairs=apart)
        if excusals is None:
            excusals = approved_between(conn, first, month_last)
        first_records = first_record_days(conn, apart)
    # Only an excusal of the obligation's own system can apply to it (`applies`).
    excused_systems = {e.system for e in excusals}
    # A pair with no record and no excusal that applies has figures that follow from
    # its window alone (every required day missed, no streak): computed once per
    # window, shared by the pairs that have it (at 100,000 obligations on a new store,
    # 100,000 equal computations held `serve`'s start for seconds).
    unrecorded: dict[tuple[date | None, date | None], MonthToDate] = {}
    figures: dict[Pair, MonthToDate] = {}
    for o in obligations:
        pair_counts = counts.get(o.key, {})
        first_record = first_records.get(o.key)
        if (
            pair_counts
            or first_record is not None
            or (o.system in excused_systems and any(applies(e, o) for e in excusals))
        ):
            figures[o.key] = month_to_date(registry, o, today, pair_counts, excusals, first_record)
            continue
        window = registry.window(o)
        shared = unrecorded.get(window)
        if shared is None:
            shared = unrecorded[window] = month_to_date(registry, o, today, {}, (), None)
        figures[o.key] = shared
    return figures


def current_obligations(registry: Registry, day: date) -> list[Obligation]:
    """The obligations in force on `day`, one per pair (the one whose window holds the day)."""
    return [o for o in registry.obligations if registry.in_force(o, day, day)]


def utc_now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)
