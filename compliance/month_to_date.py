"""The calendar figures behind the month-to-date gauges, from days already completed.

Days before today do not change once over (short of a late import), so they
are computed in the background now and then; today's part is added at
scrape time from the live count of today's successes. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from compliance.periods import Month
from compliance.rules import compliance_row, ratio
from registry import Obligation, Registry, is_working_day
from registry.calendar import days
from registry.model import holds
from store.counts import DayCount

LOOKBACK_DAYS = 62  # how far back the streak of missed days is counted


@dataclass(frozen=True, slots=True)
class MonthToDate:
    """One obligation's figures for the month of `today`, today itself left out."""

    today: date
    required_today: bool
    required_before: int  # required days of the month before today
    met_before: int
    required_after: int  # required days of the month after today
    missed_streak: int  # completed required days with no met day, back from yesterday

    @property
    def month_required(self) -> int:
        return self.required_before + self.required_today + self.required_after

    def met(self, successes_today: int, min_daily: int) -> int:
        return self.met_before + (self.required_today and successes_today >= min_daily)

    def remaining(self, successes_today: int, min_daily: int) -> int:
        """Required days still to come, today included while it is not yet met."""
        today_open = self.required_today and successes_today < min_daily
        return self.required_after + today_open

    def ratio(self, successes_today: int, min_daily: int) -> float | None:
        """Month-to-date met / required (the report's ratio as of today), None if nothing required."""
        r = ratio(self.met(successes_today, min_daily), self.required_before + self.required_today)
        return None if r is None else float(r)


def required_on(registry: Registry, obligation: Obligation, day: date) -> bool:
    """Whether `day` is a required day for the obligation (a working day in its window)."""
    return registry.in_force_on(obligation, day) and is_working_day(day, registry.calendar)


def month_to_date(
    registry: Registry, obligation: Obligation, today: date, counts: Mapping[date, DayCount]
) -> MonthToDate:
    """The figures for today's month from the pair's per-day counts of the days before today."""
    month = Month.of(today)
    yesterday = today - timedelta(days=1)
    if yesterday >= month.first:
        row = compliance_row(registry, obligation, month, yesterday, counts, None)
        required_before, met_before = row.required_days, row.met_days
    else:
        required_before = met_before = 0
    since, until = registry.window(obligation)  # asked once, not for each of ~90 days
    calendar = registry.calendar

    def required(d: date) -> bool:  # required_on, with the window at hand
        return holds(since, until, d, d) and is_working_day(d, calendar)

    after = sum(required(d) for d in days(today + timedelta(days=1), month.last))
    streak = 0
    for back in range(1, LOOKBACK_DAYS + 1):
        d = today - timedelta(days=back)
        if not required(d):
            if since is not None and d < since:
                break
            continue
        c = counts.get(d)
        if c is not None and c.successes >= obligation.min_daily_successes:
            break
        streak += 1
    return MonthToDate(
        today=today,
        required_today=required(today),
        required_before=required_before,
        met_before=met_before,
        required_after=after,
        missed_streak=streak,
    )
