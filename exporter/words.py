"""The words of the status page and the demo's live table, in one place: one name per state."""

from __future__ import annotations

from datetime import datetime

# A row's probe state (exporter.status.ObligationStatus.state) as people read it.
PROBE_STATES = {
    "up": "Hoạt động",
    "down": "Lỗi kết nối",
    "waiting": "Đang chờ thăm dò",
    "passive": "Không thăm dò",
}
COLUMNS = {
    "department": "Đơn vị",
    "system": "Hệ thống quốc gia",
    "state": "Trạng thái",
    "last_run": "Lần thăm dò gần nhất",
    "detail": "Lý do lỗi",
    "last_success": "Thành công gần nhất",
    "successes_today": "Thành công hôm nay",
    "ratio": "Tỷ lệ tháng",
}
TITLE = "Tình trạng kết nối với các hệ thống quốc gia — {province}"


def tally(up: int, down: int, total: int) -> str:
    """'3 hoạt động · 1 lỗi kết nối · 18 nghĩa vụ'."""
    return (
        f"{up} {PROBE_STATES['up'].lower()} · {down} {PROBE_STATES['down'].lower()}"
        f" · {total} nghĩa vụ"
    )


def when(value: datetime | None) -> str:
    """A local time as Vietnamese readers write it: 09:05:00 02/12/2026."""
    return value.strftime("%H:%M:%S %d/%m/%Y") if value else "—"
