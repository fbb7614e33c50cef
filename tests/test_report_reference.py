"""The report through the store equals a naive reading of the contract, on any data.

The reference below is written straight from the contract's words, over the raw
records, with no rollup: if the write path, the rollup or the arithmetic drift
from the contract, the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, text

from compliance.periods import Month
from compliance.report import build_report
from registry import Registry
from store import Transaction, write_transactions
from store.excusals import approve_excusal, reject_excusal, withdraw_excusal
from store.schema import excusals

# January 2026: Friday 2/1 off, Saturday 10/1 worked (Công văn 12729/VPCP-KGVX, 25/12/2025);
# February: Tết, 16–20/2 (Thông báo 9441/TB-BNV); August: Saturday 22/8 worked for Monday 31/8
# (the same notice). Written here from the notices, not read from lienthong's data.
MONTHS = (Month(2026, 1), Month(2026, 2), Month(2026, 8))
OFFICIAL_2026_OFF = {
    date(2026, 1, 1),
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in range(16, 21)),
    date(2026, 8, 31),
    date(2026, 9, 1),
    date(2026, 9, 2),
}
OFFICIAL_2026_WORKED = {date(2026, 1, 10), date(2026, 8, 22)}
TIMEZONES = ("Asia/Ho_Chi_Minh", "UTC", "America/New_York", "Pacific/Kiritimati")
SOURCES = ("probe", "push", "gateway", "import")


@dataclass(frozen=True)
class CaseExcusal:
    system: str
    department: str | None
    first_day: date
    last_day: date
    state: str  # proposed, approved, rejected, withdrawn (approved, then withdrawn)


@dataclass(frozen=True)
class Case:
    month: Month
    now: datetime  # when the report is computed: a day not yet ended counts once met
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
    evidence: tuple[str, ...] | None = None  # the registry's top-level key
    obligation_evidence: tuple[str, ...] | None = None
    excusals: tuple[CaseExcusal, ...] = ()


def days_around(month: Month) -> st.SearchStrategy[date]:
    return st.dates(
        min_value=month.first - timedelta(days=7), max_value=month.last + timedelta(days=5)
    )


def days_of(month: Month) -> list[date]:
    return [month.first + timedelta(days=n) for n in range((month.last - month.first).days + 1)]


def evidence_policies() -> st.SearchStrategy[tuple[str, ...] | None]:
    return st.none() | st.lists(st.sampled_from(SOURCES), min_size=1, unique=True).map(tuple)


@st.composite
def case_excusals(draw: st.DrawFn, month: Month) -> CaseExcusal:
    first = draw(days_around(month))
    system, department = draw(
        st.sampled_from(
            [
                ("csdl-dkdn", None),
                ("csdl-dkdn", "so-khdt"),
                ("csdl-dkdn", "so-khdt"),
                ("csdl-dkdn", "so-taichinh"),
                ("csdl-gia", None),
                ("csdl-gia", "so-taichinh"),
            ]
        )
    )
    return CaseExcusal(
        system=system,
        department=department,
        first_day=first,
        last_day=first + timedelta(days=draw(st.integers(0, 12))),
        state=draw(st.sampled_from(["proposed", "approved", "approved", "rejected", "withdrawn"])),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    month = draw(st.sampled_from(MONTHS))
    since = draw(st.none() | days_around(month))
    until = draw(st.none() | days_around(month))
    if since is not None and until is not None and since >= until:
        since, until = until, since + timedelta(days=1) if since == until else since
    records = []
    for n in range(draw(st.integers(0, 60))):
        moment = datetime.combine(month.first - timedelta(days=4), time(0), UTC) + timedelta(
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
    timezone = draw(st.sampled_from(TIMEZONES))
    as_of = draw(
        st.dates(
            min_value=month.first + timedelta(days=5), max_value=month.last + timedelta(days=3)
        )
    )
    # Mostly computed after the month; sometimes on a day around the as-of day, still open.
    open_day = draw(st.none() | st.integers(-3, 1))
    if open_day is None:
        now = datetime.combine(month.last + timedelta(days=10), time(12), UTC)
    else:
        local = datetime.combine(as_of + timedelta(days=open_day), time(0), ZoneInfo(timezone))
        now = (local + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))).astimezone(UTC)
    saturdays = [d for d in days_of(month) if d.weekday() == 5][:2]
    return Case(
        month=month,
        now=now,
        timezone=timezone,
        kind=draw(st.sampled_from(["maintain", "maintain", "connect"])),
        since=since,
        until=until,
        min_daily=draw(st.integers(1, 3)),
        target=draw(st.sampled_from([0.1, 0.5, 0.9, 1.0])),
        extra_holiday=draw(st.none() | days_around(month)),
        extra_working=draw(st.none() | st.sampled_from(saturdays)),
        as_of=as_of,
        records=records,
        evidence=draw(evidence_policies()),
        obligation_evidence=draw(evidence_policies()),
        excusals=tuple(draw(st.lists(case_excusals(month), max_size=3))),
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
            "systems": [
                {"code": "csdl-dkdn", "name": "CSDL", "owner": "Bộ"},
                {"code": "csdl-gia", "name": "CSDL giá", "owner": "Bộ Tài chính"},
            ],
            "departments": [
                {"code": "so-khdt", "name": "Sở Kế hoạch và Đầu tư"},
                {"code": "so-taichinh", "name": "Sở Tài chính"},
            ],
            **({} if case.evidence is None else {"evidence": list(case.evidence)}),
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
                    **(
                        {}
                        if case.obligation_evidence is None
                        else {"evidence": list(case.obligation_evidence)}
                    ),
                },
                # Only there so that excusals may name another department and system.
                {
                    "department": "so-taichinh",
                    "system": "csdl-gia",
                    "kind": "maintain",
                    "basis": "Điều 6",
                    "since": date(2027, 1, 1),
                },
                {
                    "department": "so-taichinh",
                    "system": "csdl-dkdn",
                    "kind": "maintain",
                    "basis": "Điều 6",
                    "since": date(2027, 1, 1),
                },
            ],
        }
    )


def reference(case: Case, r: Registry) -> dict[str, object] | None:
    """The contract's 'Monthly compliance' section, read literally."""
    tz = ZoneInfo(case.timezone)
    first, last = case.month.first, case.month.last
    if (case.since and case.since > last) or (case.until and case.until <= first):
        return None  # not in force during the month: no row

    def working(d: date) -> bool:
        if d in r.calendar.extra_working_days:
            return True
        if d in r.calendar.extra_holidays:
            return False
        if d in OFFICIAL_2026_WORKED:  # a make-up Saturday is a working day
            return True
        return d.weekday() < 5 and d not in OFFICIAL_2026_OFF

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
    # "Records of a source that does not count are ignored by every figure" (the
    # obligation's `evidence` wins over the registry's; by default all four count).
    evidence = case.obligation_evidence or case.evidence or SOURCES
    kept = [t for t in kept if t.source in evidence]
    # "Nothing after [the end of the as-of day] counts, in any figure"
    counted = [t for t in kept if t.ts.astimezone(tz).date() <= case.as_of]
    in_month = [t for t in counted if first <= t.ts.astimezone(tz).date() <= last]
    in_window = [t for t in in_month if within(t.ts.astimezone(tz).date())]
    would_be_required = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if working(first + timedelta(days=i))
        and within(first + timedelta(days=i))
        and first + timedelta(days=i) <= case.as_of
    ]

    def successes_on(d: date, sources: tuple[str, ...]) -> int:
        return sum(
            1
            for t in in_window
            if t.success and t.source in sources and t.ts.astimezone(tz).date() == d
        )

    met = [d for d in would_be_required if successes_on(d, SOURCES) >= case.min_daily]
    # Contract 1.2: "A required day that has not yet ended (local time) when a figure is
    # computed counts only once it is met: until then it is neither required nor missed."
    today = case.now.astimezone(tz).date()
    would_be_required = [d for d in would_be_required if d < today or d in met]
    # "Excused day: a day that would be a required day, is not met, and is covered by
    # an approved excusal of the obligation's system (and department, if it names
    # one)"; "connect obligations are unaffected".
    excused = [
        d
        for d in would_be_required
        if d not in met
        and case.kind != "connect"
        and any(
            e.state == "approved"
            and e.system == "csdl-dkdn"
            and e.department in (None, "so-khdt")
            and e.first_day <= d <= e.last_day
            for e in case.excusals
        )
    ]
    required = [d for d in would_be_required if d not in excused]
    # "met days that would not be met without the records of source probe"
    without_probes = tuple(s for s in SOURCES if s != "probe")
    probe_only = [d for d in met if successes_on(d, without_probes) < case.min_daily]
    ratio = (  # of the required days, excused ones left out
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
        "excused_days": len(excused),
        "probe_only_days": len(probe_only),
    }


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_report_matches_the_contract_read_literally(engine: Engine, case: Case) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transactions"))
        conn.execute(text("DELETE FROM daily_counts"))
        conn.execute(text("DELETE FROM pair_totals"))
        conn.execute(text("DELETE FROM excusals"))
    r = registry_for(case)
    for e in case.excusals:
        # Stored as it is: an excusal out of today's bounds (outside its duty's history,
        # longer than 31 days) may be in a store from before the bounds, and still counts
        # exactly as the contract says.
        with engine.begin() as conn:
            n = conn.execute(
                insert(excusals).values(
                    system=e.system,
                    department=e.department,
                    first_day=e.first_day,
                    last_day=e.last_day,
                    reason="Hệ thống quốc gia ngừng hoạt động",
                    state="proposed",
                    origin="cli",
                    proposed_by="Nguyễn Văn A",
                    proposed_us=0,
                )
            ).inserted_primary_key[0]
        if e.state == "rejected":
            reject_excusal(engine, n, "Trần Thị B")
        elif e.state in ("approved", "withdrawn"):
            approve_excusal(engine, n, "Trần Thị B", long=True)
        if e.state == "withdrawn":
            withdraw_excusal(engine, n, "Trần Thị B")
    # In several writes, as records arrive in life: duplicates across batches too.
    for start in range(0, len(case.records), 7):
        write_transactions(engine, case.timezone, case.records[start : start + 7])
    report = build_report(engine, r, case.month, as_of=case.as_of, now=case.now)
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
        "excused_days": row.excused_days,
        "probe_only_days": row.probe_only_days,
    }
    assert got == expected
