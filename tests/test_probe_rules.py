"""The probe engine's pure rules: spreading start times, the circuit breaker, judging answers."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from compliance.month_to_date import month_to_date
from probes.breaker import CircuitBreaker, CircuitState
from probes.check import body_problem, status_problem
from probes.schedule import first_due, next_due, phase
from probes.secrets import SecretError, read_secret
from registry import Registry
from store.counts import DayCount


def test_twenty_thousand_probes_on_a_minute_never_burst() -> None:
    starts = Counter(
        int(first_due(f"dept-{i}/sys-{i % 40}", 60, 1_000_000.0)) for i in range(20_000)
    )
    # 333 a second on average; no second holds more than twice that.
    assert len(starts) == 60
    assert max(starts.values()) < 2 * 20_000 / 60


def test_phase_is_stable_and_inside_the_interval() -> None:
    assert phase("so-khdt/csdl-dkdn", 60) == phase("so-khdt/csdl-dkdn", 60)
    assert 0 <= phase("so-khdt/csdl-dkdn", 60) < 60
    due = first_due("so-khdt/csdl-dkdn", 60, 1000.0)
    assert 1000.0 <= due < 1060.0


def test_slots_missed_while_busy_are_skipped_not_replayed() -> None:
    assert next_due(100.0, 60, 120.0) == 160.0
    # 10 minutes behind: the next start is the next slot after now, not ten at once.
    assert next_due(100.0, 60, 700.5) == 760.0


def test_breaker_opens_after_repeated_failures_and_closes_on_an_answer() -> None:
    b = CircuitBreaker(threshold=3, cooldown=10, max_cooldown=40)
    for t in range(3):
        assert b.allow(t)
        b.record(False, t)
    assert b.state is CircuitState.OPEN
    assert not b.allow(5)  # cooling down: probes of the system are skipped
    assert b.allow(13)  # one trial once the cool-down is over
    assert b.state is CircuitState.HALF_OPEN
    assert not b.allow(13.5)  # only one trial at a time
    b.record(False, 14)
    assert (b.state, b.opened_until) == (CircuitState.OPEN, 34)  # twice as long
    assert b.allow(34)
    b.record(True, 35)
    assert b.state is CircuitState.CLOSED and b.allow(36)


def test_a_success_resets_the_failure_count() -> None:
    b = CircuitBreaker(threshold=3)
    for ok in (False, False, True, False, False):
        b.record(ok, 0)
    assert b.state is CircuitState.CLOSED


def test_status_and_body_conditions() -> None:
    assert status_problem(200, (200,)) is None
    assert status_problem(302, (200,)) == "HTTP status 302 (expected 200)"
    ok = b'{"error_code": 0, "data": {"items": [{"id": "x"}]}}'
    assert body_problem(ok, {"error_code": 0, "data.items.0.id": "x"}) is None
    assert body_problem(b'{"error_code": 100}', {"error_code": 0}) == (
        "body error_code is 100 (expected 0)"
    )
    assert body_problem(b'{"ok": 1}', {"ok": True}) == "body ok is 1 (expected true)"
    assert body_problem(b"<html>", {"error_code": 0}) == "body is not JSON"
    assert body_problem(b"{}", {"error_code": 0}) == "body has no error_code"


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_secret_errors_name_the_reference_never_the_value(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(SecretError, match="environment variable LGSP_ID is not set"):
        read_secret("LGSP_ID", None, "client_id", environ={})
    assert read_secret("LGSP_ID", None, "client_id", environ={"LGSP_ID": " s3cret\n"}) == "s3cret"
    with pytest.raises(SecretError, match="cannot read /nonexistent/secret"):
        read_secret(None, "/nonexistent/secret", "client_secret")


def test_month_to_date_figures(bac_ninh: Registry) -> None:
    o = bac_ninh.obligations_for("so-taichinh", "csdl-dkdn")[0]
    # Thursday 8 October 2026: 1, 2, 5, 6, 7 October are the working days before it.
    counts = {
        date(2026, 10, 1): {"push": DayCount(successes=1)},
        date(2026, 10, 2): {"probe": DayCount(successes=2)},
        date(2026, 10, 6): {"probe": DayCount(failures=3)},
    }
    f = month_to_date(bac_ninh, o, date(2026, 10, 8), counts, first_record=date(2026, 10, 1))
    assert (f.required_before, f.met_before, f.required_today) == (5, 2, True)
    assert f.missed_streak == 3  # 5, 6, 7 October
    assert f.month_required == 22
    assert f.ratio(0, 1) == round(2 / 5, 4)  # today still open: neither required nor missed
    assert f.ratio(1, 1) == 0.5  # today met: 3 of 6
    assert f.remaining(0, 1) == 22 - 5  # today still open
    assert f.remaining(1, 1) == 22 - 6
