"""Contract 1.1 as pure functions: which sources count, probe-only days, excused days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from compliance.month_to_date import month_to_date
from compliance.periods import Month, Quarter
from compliance.quarterly import compute_quarter_report
from compliance.report import compute_report
from compliance.rules import ComplianceRow, DayState, compliance_row
from registry import Registry, is_working_day
from registry.calendar import days
from registry.loader import RegistryError, load_files
from store.counts import DayCount
from store.excusals import Excusal, ExcusalState

OCT = Month(2026, 10)
AT = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
MONDAY, TUESDAY, SATURDAY = date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 3)
WORKING_DAYS_IN_OCTOBER = 22


def registry(
    obligation: dict[str, Any] | None = None, evidence: list[str] | None = None
) -> Registry:
    return Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            **({} if evidence is None else {"evidence": evidence}),
            "systems": [
                {"code": "csdl-dkdn", "name": "Cơ sở dữ liệu", "owner": "Bộ"},
                {"code": "csdl-gia", "name": "CSDL giá", "owner": "Bộ Tài chính"},
            ],
            "departments": [
                {"code": "so-khdt", "name": "Sở Kế hoạch và Đầu tư"},
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


def records(**by_source: int) -> dict[str, DayCount]:
    """One day's successes per source, e.g. records(probe=1, push=2)."""
    return {s: DayCount(n, 0, AT, AT) for s, n in by_source.items()}


def excusal(
    first: date,
    last: date | None = None,
    state: ExcusalState = ExcusalState.APPROVED,
    department: str | None = None,
    system: str = "csdl-dkdn",
    id: int = 1,
) -> Excusal:
    return Excusal(
        id=id,
        system=system,
        department=department,
        first_day=first,
        last_day=last or first,
        reason="Hệ thống quốc gia ngừng hoạt động",
        state=state,
        proposed_by="Nguyễn Văn A",
        proposed_at=AT,
        decided_by="Trần Thị B" if state != ExcusalState.PROPOSED else None,
    )


def row(
    r: Registry,
    counts: dict[date, dict[str, DayCount]],
    excusals: tuple[Excusal, ...] = (),
    as_of: date = OCT.last,
    month: Month = OCT,
) -> ComplianceRow:
    return compliance_row(r, r.obligations[0], month, as_of, counts, None, excusals)


def figures(result: ComplianceRow) -> tuple[int, int, int, int, int]:
    return (
        result.required_days,
        result.met_days,
        result.excused_days,
        result.probe_only_days,
        result.successes,
    )


def test_a_day_met_by_probes_only_under_the_default_policy() -> None:
    result = row(registry(), {MONDAY: records(probe=1), TUESDAY: records(probe=1, push=1)})
    assert figures(result) == (WORKING_DAYS_IN_OCTOBER, 2, 0, 1, 3)
    states = dict(result.days)
    assert states[MONDAY] == DayState.PROBE_ONLY
    assert states[TUESDAY] == DayState.MET


def test_probes_that_do_not_count_leave_the_day_missed_and_figures_untouched() -> None:
    counts = {MONDAY: {"probe": DayCount(1, 4, AT, AT)}, TUESDAY: records(probe=1, push=1)}
    result = row(registry(evidence=["push", "gateway", "import"]), counts)
    # Only the push success counts: probes' successes and failures are ignored.
    assert figures(result) == (WORKING_DAYS_IN_OCTOBER, 1, 0, 0, 1)
    assert result.failures == 0
    assert dict(result.days)[MONDAY] == DayState.MISSED
    assert result.status == "partial"


def test_the_obligation_s_evidence_wins_over_the_registry_s() -> None:
    r = registry({"evidence": ["probe", "push"]}, evidence=["push"])
    result = row(r, {MONDAY: records(probe=1)})
    assert (result.met_days, result.probe_only_days) == (1, 1)
    assert result.evidence == ("probe", "push")


def test_only_probe_records_excluded_status_falls_to_non_compliant() -> None:
    r = registry(evidence=["gateway"])
    result = row(r, {d: records(probe=3) for d in (MONDAY, TUESDAY)})
    assert result.successes == 0 and result.first_success is None
    assert result.status == "non_compliant"


def test_min_daily_successes_reached_only_with_a_probe() -> None:
    r = registry({"min_daily_successes": 3})
    result = row(r, {MONDAY: records(push=2, probe=1), TUESDAY: records(push=3, probe=1)})
    assert (result.met_days, result.probe_only_days) == (2, 1)
    without = row(
        registry({"min_daily_successes": 3}, evidence=["push"]), {MONDAY: records(push=2, probe=1)}
    )
    assert without.met_days == 0


def test_connect_status_follows_the_evidence_policy() -> None:
    r = registry({"kind": "connect"}, evidence=["push"])
    report = compute_report(r, OCT, OCT.last, AT, {}, {("so-khdt", "csdl-dkdn"): {"probe": MONDAY}})
    assert report.rows[0].status == "not_connected"
    report = compute_report(
        r, OCT, OCT.last, AT, {}, {("so-khdt", "csdl-dkdn"): {"probe": MONDAY, "push": TUESDAY}}
    )
    assert report.rows[0].status == "connected"


def test_a_system_wide_excusal_excuses_missed_days() -> None:
    r = registry({"target_ratio": 0.95})
    met = {d: records(push=1) for d, s in row(r, {}).days if s == DayState.MISSED}
    del met[MONDAY], met[TUESDAY]
    result = row(r, met, (excusal(MONDAY, TUESDAY),))
    assert figures(result)[:3] == (WORKING_DAYS_IN_OCTOBER - 2, WORKING_DAYS_IN_OCTOBER - 2, 2)
    assert result.ratio == Decimal("1") and result.status == "compliant"
    assert dict(result.days)[MONDAY] == DayState.EXCUSED
    assert result.excusals == (excusal(MONDAY, TUESDAY),)
    # Without the excusal the same month misses its target.
    assert row(r, met).status == "partial"


def test_a_department_excusal_covers_only_its_department() -> None:
    r = registry()
    mine = row(r, {}, (excusal(MONDAY, department="so-khdt"),))
    other = row(r, {}, (excusal(MONDAY, department="so-taichinh", id=2),))
    other_system = row(r, {}, (excusal(MONDAY, system="csdl-gia", id=3),))
    assert mine.excused_days == 1 and mine.required_days == WORKING_DAYS_IN_OCTOBER - 1
    assert (other.excused_days, other_system.excused_days) == (0, 0)
    assert other.excusals == other_system.excusals == ()


@pytest.mark.parametrize(
    "state", [ExcusalState.PROPOSED, ExcusalState.REJECTED, ExcusalState.WITHDRAWN]
)
def test_excusals_not_approved_change_nothing(state: ExcusalState) -> None:
    r = registry()
    counts = {TUESDAY: records(push=1)}
    assert row(r, counts, (excusal(MONDAY, TUESDAY, state=state),)) == row(r, counts)


def test_an_excusal_never_excuses_a_met_day_nor_a_weekend() -> None:
    r = registry()
    # Saturday 3 to Tuesday 6 October: Monday met, Tuesday missed, the weekend not required.
    result = row(r, {MONDAY: records(push=1)}, (excusal(SATURDAY, TUESDAY),))
    states = dict(result.days)
    assert states[SATURDAY] == DayState.NOT_REQUIRED
    assert states[MONDAY] == DayState.MET
    assert states[TUESDAY] == DayState.EXCUSED
    assert (result.excused_days, result.met_days) == (1, 1)
    assert result.required_days == WORKING_DAYS_IN_OCTOBER - 1


def test_an_excusal_never_lowers_a_ratio() -> None:
    r = registry()
    counts = {d: records(push=1) for d, _ in row(r, {}).days[:20]}
    before = row(r, counts)
    after = row(r, counts, (excusal(OCT.first, OCT.last),))
    assert before.ratio is not None and after.ratio is not None
    assert after.ratio >= before.ratio and after.met_days == before.met_days
    assert after.ratio == Decimal("1")


def test_a_whole_month_excused_is_not_applicable() -> None:
    result = row(registry(), {}, (excusal(OCT.first, OCT.last),))
    assert (result.required_days, result.excused_days) == (0, WORKING_DAYS_IN_OCTOBER)
    assert result.ratio is None and result.status == "not_applicable"


def test_connect_obligations_are_unaffected_by_excusals() -> None:
    r = registry({"kind": "connect"})
    assert row(r, {}, (excusal(OCT.first, OCT.last),)) == row(r, {})


def test_as_of_day_limits_excused_days() -> None:
    result = row(registry(), {}, (excusal(MONDAY, date(2026, 10, 9)),), as_of=TUESDAY)
    assert result.excused_days == 2
    assert dict(result.days)[date(2026, 10, 7)] == DayState.AFTER_AS_OF


def test_quarters_sum_excused_and_probe_only_days() -> None:
    r = registry()
    q3 = Quarter(2026, 3)
    counts = {
        ("so-khdt", "csdl-dkdn"): {
            date(2026, 7, 1): records(probe=1),
            date(2026, 9, 3): records(probe=2),
        }
    }
    excusals = (excusal(date(2026, 8, 3), date(2026, 8, 4)), excusal(date(2026, 9, 30), id=2))
    report = compute_quarter_report(r, q3, q3.last, AT, counts, {}, excusals)
    (whole,) = report.rows
    assert (whole.excused_days, whole.probe_only_days) == (3, 2)
    assert [e.id for e in whole.excusals] == [1, 2]
    assert [m.excused_days for m in report.row_months[0]] == [0, 2, 1]


def test_month_to_date_follows_evidence_and_excusals() -> None:
    r = registry(evidence=["push"])
    o = r.obligations[0]
    thursday = date(2026, 10, 8)
    counts = {date(2026, 10, 1): records(probe=5), date(2026, 10, 2): records(push=1)}
    f = month_to_date(r, o, thursday, counts, (excusal(MONDAY, TUESDAY),), date(2026, 10, 1))
    # 1, 2, 5, 6, 7 October before today: 5 and 6 excused, 1 met only by a probe (not counted).
    assert (f.required_before, f.met_before) == (3, 1)
    assert f.missed_streak == 1  # 7 October; the excused days neither count nor break it
    # Today, not yet met, is still open: neither required nor missed (contract 1.2).
    assert f.ratio(0, 1) == round(1 / 3, 4)
    assert f.ratio(1, 1) == round(2 / 4, 4)


def test_missed_streak_counts_back_no_further_than_the_first_record() -> None:
    r = registry()
    o = r.obligations[0]
    thursday = date(2026, 10, 8)
    assert month_to_date(r, o, thursday, {}, (), None).missed_streak == 0
    assert month_to_date(r, o, thursday, {}, (), TUESDAY).missed_streak == 2
    since_september = [
        d for d in days(date(2026, 9, 1), date(2026, 10, 7)) if is_working_day(d, r.calendar)
    ]
    assert month_to_date(r, o, thursday, {}, (), date(2026, 9, 1)).missed_streak == len(
        since_september
    )


def test_missable_days_budget() -> None:
    r = registry({"target_ratio": 0.9})
    o = r.obligations[0]
    # Thursday 8 October: 5 required days before it, all met; 22 in the month.
    counts = {
        d: records(push=1)
        for d in (date(2026, 10, 1), date(2026, 10, 2), MONDAY, TUESDAY, date(2026, 10, 7))
    }
    f = month_to_date(r, o, date(2026, 10, 8), counts, (), date(2026, 10, 1))
    # 22 required: 90 % is 19.8, so 20 met days are needed; 2 of 22 may be missed.
    assert f.missable(0, 1, 0.9) == 2
    none_met = month_to_date(r, o, date(2026, 10, 8), {}, (), date(2026, 10, 1))
    assert none_met.missable(0, 1, 0.9) == -1  # 5 missed already: out of reach
    assert none_met.missable(0, 1, 0.5) == 6


def _load(tmp_path: Any, text: str) -> Registry:
    path = tmp_path / "r.yml"
    path.write_text(text, encoding="utf-8")
    return load_files([path])


BASE = """version: 1
province: {code: "24", name: "Bắc Ninh"}
systems: [{code: csdl-dkdn, name: CSDL, owner: Bộ}]
departments: [{code: so-khdt, name: Sở KHĐT}]
"""


def test_evidence_keys_are_validated_with_their_line(tmp_path: Any) -> None:
    good = _load(
        tmp_path,
        BASE
        + "evidence: [push, gateway]\n"
        + "obligations:\n  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: x,"
        + " evidence: [probe]}\n",
    )
    assert good.evidence_for(good.obligations[0]) == frozenset({"probe"})
    with pytest.raises(RegistryError) as bad:
        _load(
            tmp_path,
            BASE
            + "obligations:\n  - {department: so-khdt, system: csdl-dkdn, kind: maintain,"
            + " basis: x, evidence: [push, carrier-pigeon]}\n",
        )
    assert str(bad.value).startswith(f"{tmp_path / 'r.yml'}:6:")
    assert "evidence" in str(bad.value)
    with pytest.raises(RegistryError, match=r"r.yml:5: .*evidence"):
        _load(tmp_path, BASE + "evidence: []\nobligations: []\n")
