"""Days are named truthfully (contract 1.2, "A day still open is not missed"), with an injected
clock: today counts once met, a future day is not yet due, days before lienthong held any
record are not held against a department in the live gauges, and a period the store holds no
record of is never exported on schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from compliance.day_evidence import day_evidence
from compliance.month_to_date import month_to_date
from compliance.periods import Month
from compliance.report import build_report
from compliance.rules import DayState, compliance_row
from registry import Registry
from reports.manifest import read_manifest
from reports.scheduled import ExportsSettings, run_due
from store import Transaction, write_transactions
from tests.test_evidence_rules import records, registry

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Thursday 8 October 2026; the five working days before it: 1, 2, 5, 6, 7 October.
TODAY = date(2026, 10, 8)
BEFORE = (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6))
MISSED = date(2026, 10, 7)


def four_of_five() -> dict[date, dict[str, object]]:
    return {d: records(push=1) for d in BEFORE}


def test_today_before_its_first_success_is_open_not_missed() -> None:
    r = registry()
    o = r.obligations[0]
    counts = four_of_five()
    # At 04:00 on the 8th, the report as of today: 4 met of the 5 days that have ended.
    row = compliance_row(r, o, Month(2026, 10), TODAY, counts, None, (), TODAY)  # type: ignore[arg-type]
    assert (row.met_days, row.required_days) == (4, 5)
    states = dict(row.days)
    assert states[TODAY] == DayState.OPEN
    assert states[MISSED] == DayState.MISSED
    assert states[date(2026, 10, 9)] == DayState.AFTER_AS_OF
    # Met later that day: it counts.
    counts[TODAY] = records(push=1)
    row = compliance_row(r, o, Month(2026, 10), TODAY, counts, None, (), TODAY)  # type: ignore[arg-type]
    assert (row.met_days, row.required_days) == (5, 6)
    # The same report as of a day that has ended is unchanged: today was missed after all.
    del counts[TODAY]
    ended = compliance_row(r, o, Month(2026, 10), TODAY, counts, None)  # type: ignore[arg-type]
    assert (ended.met_days, ended.required_days) == (4, 6)
    assert dict(ended.days)[TODAY] == DayState.MISSED


def test_a_future_as_of_day_is_not_yet_due() -> None:
    r = registry()
    o = r.obligations[0]
    row = compliance_row(r, o, Month(2026, 10), date(2026, 10, 31), four_of_five(), None, (), TODAY)  # type: ignore[arg-type]
    assert (row.met_days, row.required_days) == (4, 5)
    assert all(s == DayState.AFTER_AS_OF for d, s in row.days if d > TODAY and d.weekday() < 5)


def test_the_live_month_ratio_at_four_in_the_morning() -> None:
    r = registry()
    o = r.obligations[0]
    f = month_to_date(r, o, TODAY, four_of_five(), (), date(2026, 10, 1))
    assert f.ratio(0, 1) == 0.8  # 4/5, not 4/6
    assert f.ratio(1, 1) == round(5 / 6, 4)


def test_days_before_the_first_record_are_not_held_against_the_department() -> None:
    r = registry({"target_ratio": 0.9})
    o = r.obligations[0]
    # Day one: lienthong has no record yet. Nothing before today counts; the target is
    # reachable, so the missable gauge is not negative and the unreachable alert is quiet.
    f = month_to_date(r, o, TODAY, {}, (), None)
    assert (f.required_before, f.met_before) == (0, 0)
    assert f.missable(0, 1, 0.9) >= 0
    assert f.ratio(0, 1) is None
    # The first record on the 6th (a failure, say): the 6th and 7th count, not before.
    f = month_to_date(r, o, TODAY, {date(2026, 10, 6): records(push=1)}, (), date(2026, 10, 6))
    assert (f.required_before, f.met_before) == (2, 1)
    # The whole month watched: every required day counts, and missing them is unreachable.
    f = month_to_date(r, o, TODAY, {}, (), date(2026, 9, 1))
    assert f.required_before == 5 and f.missable(0, 1, 0.9) == -1


def test_missable_on_a_month_with_nothing_required_is_not_negative() -> None:
    r = registry({"until": "2026-10-01"})  # out of force from the 1st: nothing required
    o = r.obligations[0]
    f = month_to_date(r, o, date(2026, 10, 31), {}, (), date(2026, 9, 1))
    assert f.month_required == 0 and f.missable(0, 1, 0.9) == 0


def test_evidence_for_today_and_a_future_day_never_says_missed(
    engine: Engine, bac_ninh: Registry
) -> None:
    o = next(o for o in bac_ninh.obligations if o.kind == "maintain" and o.until is None)
    now = datetime(2026, 10, 8, 4, 0, tzinfo=HANOI)
    today = day_evidence(engine, bac_ninh, o.department, o.system, TODAY, now=now)
    assert (today.state, today.state_word) == (DayState.OPEN, "open")
    assert today.why.startswith("đang mở: hôm nay chưa kết thúc")  # Vietnamese by default
    later = day_evidence(engine, bac_ninh, o.department, o.system, date(2026, 10, 9), now=now)
    assert (later.state, later.state_word) == (DayState.AFTER_AS_OF, "not_yet_due")
    # Once the day has ended, the same day with no record is missed.
    after = datetime(2026, 10, 9, 0, 1, tzinfo=HANOI)
    ended = day_evidence(engine, bac_ninh, o.department, o.system, TODAY, now=after)
    assert ended.state_word == "missed"


def test_the_report_of_today_counts_today_once_met(engine: Engine, bac_ninh: Registry) -> None:
    o = next(o for o in bac_ninh.obligations if o.kind == "maintain" and o.until is None)
    write_transactions(
        engine,
        bac_ninh.timezone,
        [
            Transaction(
                o.department, o.system, datetime(2026, 10, d, 9, tzinfo=HANOI), True, "push"
            )
            for d in (1, 2, 5, 6)
        ],
    )
    now = datetime(2026, 10, 8, 4, 0, tzinfo=HANOI).astimezone(UTC)
    report = build_report(engine, bac_ninh, Month(2026, 10), now=now)
    (row,) = [x for x in report.rows if (x.department, x.system) == o.key]
    assert (row.met_days, row.required_days) == (4, 5)


def exports(folder: Path) -> ExportsSettings:
    return ExportsSettings.model_validate({"dir": folder})


def test_an_empty_store_exports_nothing_on_schedule(
    engine: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    now = datetime(2026, 11, 1, 7, 0, tzinfo=HANOI)
    result = run_due(
        engine, bac_ninh, exports(folder), now=now, registry_spec=None, database_url="sqlite://"
    )
    assert result.written == ()
    assert read_manifest(folder) == {}
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    # Records of October arrive (an import): the next pass writes October, not Q3.
    o = next(o for o in bac_ninh.obligations if o.kind == "maintain" and o.until is None)
    write_transactions(
        engine,
        bac_ninh.timezone,
        [Transaction(o.department, o.system, datetime(2026, 10, 5, 9, tzinfo=HANOI), True, "push")],
    )
    later = datetime(2026, 11, 1, 8, 0, tzinfo=HANOI)
    result = run_due(
        engine, bac_ninh, exports(folder), now=later, registry_spec=None, database_url="sqlite://"
    )
    assert [w.period for w in result.written] == ["2026-10"]
    assert list(read_manifest(folder)) == ["2026-10"]
