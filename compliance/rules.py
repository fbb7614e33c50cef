"""The monthly compliance figures, exactly as the contract defines them.

Pure functions: (registry, obligation, per-day counts, as-of) in, figures out.
The store supplies the counts; nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from compliance.periods import Month
from registry import Obligation, Registry, is_working_day
from registry.calendar import days
from registry.model import Calendar, holds
from store.counts import DayCount

RATIO_PLACES = Decimal("0.0001")


class Status(StrEnum):
    """A row's status, as the contract names it (JSON and CSV carry these values)."""

    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"
    CONNECTED = "connected"
    NOT_CONNECTED = "not_connected"


MAINTAIN_STATUSES = (Status.COMPLIANT, Status.PARTIAL, Status.NON_COMPLIANT, Status.NOT_APPLICABLE)
CONNECT_STATUSES = (Status.CONNECTED, Status.NOT_CONNECTED)


class DayState(StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_REQUIRED = "not_required"  # a weekend, a holiday, or outside since/until
    AFTER_AS_OF = "after_as_of"


@dataclass(frozen=True)
class ComplianceRow:
    """One obligation's figures for one month: the report's row."""

    department: str
    department_name: str
    system: str
    system_name: str
    owner: str
    kind: str
    basis: str
    required_days: int
    met_days: int
    ratio: Decimal | None
    successes: int
    failures: int
    first_success: datetime | None  # local time
    last_success: datetime | None
    status: Status
    # Not in the contract's rows; for people's formats (the PDF's strip of days).
    target_ratio: float
    min_daily_successes: int
    derived: bool
    days: tuple[tuple[date, DayState], ...]


def ratio(met: int, required: int) -> Decimal | None:
    """met / required rounded half-up to 4 decimals; None when nothing was required."""
    if required == 0:
        return None
    return (Decimal(met) / Decimal(required)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def maintain_status(r: Decimal | None, target_ratio: float, successes: int) -> Status:
    """The status of a `maintain` obligation: the first of the contract's rules that holds."""
    if r is None:
        return Status.NOT_APPLICABLE
    if r >= Decimal(str(target_ratio)):
        return Status.COMPLIANT
    if successes > 0:
        return Status.PARTIAL
    return Status.NON_COMPLIANT


@functools.lru_cache(maxsize=64)
def _month_days(month: Month, calendar: Calendar) -> tuple[tuple[date, bool], ...]:
    """The month's days, each with whether it is a working day (the same for every row)."""
    return tuple((d, is_working_day(d, calendar)) for d in days(month.first, month.last))


def compliance_row(
    registry: Registry,
    obligation: Obligation,
    month: Month,
    as_of: date,
    counts: Mapping[date, DayCount],
    first_success_day: date | None,
) -> ComplianceRow:
    """The figures of one obligation for one month as it stood at the end of `as_of`.

    `counts` holds the pair's records per local day (all sources); only days of
    the month up to `as_of` and inside the obligation's window are used.
    `first_success_day` is the pair's first local day with a success, ever.
    """
    cutoff = min(month.last, as_of)
    states: list[tuple[date, DayState]] = []
    required = met = successes = failures = 0
    first: datetime | None = None
    last: datetime | None = None
    since, until = registry.window(obligation)
    for d, working in _month_days(month, registry.calendar):
        if d > cutoff:
            states.append((d, DayState.AFTER_AS_OF))
            continue
        c = counts.get(d)
        counted = holds(since, until, d, d)  # registry.in_force_on, its window asked once
        if counted and c is not None:
            successes += c.successes
            failures += c.failures
            if c.first_success is not None and (first is None or c.first_success < first):
                first = c.first_success
            if c.last_success is not None and (last is None or c.last_success > last):
                last = c.last_success
        if counted and working:
            required += 1
            if c is not None and c.successes >= obligation.min_daily_successes:
                met += 1
                states.append((d, DayState.MET))
            else:
                states.append((d, DayState.MISSED))
        else:
            states.append((d, DayState.NOT_REQUIRED))

    r = ratio(met, required)
    if obligation.kind == "connect":
        connected = first_success_day is not None and first_success_day <= cutoff
        status = Status.CONNECTED if connected else Status.NOT_CONNECTED
    else:
        status = maintain_status(r, obligation.target_ratio, successes)

    department = registry.department(obligation.department)
    system = registry.system(obligation.system)
    tz = registry.tz
    # The owner of the row's last day in the month, kept inside the obligation's window
    # (a successor's row names the new owner even in a month before it began).
    shown = cutoff if until is None else min(cutoff, until - timedelta(days=1))
    shown = shown if since is None else max(since, shown)
    return ComplianceRow(
        department=department.code,
        department_name=department.name,
        system=system.code,
        system_name=system.name,
        owner=system.owner_on(shown),
        kind=obligation.kind,
        basis=obligation.basis,
        required_days=required,
        met_days=met,
        ratio=r,
        successes=successes,
        failures=failures,
        first_success=first.astimezone(tz) if first else None,
        last_success=last.astimezone(tz) if last else None,
        status=status,
        target_ratio=obligation.target_ratio,
        min_daily_successes=obligation.min_daily_successes,
        derived=obligation.derived,
        days=tuple(states),
    )
