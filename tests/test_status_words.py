"""The words of the status pages: Vietnamese numbers, dates and durations; probe failure
reasons translated by code; an open circuit shown with its next try."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.duties import StoreView, duty_statuses
from exporter.status_page import Viewer, overview_page
from exporter.words import duration, number, percent, reason, reason_code, when
from probes.breaker import CircuitState
from probes.health import LagHistogram, LastResult, SystemHealth
from probes.http import ProbeOutcome
from registry import Registry


def test_vietnamese_numbers_dates_and_durations() -> None:
    assert percent(0.5) == "50,0 %"
    assert percent(0.9375) == "93,8 %"
    assert percent(None) == "—"
    assert number(1234.5) == "1.234,5"
    assert when(datetime(2026, 12, 2, 9, 5, tzinfo=UTC)) == "09:05:00 02/12/2026"
    assert duration(900) == "15 phút"
    assert duration(7500) == "2 giờ 5 phút"
    assert duration(40) == "40 giây"


# Each English detail probes/http.py and probes/check.py write, with its code and words.
@pytest.mark.parametrize(
    ("detail", "code", "text"),
    [
        ("HTTP status 503 (3 attempts)", "retried", "Máy chủ trả mã HTTP 503 (sau 3 lần thử)"),
        (
            "HTTP status 404 (expected 200)",
            "http_expected",
            "Máy chủ trả mã HTTP 404 (mong đợi 200)",
        ),
        ("timed out after 2.5 s", "timeout", "Quá thời gian chờ 2,5 giây"),
        (
            "timed out after 10 s (2 attempts; last: connection closed by the server)",
            "timeout_retried",
            "Quá thời gian chờ 10 giây (sau 2 lần thử; lần cuối: Máy chủ đóng kết nối giữa chừng)",
        ),
        (
            "cannot connect: Connection refused (3 attempts)",
            "retried",
            "Không kết nối được (Connection refused) (sau 3 lần thử)",
        ),
        ("connection timed out", "connect_timeout", "Hết thời gian chờ kết nối"),
        ("too many redirects", "redirects", "Chuyển hướng quá nhiều lần"),
        ("truncated body", "truncated", "Nội dung trả về bị cắt cụt"),
        (
            "authentication: token endpoint answered 401",
            "auth",
            "Lỗi xác thực (token endpoint answered 401)",
        ),
        ("body is not JSON", "not_json", "Nội dung trả về không phải JSON"),
        ("body has no $.status", "no_field", "Nội dung trả về thiếu trường $.status"),
        (
            "body $.status is 'down' (expected 'up')",
            "wrong_field",
            "Trường $.status có giá trị 'down' (mong đợi 'up')",
        ),
        (
            "body larger than max_body 1000000 bytes",
            "too_large",
            "Nội dung trả về lớn hơn giới hạn 1.000.000 byte",
        ),
    ],
)
def test_probe_reasons_in_vietnamese(detail: str, code: str, text: str) -> None:
    assert reason_code(detail) == code
    assert reason(detail) == text


def test_a_departments_own_detail_is_shown_as_written() -> None:
    own = "Phần mềm một cửa mất kết nối trục LGSP"
    assert reason_code(own) is None and reason(own) == own


@dataclass
class Health:
    """The probe engine's reporting interface, as a fixed answer (the pages only read it)."""

    results: Mapping[tuple[str, str], LastResult]
    circuits: Mapping[str, SystemHealth]
    lag: LagHistogram = field(default_factory=LagHistogram)

    @property
    def probes(self) -> int:
        return len(self.results)

    def systems(self) -> Mapping[str, SystemHealth]:
        return self.circuits

    def last_result(self, pair: tuple[str, str]) -> LastResult | None:
        return self.results.get(pair)


def test_open_circuit_shows_paused_with_the_next_try(bac_ninh: Registry) -> None:
    tz = ZoneInfo(bac_ninh.timezone)
    today = date(2026, 12, 2)
    probed = next(
        o for o in bac_ninh.obligations if o.probe is not None and bac_ninh.in_force_on(o, today)
    )
    failed = ProbeOutcome(False, 1.0, "HTTP status 503 (3 attempts)", 3)
    retry = datetime(2026, 12, 2, 10, 45, tzinfo=tz).timestamp()
    health = Health(
        {probed.key: LastResult(datetime(2026, 12, 2, 3, 40, tzinfo=UTC), failed)},
        {probed.system: SystemHealth(0, CircuitState.OPEN, retry)},
    )
    view = StoreView(today, {}, {}, {}, [], {})
    rows = duty_statuses(bac_ninh, view, health, {})
    (row,) = [r for r in rows if r.department == probed.department and r.system == probed.system]
    assert row.probe == "paused"
    assert row.retry_at is not None and row.retry_at.strftime("%H:%M") == "10:45"
    page = overview_page("Bắc Ninh", rows, datetime(2026, 12, 2, 10, 0, tzinfo=tz), 10, Viewer("x"))
    # The overview's narrow cell: the state and the next try (the department's page says
    # "Tạm dừng thăm dò (ngắt mạch), thử lại lúc 10:45").
    assert "Tạm dừng thăm dò</span>" in page and "thử lại lúc 10:45" in page
    assert "Máy chủ trả mã HTTP 503 (sau 3 lần thử)" in page
    assert "HTTP status" not in page


def test_web_require_login_setting(tmp_path: Path) -> None:
    from lienthong.errors import UsageError
    from lienthong.serve_config import load_config

    assert load_config(None).service_options().web.require_login is False
    config = tmp_path / "serve.toml"
    config.write_text("[web]\nrequire_login = true\n", encoding="utf-8")
    assert load_config(config).service_options().web.require_login is True
    config.write_text("[web]\nrequire_logon = true\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"web\.require_logon"):
        load_config(config)
