"""A month's compliance report: the registry's obligations in force that month, with
their figures computed from the store's daily counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from compliance.periods import Month
from compliance.platforms import counted_by_platform
from compliance.rules import ComplianceRow, first_counting_day, in_force_all_month, month_row
from registry import Department, Obligation, Province, Registry
from registry.history import ancestry
from store.counts import (
    DayCount,
    Pair,
    PeriodCounts,
    PlatformDays,
    first_success_days_by_source,
    period_counts,
    platform_days_between,
    read_source_days,
    source_days_between,
)
from store.excusals import Excusal, approved_between

# What the store gives the arithmetic: per pair, per local day, per source (or, as the
# store reads a whole period, PeriodCounts: per pair and source, the days as lists).
Counts = dict[Pair, dict[date, dict[str, DayCount]]]
FirstDays = dict[Pair, dict[str, date]]


def by_pair_and_source(counts: Counts | PeriodCounts, first: date) -> PeriodCounts:
    """Counts as the arithmetic reads them: PeriodCounts as they are, others converted."""
    return counts if isinstance(counts, PeriodCounts) else period_counts(counts, first)


@dataclass(frozen=True)
class Report:
    province: Province
    month: Month
    as_of: date
    generated_at: datetime  # local time
    timezone: str
    rows: tuple[ComplianceRow, ...]
    department: Department | None = None  # set for one department's pack

    @property
    def period(self) -> Month:
        return self.month

    @property
    def months(self) -> tuple[Report, ...]:
        """The months it is made of besides itself: none (a quarter's are its three)."""
        return ()


def default_as_of(month: Month, today: date) -> date:
    """Today for the current (or a future) month, the month's last day for a past one."""
    return month.last if month.last < today else today


def first_success(registry: Registry, o: Obligation, first_days: FirstDays) -> date | None:
    """The obligation's first day with a success from a source that counts, its
    predecessors' included: a connection made before a merger stays made when the duty
    passes to the successor."""
    evidence = registry.evidence_for(o)
    days = [
        d
        for x in ancestry(registry, o)
        if (d := first_counting_day(first_days.get(x.key, {}), evidence)) is not None
    ]
    return min(days, default=None)


def compute_report(
    registry: Registry,
    month: Month,
    as_of: date,
    generated_at: datetime,
    counts: Counts | PeriodCounts,
    first_days: FirstDays,
    excusals: Sequence[Excusal] = (),
    platforms: PlatformDays | None = None,
    obligations: Sequence[Obligation] | None = None,
) -> Report:
    """The report from counts (and approved excusals, platforms) already fetched (pure);
    `obligations` those in force in the month, when the caller has them already (finding
    30,000 of them takes a tenth of a second)."""
    if obligations is None:
        obligations = registry.obligations_between(month.first, month.last)
    counts = by_pair_and_source(counts, month.first)
    today = generated_at.astimezone(registry.tz).date()
    rows = tuple(
        row_for(registry, o, month, as_of, counts, first_days, excusals, platforms, today)
        for o in obligations
    )
    return Report(
        province=registry.province_on(min(month.last, as_of)),
        month=month,
        as_of=as_of,
        generated_at=generated_at.astimezone(registry.tz),
        timezone=registry.timezone,
        rows=rows,
    )


def row_for(
    registry: Registry,
    obligation: Obligation,
    month: Month,
    as_of: date,
    counts: PeriodCounts,
    first_days: FirstDays,
    excusals: Sequence[Excusal],
    platforms: PlatformDays | None = None,
    today: date | None = None,
) -> ComplianceRow:
    """One obligation's row from the store's figures of every pair (`today`: the local day
    it is computed on; a day not yet ended counts only once met)."""
    # Only a `connect` duty's status reads its first success (ancestry and all): a report
    # of 30,000 `maintain` duties skipped 16 % of its arithmetic without it.
    first = (
        first_success(registry, obligation, first_days) if obligation.kind == "connect" else None
    )
    cutoff = min(month.last, as_of)
    carried = (
        counted_by_platform(registry, obligation, month.first, cutoff, platforms[obligation.key])
        if platforms and obligation.key in platforms
        else ()
    )
    return month_row(
        registry,
        obligation,
        month,
        as_of,
        counts.get(obligation.key, {}),
        first,
        excusals,
        carried,
        today,
    )


def build_report(
    engine: Engine,
    registry: Registry,
    month: Month,
    as_of: date | None = None,
    now: datetime | None = None,
) -> Report:
    """Read the month's counts from the store and compute its report."""
    now = now or datetime.now(UTC)
    as_of = as_of or default_as_of(month, now.astimezone(registry.tz).date())
    cutoff = min(month.last, as_of)
    obligations = registry.obligations_between(month.first, month.last)
    counts = PeriodCounts()
    partial: list[str] = []
    if cutoff >= month.first:
        # Each day's first and last success only for the departments of an obligation
        # in force part of the month (their sums leave days out): 6 MB to decode
        # instead of 33 at 30,000 obligations.
        counts = read_source_days(engine, month.first, cutoff, times=False)
        partial = sorted(
            {o.department for o in obligations if not in_force_all_month(registry, o, month)}
        )
    with engine.connect() as conn:
        if partial:
            counts.update(source_days_between(conn, month.first, cutoff, departments=partial))
        # Only `connect` duties read their first successes (row_for).
        connect = any(o.kind == "connect" for o in obligations)
        first_days = first_success_days_by_source(conn, cutoff) if connect else {}
        excusals = approved_between(conn, month.first, cutoff)
        platforms = platform_days_between(conn, month.first, cutoff)
    return compute_report(
        registry, month, as_of, now, counts, first_days, excusals, platforms, obligations
    )
