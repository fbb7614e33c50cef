"""The calendar figures behind the month-to-date gauges, from days already completed.

Days before today do not change once over (short of a late import), so they
are computed in the background now and then; today's part is added at
scrape time from the live count of today's successes. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from compliance.periods import Month
from compliance.rules import DayState, compliance_row, covers, day_state, ratio
from registry import Obligation, Registry, is_working_day
from registry.calendar import working_days
from store.counts import DaySources
from store.excusals import Excusal

LOOKBACK_DAYS = 62  # how far back the streak of missed days is counted


@dataclass(frozen=True, slots=True)
class MonthToDate:
    """One obligation's figures for the month of `today`, today itself left out."""

    today: date
    required_today: bool
    required_before: int  # required days of the month before today, from the first record
    # on (excused ones left out)
    met_before: int
    required_after: int  # required days of the month after today not covered by an excusal
    missed_streak: int  # completed required days with no met day, back from yesterday
    excused_today: bool = False  # today is covered by an approved excusal

    @property
    def month_required(self) -> int:
        today = self.required_today and not self.excused_today
        return self.required_before + today + self.required_after

    def met(self, successes_today: int, min_daily: int) -> int:
        return self.met_before + (self.required_today and successes_today >= min_daily)

    def remaining(self, successes_today: int, min_daily: int) -> int:
        """Required days still to come, today included while it is not yet met (nor excused)."""
        today_open = self.required_today and not self.excused_today and successes_today < min_daily
        return self.required_after + today_open

    def ratio(self, successes_today: int, min_daily: int) -> float | None:
        """Month-to-date met / required (the report's ratio as of today), None if nothing required."""
        # Today is still open: it counts once met, never as missed (contract 1.2).
        today = self.required_today and successes_today >= min_daily
        r = ratio(self.met(successes_today, min_daily), self.required_before + today)
        return None if r is None else float(r)

    def missable(self, successes_today: int, min_daily: int, target_ratio: float) -> int:
        """How many of the required days still to come may be missed with the month's ratio
        still reaching the target; -1 when the target is out of reach already."""
        met = self.met(successes_today, min_daily)
        met_today = successes_today >= min_daily
        required = self.required_before + (self.required_today and met_today)
        left = self.remaining(successes_today, min_daily)
        target = Decimal(str(target_ratio))
        for missed in range(left + 1):
            final = ratio(met + left - missed, required + left)
            if final is None:  # nothing required all month: no target to miss
                return left
            if final < target:
                return missed - 1
        return left


def required_on(registry: Registry, obligation: Obligation, day: date) -> bool:
    """Whether `day` is a required day for the obligation (a working day in its window)."""
    return registry.in_force_on(obligation, day) and is_working_day(day, registry.calendar)


def month_to_date(
    registry: Registry,
    obligation: Obligation,
    today: date,
    counts: Mapping[date, DaySources],
    excusals: Sequence[Excusal] = (),
    first_record: date | None = None,
) -> MonthToDate:
    """The figures for today's month from the pair's per-day counts of the days before today.

    Neither the month's days before `first_record`, the pair's first day with any
    stored record (None: no record yet), nor the streak of missed days go back further:
    before it lienthong was not watching, so no live gauge holds those days against the
    department and nobody is paged for them (the filed report still counts them).
    """
    month = Month.of(today)
    yesterday = today - timedelta(days=1)
    required_before = met_before = 0
    if yesterday >= month.first and first_record is not None and first_record <= yesterday:
        row = compliance_row(registry, obligation, month, yesterday, counts, None, excusals)
        if first_record <= month.first:
            required_before, met_before = row.required_days, row.met_days
        else:
            watched = [s for d, s in row.days if d >= first_record]
            met_before = sum(s in (DayState.MET, DayState.PROBE_ONLY) for s in watched)
            required_before = met_before + watched.count(DayState.MISSED)
    # required_on over the month's working days, listed once for every obligation: asked
    # for each obligation and day when `serve` starts (3 million calls at 100,000).
    after = sum(
        registry.in_force_on(obligation, d) and not any(covers(e, obligation, d) for e in excusals)
        for d in working_days(today + timedelta(days=1), month.last, registry.calendar)
    )
    evidence = registry.evidence_for(obligation)
    streak = 0
    for back in range(1, LOOKBACK_DAYS + 1):
        d = today - timedelta(days=back)
        if first_record is None or d < first_record:
            break
        state = day_state(registry, obligation, d, counts.get(d), evidence, excusals)
        if state == DayState.NOT_REQUIRED:
            since, _ = registry.window(obligation)
            if since is not None and d < since:
                break
            continue
        if state == DayState.EXCUSED:
            continue
        if state != DayState.MISSED:
            break
        streak += 1
    required_today = required_on(registry, obligation, today)
    return MonthToDate(
        today=today,
        required_today=required_today,
        required_before=required_before,
        met_before=met_before,
        required_after=after,
        missed_streak=streak,
        excused_today=required_today and any(covers(e, obligation, today) for e in excusals),
    )
