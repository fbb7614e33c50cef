"""A month's compliance report: the registry's obligations in force that month, with
their figures computed from the store's daily counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from compliance.periods import Month
from compliance.rules import ComplianceRow, compliance_row
from registry import Department, Obligation, Province, Registry
from registry.history import ancestry
from store.counts import DayCount, Pair, daily_counts_between, first_success_days


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


def first_success(registry: Registry, o: Obligation, first_days: dict[Pair, date]) -> date | None:
    """The obligation's first day with a success, its predecessors' included: a connection
    made before a merger stays made when the duty passes to the successor."""
    days = [first_days[x.key] for x in ancestry(registry, o) if x.key in first_days]
    return min(days) if days else None


def compute_report(
    registry: Registry,
    month: Month,
    as_of: date,
    generated_at: datetime,
    counts: dict[Pair, dict[date, DayCount]],
    first_days: dict[Pair, date],
) -> Report:
    """The report from counts already fetched (pure)."""
    obligations = registry.obligations_between(month.first, month.last)
    rows = tuple(
        compliance_row(
            registry, o, month, as_of, counts.get(o.key, {}), first_success(registry, o, first_days)
        )
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
    with engine.connect() as conn:
        counts = daily_counts_between(conn, month.first, cutoff) if cutoff >= month.first else {}
        first_days = first_success_days(conn, cutoff)
    return compute_report(registry, month, as_of, now, counts, first_days)
