"""The monthly compliance figures, exactly as the contract defines them.

Pure functions: (registry, obligation, per-day counts, as-of) in, figures out.
The store supplies the counts; nothing here does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import repeat
from operator import add, mul, sub

from compliance.periods import Month
from compliance.platforms import RequiredPlatform, required_platform
from registry import Obligation, Registry, is_working_day
from registry.calendar import days
from registry.model import ALL_SOURCES, Calendar, holds
from store.counts import DayCount, DaySources, SourceDays, combined, source_days
from store.excusals import Excusal, ExcusalState
from store.writer import from_us

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
    PROBE_ONLY = "probe_only"  # met, but not without the records of source `probe`
    EXCUSED = "excused"  # required, not met, covered by an approved excusal
    MISSED = "missed"
    NOT_REQUIRED = "not_required"  # a weekend, a holiday, or outside since/until
    AFTER_AS_OF = "after_as_of"  # after the as-of day, or not yet come: not yet due
    OPEN = "open"  # today, not yet ended and not yet met: neither required nor missed


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
    # Contract 1.1, after the fields above in JSON and CSV.
    excused_days: int = 0
    probe_only_days: int = 0
    # For people's formats: the sources that counted, the approved excusals behind excused days.
    evidence: tuple[str, ...] = ALL_SOURCES
    excusals: tuple[Excusal, ...] = ()
    # Contract 1.2: the counted successes per platform that carried them (those that said),
    # and the platform the law requires of the duty, if any (shown, never counted).
    platform_successes: tuple[tuple[str, int], ...] = ()
    required_platform: RequiredPlatform | None = None

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platforms that carried the counted successes, sorted (contract: `platforms`)."""
        return tuple(sorted(p for p, _ in self.platform_successes))


@lru_cache(maxsize=4096)  # a report asks for a few hundred distinct ones, 30,000 times
def ratio(met: int, required: int) -> Decimal | None:
    """met / required rounded half-up to 4 decimals; None when nothing was required."""
    if required == 0:
        return None
    return (Decimal(met) / Decimal(required)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def maintain_status(r: Decimal | None, target_ratio: float, successes: int) -> Status:
    """The status of a `maintain` obligation: the first of the contract's rules that holds."""
    if r is None:
        return Status.NOT_APPLICABLE
    if r >= _target(target_ratio):
        return Status.COMPLIANT
    if successes > 0:
        return Status.PARTIAL
    return Status.NON_COMPLIANT


@lru_cache(maxsize=256)
def _target(target_ratio: float) -> Decimal:
    """A target as the Decimal its text says (0.95 is 0.95, not the float nearest it)."""
    return Decimal(str(target_ratio))


def applies(excusal: Excusal, obligation: Obligation) -> bool:
    """Whether an excusal can excuse the obligation's days: approved, of its system, and
    of its department or of none (then of every department); never a `connect` one."""
    return (
        excusal.state == ExcusalState.APPROVED
        and obligation.kind != "connect"
        and excusal.system == obligation.system
        and excusal.department in (None, obligation.department)
    )


def covers(excusal: Excusal, obligation: Obligation, day: date) -> bool:
    """Whether an excusal takes the blame for the obligation's `day` if it is not met."""
    return applies(excusal, obligation) and excusal.first_day <= day <= excusal.last_day


NOTHING = DayCount()


def counting(day: DaySources | None, evidence: frozenset[str]) -> DayCount:
    """One day's records of the sources that count, added together."""
    if not day:
        return NOTHING
    if len(day) == 1:  # the common case, and the report's hot loop: no adding up
        ((source, c),) = day.items()
        return c if source in evidence else NOTHING
    return combined(c for source, c in day.items() if source in evidence)


def first_counting_day(first_days: Mapping[str, date], evidence: frozenset[str]) -> date | None:
    """The first day with a success from a source that counts, given each source's first day."""
    if len(first_days) == 1:  # the common case (one source), once per row of a report
        ((source, day),) = first_days.items()
        return day if source in evidence else None
    return min((d for source, d in first_days.items() if source in evidence), default=None)


def day_state(
    registry: Registry,
    obligation: Obligation,
    day: date,
    records: DaySources | None,
    evidence: frozenset[str],
    excusals: Sequence[Excusal],
) -> DayState:
    """A day before or on the as-of day: met (by real traffic or only by probes), excused,
    missed, or not required. The one rule behind every day of every figure."""
    required = registry.in_force_on(obligation, day) and is_working_day(day, registry.calendar)
    counted = counting(records, evidence).successes
    probe = records.get("probe") if records and "probe" in evidence else None
    return _state(obligation, day, required, counted, probe.successes if probe else 0, excusals)


def _state(
    obligation: Obligation,
    day: date,
    required: bool,
    counted: int,
    by_probe: int,
    excusals: Sequence[Excusal],
) -> DayState:
    """`day_state` given whether the day is required (in force, a working day), the
    counting successes and those of them the probe made."""
    if not required:
        return DayState.NOT_REQUIRED
    need = obligation.min_daily_successes
    if counted >= need:
        if counted - by_probe < need:
            return DayState.PROBE_ONLY
        return DayState.MET
    if excusals and any(covers(e, obligation, day) for e in excusals):
        return DayState.EXCUSED
    return DayState.MISSED


@dataclass(frozen=True)
class _Month:
    """The days of a month and what every row of it shares: whether each is a working day
    and its (day, state) pairs (30,000 rows would otherwise make 900,000 of them)."""

    days: tuple[date, ...]
    working: tuple[bool, ...]
    pairs: tuple[tuple[tuple[date, DayState], ...], ...]  # per day, per code (`_CODES`)


@lru_cache(maxsize=64)
def _month_days(calendar: Calendar, first: date, last: date) -> _Month:
    every = tuple(days(first, last))
    return _Month(
        days=every,
        working=tuple(is_working_day(d, calendar) for d in every),
        pairs=tuple(tuple((d, state) for state in _CODES) for d in every),
    )


def compliance_row(
    registry: Registry,
    obligation: Obligation,
    month: Month,
    as_of: date,
    counts: Mapping[date, DaySources],
    first_success_day: date | None,
    excusals: Sequence[Excusal] = (),
    today: date | None = None,
) -> ComplianceRow:
    """The figures of one obligation for one month as it stood at the end of `as_of`.

    `counts` holds the pair's records per local day and source (every source;
    those the obligation's evidence policy leaves out are ignored here); only
    days of the month up to `as_of` and inside the obligation's window are used.
    `first_success_day` is the pair's first local day with a success from a
    source that counts, ever. `excusals` may hold any excusals: only approved
    ones of the obligation's system (and department) change a figure. `today` is the
    local day the figures are computed on (None: every day up to `as_of` has ended).
    """
    by_source = source_days(counts, month.first)
    return month_row(
        registry, obligation, month, as_of, by_source, first_success_day, excusals, today=today
    )


@dataclass(frozen=True)
class _Window:
    """A month's days as every obligation with one window (since, until) sees them."""

    month: _Month
    in_force: tuple[bool, ...]  # `registry.in_force_on` of each day
    required: tuple[bool, ...]  # in force on a working day
    whole: bool  # in force every day of the month


@lru_cache(maxsize=256)
def _window_days(
    calendar: Calendar, since: date | None, until: date | None, first: date, last: date
) -> _Window:
    """For each day of [first, last], given an obligation's window: whether it is in force
    and whether it is required. Most obligations share one window: computed once for them
    all."""
    month = _month_days(calendar, first, last)
    in_force = tuple(holds(since, until, d, d) for d in month.days)
    required = tuple(f and w for f, w in zip(in_force, month.working, strict=True))
    return _Window(month, in_force, required, all(in_force))


@lru_cache(maxsize=64)
def _in_order(evidence: frozenset[str]) -> tuple[str, ...]:
    """The sources that count, in the contract's order (one tuple per set, not per row)."""
    return tuple(s for s in ALL_SOURCES if s in evidence)


def in_force_all_month(registry: Registry, obligation: Obligation, month: Month) -> bool:
    """Whether the obligation holds every day of the month: then its figures need only the
    extremes of its days' first and last successes, not each day's."""
    # A window is one stretch of days: in force on the first and the last, on all.
    since, until = registry.window(obligation)
    return holds(since, until, month.first, month.first) and holds(
        since, until, month.last, month.last
    )


# `_state` of a day without an approved excusal, by a code: 0 when the day is not
# required, else 1 + (counted >= need) + (counted - by_probe >= need, which implies the
# first: counts are never negative). The same rule, for a month of days in C loops.
_NO_EXCUSAL = (DayState.NOT_REQUIRED, DayState.MISSED, DayState.PROBE_ONLY, DayState.MET)
# Every state by a small number, those codes first: a row's days are counted and paired
# with their dates as numbers (a DayState is hashed in Python, 900,000 times a report).
_CODES = (*_NO_EXCUSAL, DayState.AFTER_AS_OF, DayState.EXCUSED, DayState.OPEN)
_CODE = {state: code for code, state in enumerate(_CODES)}
_MISSED, _PROBE_ONLY, _MET = _CODE[DayState.MISSED], _CODE[DayState.PROBE_ONLY], _CODE[DayState.MET]
_AFTER, _EXCUSED, _OPEN = _CODE[DayState.AFTER_AS_OF], _CODE[DayState.EXCUSED], _CODE[DayState.OPEN]


def as_seen_on(state: DayState, day: date, today: date | None) -> DayState:
    """A day's state as it stands while `today` (local) has not ended: a day not yet ended and
    not met is open (today) or not yet due (later), never missed or excused (contract 1.2)."""
    if today is None or day < today or state not in (DayState.MISSED, DayState.EXCUSED):
        return state
    return DayState.OPEN if day == today else DayState.AFTER_AS_OF


def _open_days(codes: list[int], today: int) -> None:
    """Contract 1.2, "A day still open is not missed": from index `today` on, a required day
    not met is neither required nor missed (nor excused): today is open, a later day is not
    yet due."""
    for i in range(today, len(codes)):
        if codes[i] in (_MISSED, _EXCUSED):
            codes[i] = _OPEN if i == today else _AFTER


@dataclass(frozen=True, slots=True)
class _Counted:
    """The counting sources' figures over the days up to the as-of day (those in force for
    the sums): what a month row is computed from."""

    successes: int
    failures: int
    first_us: int | None
    last_us: int | None
    per_day: list[int]  # counting successes per day up to the as-of day
    by_probe: list[int] | None  # the probe's among them (None: the probe does not count)


def _counted(
    sources: Mapping[str, SourceDays], evidence: frozenset[str], start: date, upto: int, w: _Window
) -> _Counted:
    """The sources that count, added together over the first `upto` days of the month.

    A source read for this month (its days counted from the month's first, none after the
    as-of day) in a window of the whole month is added with C loops (sum, map); others day
    by day. A report adds up 900,000 days."""
    successes = failures = 0
    firsts: list[int] = []
    lasts: list[int] = []
    per_day = [0] * upto
    by_probe: list[int] | None = None
    for source, s in sources.items():
        if source not in evidence:
            continue
        if not s.days:
            continue
        shift = (s.first - start).days
        day_ok: list[int] = [0] * upto
        if shift == 0 and w.whole and min(s.days) >= 0 and max(s.days) < upto:
            successes += sum(s.successes)
            failures += sum(s.failures)
            if s.earliest_us is not None:
                firsts.append(s.earliest_us)
            if s.latest_us is not None:
                lasts.append(s.latest_us)
            list(map(day_ok.__setitem__, s.days, s.successes))
        else:
            if not s.has_times:  # build_report reads them for these obligations
                raise ValueError("a window or period of part of the days needs each day's times")
            in_force = w.in_force
            rows = zip(
                s.days, s.successes, s.failures, s.first_success_us, s.last_success_us, strict=True
            )
            for k, ok, failed, first_us, last_us in rows:
                i = k + shift
                if not 0 <= i < upto:
                    continue
                day_ok[i] = ok
                if not in_force[i]:
                    continue  # its state says so, its records are not counted
                successes += ok
                failures += failed
                if first_us is not None:
                    firsts.append(first_us)
                if last_us is not None:
                    lasts.append(last_us)
        per_day = day_ok if not any(per_day) else list(map(add, per_day, day_ok))
        if source == "probe":
            by_probe = day_ok
    return _Counted(
        successes,
        failures,
        min(firsts, default=None),
        max(lasts, default=None),
        per_day,
        by_probe,
    )


def month_row(
    registry: Registry,
    obligation: Obligation,
    month: Month,
    as_of: date,
    sources: Mapping[str, SourceDays],
    first_success_day: date | None,
    excusals: Sequence[Excusal] = (),
    platform_successes: tuple[tuple[str, int], ...] = (),
    today: date | None = None,
) -> ComplianceRow:
    """`compliance_row` from the pair's records as lists per source (as reports read them);
    `platform_successes` the counted successes per platform (`counted_by_platform`)."""
    start, end = month.first, month.last
    cutoff = min(end, as_of)
    evidence = registry.evidence_for(obligation)
    mine = (
        tuple(e for e in excusals if applies(e, obligation) and e.days(start, cutoff))
        if excusals
        else ()
    )
    since, until = registry.window(obligation)
    window = _window_days(registry.calendar, since, until, start, end)
    the_month = window.month
    n = len(the_month.days)
    upto = max(0, min(n, (cutoff - start).days + 1))  # the days up to the as-of day
    c = _counted(sources, evidence, start, upto, window)
    required_day = window.required[:upto]
    # Every day up to the as-of day gets its state from the one rule (a day out of force is
    # not required, whatever its records); the sums count the days in force.
    need = obligation.min_daily_successes
    if mine:
        by_probe = c.by_probe or [0] * upto
        states = map(
            _state,
            repeat(obligation),
            the_month.days,
            required_day,
            c.per_day,
            by_probe,
            repeat(mine),
        )
        codes = list(map(_CODE.__getitem__, states))
    else:
        # The same rule in C loops (map, a lookup): a report runs it for 900,000 days.
        enough = list(map(need.__le__, c.per_day))
        without_probe = (
            enough if c.by_probe is None else map(need.__le__, map(sub, c.per_day, c.by_probe))
        )
        codes = list(map(mul, required_day, map(add, map(add, enough, without_probe), repeat(1))))
    if today is not None and today <= cutoff:
        _open_days(codes, max(0, (today - start).days))
    codes += [_AFTER] * (n - upto)
    successes, failures = c.successes, c.failures
    first, last = c.first_us, c.last_us
    met = codes.count(_MET) + codes.count(_PROBE_ONLY)
    required = met + codes.count(_MISSED)

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
        first_success=None if first is None else from_us(first).astimezone(tz),
        last_success=None if last is None else from_us(last).astimezone(tz),
        status=status,
        target_ratio=obligation.target_ratio,
        min_daily_successes=obligation.min_daily_successes,
        derived=obligation.derived,
        days=tuple(map(tuple.__getitem__, the_month.pairs, codes)),
        excused_days=codes.count(_EXCUSED),
        probe_only_days=codes.count(_PROBE_ONLY),
        evidence=_in_order(evidence),
        excusals=mine,
        platform_successes=platform_successes,
        required_platform=(
            required_platform(registry, obligation, cutoff)
            if registry.platform_requirements
            else None
        ),
    )
