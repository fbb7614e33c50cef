"""The report through the store equals a naive reading of the contract, on any data.

The reference below is written straight from the contract's words, over the raw
records, with no rollup: if the write path, the rollup or the arithmetic drift
from the contract, the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from compliance.periods import Month
from compliance.report import build_report
from registry import Registry
from store import Transaction, write_transactions

MONTH = Month(2026, 2)  # Tết falls in it
TIMEZONES = ("Asia/Ho_Chi_Minh", "UTC", "America/New_York", "Pacific/Kiritimati")


@dataclass(frozen=True)
class Case:
    timezone: str
    kind: str
    since: date | None
    until: date | None
    min_daily: int
    target: float
    extra_holiday: date | None
    extra_working: date | None
    as_of: date
    records: list[Transaction]


def days_around() -> st.SearchStrategy[date]:
    return st.dates(min_value=date(2026, 1, 25), max_value=date(2026, 3, 5))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    since = draw(st.none() | days_around())
    until = draw(st.none() | days_around())
    if since is not None and until is not None and since >= until:
        since, until = until, since + timedelta(days=1) if since == until else since
    records = []
    for n in range(draw(st.integers(0, 60))):
        moment = datetime(2026, 1, 28, tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 60 * 24 * 36))
        )
        offset = timedelta(hours=draw(st.sampled_from([-10, -5, 0, 7, 14])))
        ts = moment.astimezone(__import__("datetime").timezone(offset))
        record_id = draw(st.none() | st.sampled_from(["a", "b", "c", f"u{n}"]))
        records.append(
            Transaction(
                department="so-khdt",
                system="csdl-dkdn",
                ts=ts,
                success=draw(st.booleans()),
                source=draw(st.sampled_from(["probe", "push", "gateway", "import"])),
                record_id=record_id,
            )
        )
    return Case(
        timezone=draw(st.sampled_from(TIMEZONES)),
        kind=draw(st.sampled_from(["maintain", "maintain", "connect"])),
        since=since,
        until=until,
        min_daily=draw(st.integers(1, 3)),
        target=draw(st.sampled_from([0.1, 0.5, 0.9, 1.0])),
        extra_holiday=draw(st.none() | days_around()),
        extra_working=draw(st.none() | st.sampled_from([date(2026, 2, 7), date(2026, 2, 14)])),
        as_of=draw(st.dates(min_value=date(2026, 1, 30), max_value=date(2026, 3, 3))),
        records=records,
    )


def registry_for(case: Case) -> Registry:
    calendar: dict[str, list[date]] = {"extra_holidays": [], "extra_working_days": []}
    if case.extra_holiday and case.extra_holiday != case.extra_working:
        calendar["extra_holidays"].append(case.extra_holiday)
    if case.extra_working:
        calendar["extra_working_days"].append(case.extra_working)
    return Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            "timezone": case.timezone,
            "calendar": calendar,
            "systems": [{"code": "csdl-dkdn", "name": "CSDL", "owner": "Bộ"}],
            "departments": [{"code": "so-khdt", "name": "Sở Kế hoạch và Đầu tư"}],
            "obligations": [
                {
                    "department": "so-khdt",
                    "system": "csdl-dkdn",
                    "kind": case.kind,
                    "basis": "Điều 6",
                    "since": case.since,
                    "until": case.until,
                    "min_daily_successes": case.min_daily,
                    "target_ratio": case.target,
                }
            ],
        }
    )


def reference(case: Case, r: Registry) -> dict[str, object] | None:
    """The contract's 'Monthly compliance' section, read literally."""
    tz = ZoneInfo(case.timezone)
    first, last = MONTH.first, MONTH.last
    if (case.since and case.since > last) or (case.until and case.until <= first):
        return None  # not in force during the month: no row
    vn = holidays.country_holidays("VN", years=2026)

    def working(d: date) -> bool:
        if d in r.calendar.extra_working_days:
            return True
        if d in r.calendar.extra_holidays:
            return False
        return d.weekday() < 5 and d not in vn

    def within(d: date) -> bool:
        return (case.since is None or case.since <= d) and (case.until is None or d < case.until)

    # "a record whose id was already stored for that department is counted once"
    seen: set[str] = set()
    kept = []
    for t in case.records:
        if t.record_id is not None:
            if t.record_id in seen:
                continue
            seen.add(t.record_id)
        kept.append(t)
    # "Nothing after [the end of the as-of day] counts, in any figure"
    counted = [t for t in kept if t.ts.astimezone(tz).date() <= case.as_of]
    in_month = [t for t in counted if first <= t.ts.astimezone(tz).date() <= last]
    in_window = [t for t in in_month if within(t.ts.astimezone(tz).date())]
    required = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if working(first + timedelta(days=i))
        and within(first + timedelta(days=i))
        and first + timedelta(days=i) <= case.as_of
    ]
    met = [
        d
        for d in required
        if sum(1 for t in in_window if t.success and t.ts.astimezone(tz).date() == d)
        >= case.min_daily
    ]
    ratio = (
        None
        if not required
        else (Decimal(len(met)) / Decimal(len(required))).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    )
    successes = [t for t in in_window if t.success]
    failures = [t for t in in_window if not t.success]
    if case.kind == "connect":
        end = min(last, case.as_of)
        connected = any(t.success and t.ts.astimezone(tz).date() <= end for t in kept)
        status = "connected" if connected else "not_connected"
    elif not required:
        status = "not_applicable"
    elif ratio is not None and ratio >= Decimal(str(case.target)):
        status = "compliant"
    elif successes:
        status = "partial"
    else:
        status = "non_compliant"
    return {
        "required_days": len(required),
        "met_days": len(met),
        "ratio": ratio,
        "successes": len(successes),
        "failures": len(failures),
        "first_success": min((t.ts for t in successes), default=None),
        "last_success": max((t.ts for t in successes), default=None),
        "status": status,
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_report_matches_the_contract_read_literally(engine: Engine, case: Case) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transactions"))
        conn.execute(text("DELETE FROM daily_counts"))
    r = registry_for(case)
    # In several writes, as records arrive in life: duplicates across batches too.
    for start in range(0, len(case.records), 7):
        write_transactions(engine, case.timezone, case.records[start : start + 7])
    report = build_report(engine, r, MONTH, as_of=case.as_of, now=datetime(2026, 3, 10, tzinfo=UTC))
    expected = reference(case, r)
    if expected is None:
        assert report.rows == ()
        return
    (row,) = report.rows
    got = {
        "required_days": row.required_days,
        "met_days": row.met_days,
        "ratio": row.ratio,
        "successes": row.successes,
        "failures": row.failures,
        "first_success": row.first_success,
        "last_success": row.last_success,
        "status": row.status,
    }
    assert got == expected
