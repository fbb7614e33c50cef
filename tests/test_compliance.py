"""The monthly compliance arithmetic, as the contract defines it, without any server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from compliance.periods import Month
from compliance.report import compute_report, default_as_of
from compliance.rules import DayState, compliance_row, ratio
from registry import Registry, is_working_day
from store.counts import DayCount

FEB_2026 = Month(2026, 2)
OCT_2026 = Month(2026, 10)


def registry(
    obligation: dict[str, Any] | None = None,
    calendar: dict[str, Any] | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
    department: dict[str, Any] | None = None,
) -> Registry:
    return Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            "timezone": timezone,
            "calendar": calendar or {},
            "systems": [{"code": "csdl-dkdn", "name": "Cơ sở dữ liệu", "owner": "Bộ"}],
            "departments": [
                {"code": "so-khdt", "name": "Sở Kế hoạch và Đầu tư", **(department or {})},
                {"code": "so-taichinh", "name": "Sở Tài chính"},
            ],
            "obligations": [
                {
                    "department": "so-khdt",
                    "system": "csdl-dkdn",
                    "kind": "maintain",
                    "basis": "Điều 6 khoản 5 điểm c",
                    **(obligation or {}),
                }
            ],
        }
    )


def ok(n: int = 1, failures: int = 0) -> DayCount:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return DayCount(successes=n, failures=failures, first_success=at, last_success=at)


def row(
    r: Registry, month: Month, as_of: date, counts: dict[date, DayCount], first: date | None = None
):  # type: ignore[no-untyped-def]
    # Records of one source (one that counts under the default evidence policy).
    by_source = {d: {"push": c} for d, c in counts.items()}
    return compliance_row(r, r.obligations[0], month, as_of, by_source, first)


def working_days(month: Month, r: Registry) -> list[date]:
    return [
        date(month.year, month.month, d)
        for d in range(1, month.last.day + 1)
        if is_working_day(date(month.year, month.month, d), r.calendar)
    ]


def test_tet_2026_is_not_required() -> None:
    r = registry()
    tet = [date(2026, 2, d) for d in range(16, 21)]
    assert not any(is_working_day(d, r.calendar) for d in tet)
    result = row(r, FEB_2026, FEB_2026.last, {})
    # February 2026: 20 weekdays, 5 of them Tết.
    assert result.required_days == 15
    assert all(state == DayState.NOT_REQUIRED for d, state in result.days if d in tet)


def test_every_required_day_met_is_compliant() -> None:
    r = registry()
    counts = {d: ok() for d in working_days(OCT_2026, r)}
    result = row(r, OCT_2026, OCT_2026.last, counts)
    assert (result.required_days, result.met_days, result.ratio) == (22, 22, Decimal("1.0000"))
    assert result.status == "compliant"


def test_ratio_is_rounded_half_up_to_four_places() -> None:
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(0, 5) == Decimal("0")
    assert ratio(0, 0) is None


def test_ratio_at_target_is_compliant_below_is_partial() -> None:
    r = registry({"target_ratio": 0.5})
    days = working_days(OCT_2026, r)  # 22 days
    at_target = row(r, OCT_2026, OCT_2026.last, {d: ok() for d in days[:11]})
    assert at_target.ratio == Decimal("0.5") and at_target.status == "compliant"
    below = row(r, OCT_2026, OCT_2026.last, {d: ok() for d in days[:10]})
    assert below.status == "partial"


def test_failures_only_is_non_compliant_and_counted() -> None:
    r = registry()
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 5): DayCount(failures=3)})
    assert result.status == "non_compliant"
    assert (result.successes, result.failures, result.met_days) == (0, 3, 0)


def test_weekend_successes_count_but_do_not_meet_a_day() -> None:
    r = registry()
    saturday = date(2026, 10, 3)
    result = row(r, OCT_2026, OCT_2026.last, {saturday: ok(4)})
    assert result.successes == 4
    assert result.met_days == 0
    assert result.status == "partial"


def test_extra_working_saturday_is_required() -> None:
    r = registry(calendar={"extra_working_days": ["2026-10-03"]})
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 3): ok()})
    assert result.required_days == 23
    assert result.met_days == 1


def test_extra_holiday_is_not_required() -> None:
    r = registry(calendar={"extra_holidays": ["2026-10-05"]})
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 5): ok()})
    assert result.required_days == 21
    assert result.met_days == 0
    assert result.successes == 1


def test_min_daily_successes() -> None:
    r = registry({"min_daily_successes": 3})
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 5): ok(2), date(2026, 10, 6): ok(3)})
    assert result.met_days == 1


def test_since_and_until_inside_the_month() -> None:
    # Monday 12 to Friday 23 October: two weeks of working days.
    r = registry({"since": "2026-10-12", "until": "2026-10-24"})
    counts = {date(2026, 10, 9): ok(5), date(2026, 10, 12): ok(), date(2026, 10, 26): ok(7)}
    result = row(r, OCT_2026, OCT_2026.last, counts)
    assert result.required_days == 10
    assert result.met_days == 1
    # Records outside since/until do not count in any figure.
    assert result.successes == 1


def test_as_of_cuts_the_month() -> None:
    r = registry()
    counts = {date(2026, 10, 5): ok(), date(2026, 10, 20): ok(9)}
    result = row(r, OCT_2026, date(2026, 10, 9), counts)
    assert result.required_days == 7  # 1-2 and 5-9 October
    assert result.successes == 1
    assert dict(result.days)[date(2026, 10, 20)] == DayState.AFTER_AS_OF


def test_as_of_before_the_month_requires_nothing() -> None:
    r = registry()
    result = row(r, OCT_2026, date(2026, 9, 30), {date(2026, 10, 1): ok()})
    assert result.required_days == 0
    assert result.ratio is None
    assert result.status == "not_applicable"


def test_zero_required_days_is_not_applicable() -> None:
    # An obligation that starts on a Saturday and ends on the Monday after: no working day.
    r = registry({"since": "2026-10-03", "until": "2026-10-05"})
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 3): ok()})
    assert (result.required_days, result.ratio, result.status) == (0, None, "not_applicable")
    assert result.successes == 1


def test_department_merged_mid_month_ends_its_obligations() -> None:
    r = registry(department={"merged_into": "so-taichinh", "until": "2026-10-15"})
    assert r.window(r.obligations[0]) == (None, date(2026, 10, 15))
    result = row(r, OCT_2026, OCT_2026.last, {date(2026, 10, 14): ok(), date(2026, 10, 16): ok()})
    assert result.required_days == 10  # 1-2, 5-9, 12-14 October
    assert result.met_days == 1
    assert result.successes == 1


def test_obligation_after_department_merge_is_not_reported() -> None:
    r = registry(department={"merged_into": "so-taichinh", "until": "2026-09-01"})
    report = compute_report(r, OCT_2026, OCT_2026.last, datetime(2026, 11, 1, tzinfo=UTC), {}, {})
    assert report.rows == ()


def test_connect_is_connected_by_any_earlier_success() -> None:
    r = registry({"kind": "connect"})
    assert row(r, OCT_2026, OCT_2026.last, {}, first=date(2025, 3, 1)).status == "connected"
    assert row(r, OCT_2026, OCT_2026.last, {}, first=None).status == "not_connected"
    # A success after the as-of day does not connect the month as it stood then.
    late = row(r, OCT_2026, date(2026, 10, 10), {}, first=date(2026, 10, 20))
    assert late.status == "not_connected"


def test_first_and_last_success_in_local_time() -> None:
    r = registry()
    first = datetime(2026, 10, 4, 17, 30, tzinfo=UTC)  # 00:30 on the 5th in Hanoi
    last = datetime(2026, 10, 6, 2, 0, tzinfo=UTC)
    counts = {
        date(2026, 10, 5): DayCount(1, 0, first, first),
        date(2026, 10, 6): DayCount(1, 0, last, last),
    }
    result = row(r, OCT_2026, OCT_2026.last, counts)
    assert result.first_success is not None and result.last_success is not None
    assert result.first_success.isoformat() == "2026-10-05T00:30:00+07:00"
    assert result.last_success.isoformat() == "2026-10-06T09:00:00+07:00"


def test_default_as_of() -> None:
    assert default_as_of(OCT_2026, date(2026, 11, 23)) == date(2026, 10, 31)
    assert default_as_of(OCT_2026, date(2026, 10, 12)) == date(2026, 10, 12)
    assert default_as_of(Month(2026, 12), date(2026, 11, 23)) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_month_bounds(text: str, first: date, last: date) -> None:
    m = Month.parse(text)
    assert (m.first, m.last, str(m)) == (first, last, text)
