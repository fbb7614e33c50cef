"""When the exports are due: pure arithmetic on (now, timezone, what was already written).

- A month's export is due on the 1st of the next month at `hour` (07:00 by default),
  local time, and shows the whole month (as of its last day).
- A quarter's export is due on its reporting deadline day (the 24th of its last month:
  members report "before the 25th", seed 004 Art. 10) at `hour`, so it is there on the
  morning members must send it. It stands at the day before, the last whole day.
- What was written is never due again. If the service was down when an export fell due,
  it is due as soon as the service is back (catching up every period missed since the
  last one written, at most `catch_up` of each kind); a new exports folder starts with
  the latest period only, not with the whole history.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from compliance.periods import Month, Period, PeriodError, Quarter, parse_period

DEFAULT_HOUR = 7
DEFAULT_CATCH_UP = 12


@dataclass(frozen=True)
class DueExport:
    period: Period
    as_of: date
    due_at: datetime  # local time

    @property
    def key(self) -> str:
        """The period's name: the export's folder and its entry in the manifest."""
        return str(self.period)


def scheduled_as_of(period: Period) -> date:
    """The day a scheduled export stands at: the last whole day before it is written."""
    return period.due_day - timedelta(days=1)


def due_at(period: Period, tz: ZoneInfo, hour: int = DEFAULT_HOUR) -> datetime:
    return datetime.combine(period.due_day, time(hour), tzinfo=tz)


P = TypeVar("P", Month, Quarter)


def _missing(latest: P, previous: Callable[[P], P], written: set[str], catch_up: int) -> list[P]:
    """`latest` and the periods before it back to the last one written (oldest first)."""
    if str(latest) in written:
        return []
    if not written:
        return [latest]
    found = [latest]
    period = latest
    while len(found) < catch_up:
        period = previous(period)
        if str(period) in written:
            break
        found.append(period)
    return found[::-1]


def _kinds(written: Collection[str]) -> tuple[set[str], set[str]]:
    by_kind: dict[str, set[str]] = {"month": set(), "quarter": set()}
    for key in written:
        try:
            period = parse_period(key)
        except PeriodError:
            continue  # not a period: nothing this schedule wrote
        by_kind[period.kind].add(str(period))
    return by_kind["month"], by_kind["quarter"]


def due_exports(
    now: datetime,
    tz: ZoneInfo,
    written: Collection[str],
    hour: int = DEFAULT_HOUR,
    catch_up: int = DEFAULT_CATCH_UP,
) -> list[DueExport]:
    """The exports due at `now` that are not in `written` (period names), oldest first."""
    if now.tzinfo is None:
        raise ValueError("the schedule needs an aware time (a naive one has no local day)")
    local = now.astimezone(tz)
    today = local.date()
    months, quarters = _kinds(written)

    latest_month = Month.of(today).previous()
    if local < due_at(latest_month, tz, hour):
        latest_month = latest_month.previous()
    latest_quarter = Quarter.of(today)
    if local < due_at(latest_quarter, tz, hour):
        latest_quarter = latest_quarter.previous()

    periods: list[Period] = [
        *_missing(latest_month, Month.previous, months, catch_up),
        *_missing(latest_quarter, Quarter.previous, quarters, catch_up),
    ]
    found = [DueExport(p, scheduled_as_of(p), due_at(p, tz, hour)) for p in periods]
    return sorted(found, key=lambda d: (d.due_at, d.key))


def next_due_at(now: datetime, tz: ZoneInfo, hour: int = DEFAULT_HOUR) -> datetime:
    """The first moment after `now` when a new export falls due."""
    local = now.astimezone(tz)
    month = Month.of(local.date())
    quarter = Quarter.of(local.date())
    candidates = [
        due_at(month.previous(), tz, hour),
        due_at(month, tz, hour),
        due_at(quarter, tz, hour),
        due_at(quarter.next(), tz, hour),
    ]
    return min(c for c in candidates if c > local)
