"""Each duty's standing today, from its records of every source: what the status pages and
the status API show. Read from the store on each request (the month's daily rollup, the
latest failures), so a pushed or imported record shows at the next refresh; the probe
engine's state is put beside it. `duty_statuses` is pure; `read_duties` does the I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from compliance.month_to_date import LOOKBACK_DAYS, MonthToDate, month_to_date, required_on
from compliance.periods import Month
from compliance.platforms import RequiredPlatform, counted_by_platform, required_platform
from compliance.report import first_success
from compliance.rules import DayState, applies, compliance_row, counting, covers
from exporter import words
from i18n import _
from probes.breaker import CircuitState
from probes.health import ProbeHealth
from registry import Obligation, Registry
from store.counts import (
    DaySources,
    Pair,
    PlatformDay,
    daily_source_counts_between,
    first_record_days,
    first_success_days_by_source,
    platform_days_between,
)
from store.excusals import Excusal, ExcusalState, excusals_between
from store.reading import StoredRecord, latest_failures

FAILURES_SHOWN = 5  # per duty, on a department's page
AT_RISK_BUDGET = 1  # at most this many more days may be missed: at risk (the alert's warning)


@dataclass(frozen=True)
class Failure:
    at: datetime  # local time
    source: str
    detail: str | None

    @property
    def reason(self) -> str:
        return words.reason(self.detail)


@dataclass(frozen=True)
class DutyStatus:
    """One obligation in force today, as its department and the province see it."""

    department: str
    department_name: str
    system: str
    system_name: str
    kind: str  # maintain, connect
    today: str  # a key of words.TODAY_STATES
    successes_today: int  # from the sources that count
    failures_today: int  # every source
    last_success: datetime | None  # local, any source
    last_failure: Failure | None
    probe: str  # a key of words.PROBE_STATES
    probe_at: datetime | None  # local time of the latest probe run
    probe_detail: str | None
    retry_at: datetime | None  # the circuit is open: the next trial probe (local)
    ratio: float | None  # month to date
    target_ratio: float
    missable: int | None  # more required days that may be missed (-1: target out of reach)
    at_risk: bool
    missed_streak: int
    excused_days: int  # this month's required days covered by approved excusals
    strip: tuple[tuple[date, str], ...]  # the month's days: a key of i18n.glossary.DAY_STATES
    failures: tuple[Failure, ...]  # latest first
    # Contract 1.2: this month's counted successes per platform that carried them, and the
    # platform the law requires of the duty today (shown; no figure depends on it).
    month_successes: int = 0
    platform_successes: tuple[tuple[str, int], ...] = ()
    required_platform: RequiredPlatform | None = None
    # The first day lienthong holds a record of the duty (None: none yet): a day missed
    # before it is held against no one, and the page says so (contract 1.2).
    first_record: date | None = None

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.platform_successes)

    def as_json(self) -> dict[str, Any]:
        """The status API's object (ASCII keys and codes; the words beside them)."""
        f = self.last_failure
        return {
            "department": self.department,
            "department_name": self.department_name,
            "system": self.system,
            "system_name": self.system_name,
            "kind": self.kind,
            "today": self.today,
            "today_text": _(words.TODAY_STATES[self.today]),
            "successes_today": self.successes_today,
            "failures_today": self.failures_today,
            "last_success": _iso(self.last_success),
            "last_failure": None
            if f is None
            else {
                "at": f.at.isoformat(),
                "source": f.source,
                "reason_code": words.reason_code(f.detail) if f.detail else None,
                "reason": f.reason,
            },
            "probe": self.probe,
            "probe_text": _(words.PROBE_STATES[self.probe]),
            "probe_at": _iso(self.probe_at),
            "retry_at": _iso(self.retry_at),
            "ratio": self.ratio,
            "target_ratio": self.target_ratio,
            "missable_days": self.missable,
            "at_risk": self.at_risk,
            "missed_streak": self.missed_streak,
            "excused_days": self.excused_days,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class StoreView:
    """What the store says, read once per request."""

    today: date
    counts: Mapping[Pair, Mapping[date, DaySources]]  # LOOKBACK_DAYS before today to today
    first_days: dict[Pair, dict[str, date]]
    first_records: Mapping[Pair, date]
    excusals: Sequence[Excusal]  # every state, with a day in this month
    failures: Mapping[Pair, Sequence[StoredRecord]]  # latest first
    platforms: Mapping[Pair, Sequence[PlatformDay]] = field(default_factory=dict)  # this month


def read_view(
    engine: Engine, registry: Registry, today: date, department: str | None = None
) -> StoreView:
    """The store's figures behind the duties (in a worker thread)."""
    month = Month.of(today)
    first = min(month.first, today - timedelta(days=LOOKBACK_DAYS))
    tz = registry.tz
    with engine.connect() as conn:
        counts = daily_source_counts_between(conn, first, today, department)
        first_days = first_success_days_by_source(conn, today)
        first_records = first_record_days(conn)
        excusals = excusals_between(conn, month.first, month.last)
        failures: dict[Pair, list[StoredRecord]] = {}
        # Only the pairs with a failure on some day in the window, from their latest such day
        # (the rollup says which): a look-up by department, never a scan of every record.
        for pair, by_day in counts.items():
            failed = [
                d for d, sources in by_day.items() if any(c.failures for c in sources.values())
            ]
            if not failed:
                continue
            start = datetime.combine(max(failed) - timedelta(days=1), time(), tz)
            end = datetime.combine(today + timedelta(days=1), time(), tz)
            found = latest_failures(conn, start, end, pair[0], pair[1], FAILURES_SHOWN)
            failures[pair] = found
        platforms = platform_days_between(conn, month.first, today, department)
    return StoreView(today, counts, first_days, first_records, excusals, failures, platforms)


def duty_statuses(
    registry: Registry,
    view: StoreView,
    health: ProbeHealth | None,
    last_success: Mapping[Pair, float],
    department: str | None = None,
) -> list[DutyStatus]:
    """One row per obligation in force today (of one department, or all), in registry order."""
    today = view.today
    approved = [e for e in view.excusals if e.state == ExcusalState.APPROVED]
    rows = []
    for o in registry.obligations:
        if not registry.in_force_on(o, today) or (department and o.department != department):
            continue
        rows.append(_duty(registry, o, view, approved, health, last_success.get(o.key)))
    return rows


def _duty(
    registry: Registry,
    o: Obligation,
    view: StoreView,
    approved: Sequence[Excusal],
    health: ProbeHealth | None,
    last_success: float | None,
) -> DutyStatus:
    tz, today = registry.tz, view.today
    by_day = view.counts.get(o.key, {})
    evidence = registry.evidence_for(o)
    day = by_day.get(today, {})
    met_today = counting(day, evidence).successes
    failed_today = sum(c.failures for c in day.values())
    figures = month_to_date(registry, o, today, by_day, approved, view.first_records.get(o.key))
    month = Month.of(today)
    first = first_success(registry, o, view.first_days)
    row = compliance_row(registry, o, month, today, dict(by_day), first, approved, today)
    strip = tuple((d, _strip_state(registry, o, d, s, today)) for d, s in row.days)
    # Excused days of the month: those past, and those to come already covered.
    own = [e for e in approved if applies(e, o)]
    # (Today not yet met is open, not excused, in the row: counted here when covered.)
    excused = sum(s == DayState.EXCUSED for _, s in row.days) + sum(
        required_on(registry, o, d) and any(covers(e, o, d) for e in own)
        for d, s in row.days
        if own and (d > today or (d == today and s == DayState.OPEN))
    )
    ratio: float | None
    if o.kind == "connect":
        state = "connected" if first is not None else "not_connected"
        ratio, missable, at_risk = None, None, False
    else:
        state = _today_state(registry, o, today, figures, met_today, failed_today)
        ratio = figures.ratio(met_today, o.min_daily_successes)
        missable = figures.missable(met_today, o.min_daily_successes, o.target_ratio)
        at_risk = missable <= AT_RISK_BUDGET and figures.month_required > 0
    failures = tuple(
        Failure(r.ts.astimezone(tz), r.source, r.detail) for r in view.failures.get(o.key, ())
    )
    probe, probe_at, probe_detail, retry_at = _probe(o, health, tz)
    success = _last_success(by_day, last_success, tz)
    return DutyStatus(
        department=o.department,
        department_name=registry.department(o.department).name,
        system=o.system,
        system_name=registry.system(o.system).name,
        kind=o.kind,
        today=state,
        successes_today=met_today,
        failures_today=failed_today,
        last_success=success,
        last_failure=failures[0] if failures else None,
        probe=probe,
        probe_at=probe_at,
        probe_detail=probe_detail,
        retry_at=retry_at,
        ratio=ratio,
        target_ratio=o.target_ratio,
        missable=missable,
        at_risk=at_risk,
        missed_streak=figures.missed_streak,
        excused_days=excused,
        strip=strip,
        first_record=view.first_records.get(o.key),
        failures=failures,
        month_successes=row.successes,
        platform_successes=counted_by_platform(
            registry, o, month.first, today, view.platforms.get(o.key, ())
        ),
        required_platform=required_platform(registry, o, today),
    )


def _strip_state(registry: Registry, o: Obligation, d: date, s: DayState, today: date) -> str:
    """A day of the month strip: today not yet met is still open; a day to come that is no
    working day (or outside the duty's window) is shown as not required already."""
    if d == today and s == DayState.MISSED:
        return "open"
    if s == DayState.AFTER_AS_OF and not required_on(registry, o, d):
        return str(DayState.NOT_REQUIRED)
    return str(s)


def _today_state(
    registry: Registry,
    o: Obligation,
    today: date,
    figures: MonthToDate,
    met_today: int,
    failed_today: int,
) -> str:
    if not figures.required_today:
        return "not_required"
    if met_today >= o.min_daily_successes:
        return "met"
    if figures.excused_today:
        return "excused"
    return "failing" if failed_today else "waiting"


def _last_success(
    by_day: Mapping[date, DaySources], known: float | None, tz: Any
) -> datetime | None:
    """The latest success of any source: the live figure, or the rollup's last success."""
    stored = [c.last_success for sources in by_day.values() for c in sources.values()]
    latest = max((t.timestamp() for t in stored if t is not None), default=0.0)
    seconds = max(known or 0.0, latest)
    return datetime.fromtimestamp(seconds, tz) if seconds else None


def _probe(
    o: Obligation, health: ProbeHealth | None, tz: Any
) -> tuple[str, datetime | None, str | None, datetime | None]:
    if o.probe is None or health is None:
        return "passive", None, None, None
    last = health.last_result(o.key)
    system = health.systems().get(o.system)
    at = last.at.astimezone(tz) if last is not None else None
    detail = last.outcome.detail if last is not None else None
    if system is not None and system.circuit == CircuitState.OPEN:
        retry = datetime.fromtimestamp(system.retry_at, tz) if system.retry_at else None
        return "paused", at, detail, retry
    if last is None:
        return "waiting", None, None, None
    return ("up" if last.outcome.success else "down"), at, detail, None
