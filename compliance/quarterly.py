"""A quarter's compliance report: each of its three months, and the quarter as a whole.

The quarter's figures for an obligation are its three months added up: required and
met days summed, successes and failures summed, first/last success the earliest and
latest, the ratio recomputed from the sums, and the status by the contract's rules
applied to those sums. That is exactly what the contract's arithmetic gives when run
over the quarter's days in one go (a test holds both to agreement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from compliance.periods import Period, Quarter
from compliance.report import (
    Counts,
    FirstDays,
    Report,
    build_report,
    by_pair_and_source,
    compute_report,
    row_for,
)
from compliance.rules import ComplianceRow, maintain_status, ratio
from registry import Department, Province, Registry
from store.counts import (
    PeriodCounts,
    PlatformDays,
    first_success_days_by_source,
    platform_days_between,
    read_source_days,
)
from store.excusals import Excusal, approved_between


@dataclass(frozen=True)
class QuarterReport:
    province: Province
    quarter: Quarter
    as_of: date
    generated_at: datetime  # local time
    timezone: str
    months: tuple[Report, Report, Report]  # each as it stood at min(its last day, as_of)
    rows: tuple[ComplianceRow, ...]  # the quarter as a whole, one per obligation
    # Each row's three monthly rows (all three months, in force or not), in step with rows.
    row_months: tuple[tuple[ComplianceRow, ComplianceRow, ComplianceRow], ...]
    department: Department | None = None  # set for one department's pack

    @property
    def period(self) -> Quarter:
        return self.quarter


def default_quarter_as_of(quarter: Quarter, today: date) -> date:
    """A past quarter: its last day. The current one: today, but never past its reporting
    deadline (after it, the quarter's report is the one members filed). A future one: today."""
    if quarter.last < today:
        return quarter.last
    if quarter.first <= today:
        return min(today, quarter.deadline)
    return today


def quarter_row(months: Sequence[ComplianceRow]) -> ComplianceRow:
    """One obligation's quarter: its monthly rows (in month order) added up."""
    head, latest = months[0], months[-1]
    required = sum(m.required_days for m in months)
    met = sum(m.met_days for m in months)
    successes = sum(m.successes for m in months)
    firsts = [m.first_success for m in months if m.first_success is not None]
    lasts = [m.last_success for m in months if m.last_success is not None]
    r = ratio(met, required)
    if head.kind == "connect":
        # Connection is cumulative: the quarter is connected when its last month is.
        status = latest.status
    else:
        status = maintain_status(r, head.target_ratio, successes)
    # The obligation's own fields (names, clause, target) are the first month's; the
    # owner is the last month's (the owner in force at the quarter's end).
    return replace(
        head,
        owner=latest.owner,
        required_days=required,
        met_days=met,
        ratio=r,
        successes=successes,
        failures=sum(m.failures for m in months),
        excused_days=sum(m.excused_days for m in months),
        probe_only_days=sum(m.probe_only_days for m in months),
        excusals=tuple({e.id: e for m in months for e in m.excusals}.values()),
        platform_successes=_platform_sums(months),
        required_platform=latest.required_platform,
        first_success=min(firsts) if firsts else None,
        last_success=max(lasts) if lasts else None,
        status=status,
        days=tuple(day for m in months for day in m.days),
    )


def _platform_sums(months: Sequence[ComplianceRow]) -> tuple[tuple[str, int], ...]:
    """The months' successes per platform added up."""
    sums: dict[str, int] = {}
    for m in months:
        for p, n in m.platform_successes:
            sums[p] = sums.get(p, 0) + n
    return tuple(sorted(sums.items()))


def compute_quarter_report(
    registry: Registry,
    quarter: Quarter,
    as_of: date,
    generated_at: datetime,
    counts: Counts | PeriodCounts,
    first_days: FirstDays,
    excusals: Sequence[Excusal] = (),
    platforms: PlatformDays | None = None,
) -> QuarterReport:
    """The quarter's report from counts (and approved excusals, platforms) already fetched (pure)."""
    counts = by_pair_and_source(counts, quarter.first)
    m1, m2, m3 = (
        compute_report(
            registry, m, min(m.last, as_of), generated_at, counts, first_days, excusals, platforms
        )
        for m in quarter.months
    )
    rows = []
    row_months = []
    today = generated_at.astimezone(registry.tz).date()
    for o in registry.obligations_between(quarter.first, quarter.last):
        # Every month is computed, in force or not: a month outside the obligation's
        # window contributes nothing but its days (all "not required") to the strip.
        a, b, c = (
            row_for(
                registry, o, m, min(m.last, as_of), counts, first_days, excusals, platforms, today
            )
            for m in quarter.months
        )
        rows.append(quarter_row((a, b, c)))
        row_months.append((a, b, c))
    return QuarterReport(
        province=registry.province_on(min(quarter.last, as_of)),
        quarter=quarter,
        as_of=as_of,
        generated_at=generated_at.astimezone(registry.tz),
        timezone=registry.timezone,
        months=(m1, m2, m3),
        rows=tuple(rows),
        row_months=tuple(row_months),
    )


def build_quarter_report(
    engine: Engine,
    registry: Registry,
    quarter: Quarter,
    as_of: date | None = None,
    now: datetime | None = None,
) -> QuarterReport:
    """Read the quarter's counts from the store and compute its report."""
    now = now or datetime.now(UTC)
    as_of = as_of or default_quarter_as_of(quarter, now.astimezone(registry.tz).date())
    cutoff = min(quarter.last, as_of)
    counts = (
        read_source_days(engine, quarter.first, cutoff)
        if cutoff >= quarter.first
        else PeriodCounts()
    )
    with engine.connect() as conn:
        first_days = first_success_days_by_source(conn, cutoff)
        excusals = approved_between(conn, quarter.first, cutoff)
        platforms = platform_days_between(conn, quarter.first, cutoff)
    return compute_quarter_report(
        registry, quarter, as_of, now, counts, first_days, excusals, platforms
    )


def build_period_report(
    engine: Engine,
    registry: Registry,
    period: Period,
    as_of: date | None = None,
    now: datetime | None = None,
) -> Report | QuarterReport:
    """The report of a month or of a quarter, read from the store."""
    if isinstance(period, Quarter):
        return build_quarter_report(engine, registry, period, as_of, now)
    return build_report(engine, registry, period, as_of, now)
