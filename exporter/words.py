"""The words of the status pages, the status API's labels and the demo's live table, in one
place: one name per state, Vietnamese number and date formats, failure reasons in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

# A row's probe state (exporter.status.ObligationStatus.state) as people read it.
PROBE_STATES = {
    "up": "Hoạt động",
    "down": "Lỗi kết nối",
    "waiting": "Đang chờ thăm dò",
    "passive": "Không thăm dò",
    "paused": "Tạm dừng thăm dò",
}
# What today looks like for a duty, from its records of every source (exporter.duties).
TODAY_STATES = {
    "met": "Đạt hôm nay",
    "failing": "Đang lỗi",
    "waiting": "Chưa có giao dịch",
    "excused": "Được miễn trừ",
    "not_required": "Không yêu cầu",
    "connected": "Đã kết nối",
    "not_connected": "Chưa kết nối",
}
# A day of the month strip (compliance.rules.DayState values, and `open` for today not yet met).
DAY_STATES = {
    # The reports' names (reports/words.py DAY_STATES), so the PDF and the page agree.
    "met": "Ngày đạt",
    "probe_only": "Đạt chỉ nhờ thăm dò",
    "missed": "Ngày không đạt",
    "excused": "Được miễn trừ",
    "not_required": "Không yêu cầu (nghỉ, lễ, ngoài thời hạn)",
    # Only the live page has these: the days after today, and today while not yet met.
    "after_as_of": "Chưa đến",
    "open": "Hôm nay, chưa có giao dịch",
}
EXCUSAL_STATES = {
    "proposed": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "withdrawn": "Đã thu hồi",
}
# The record sources, named as the reports name them (reports/excused.py).
SOURCES = {
    "probe": "thăm dò",
    "push": "đẩy (API)",
    "gateway": "cổng (LGSP, X-Road)",
    "import": "nhập tệp",
}
COLUMNS = {
    "department": "Đơn vị",
    "system": "Hệ thống quốc gia",
    "today": "Hôm nay",
    "state": "Thăm dò",
    "last_success": "Thành công gần nhất",
    "last_failure": "Lỗi gần nhất",
    "ratio": "Tỷ lệ tháng / mục tiêu",
    "budget": "Còn được bỏ lỡ",
    "excused": "Ngày miễn trừ",
}
# The demo's live table still names these (exporter.status.ObligationStatus).
LIVE_COLUMNS = {
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
AT_RISK = "Có nguy cơ không đạt"
UNREACHABLE = "Không còn đạt được mục tiêu tháng"
CIRCUIT_OPEN = "Tạm dừng thăm dò (ngắt mạch), thử lại lúc {at}"
NOTHING = "—"
# Who issues tokens and approves explanations when the registry names no standing department.
STANDING_GENERIC = "cơ quan thường trực"


def tally(up: int, down: int, total: int) -> str:
    """'3 hoạt động · 1 lỗi kết nối · 18 nghĩa vụ'."""
    return (
        f"{up} {PROBE_STATES['up'].lower()} · {down} {PROBE_STATES['down'].lower()}"
        f" · {total} nghĩa vụ"
    )


def when(value: datetime | None) -> str:
    """A local time as Vietnamese readers write it: 09:05:00 02/12/2026."""
    return value.strftime("%H:%M:%S %d/%m/%Y") if value else NOTHING


def day(value: date | None) -> str:
    """02/12/2026."""
    return value.strftime("%d/%m/%Y") if value else NOTHING


def clock(value: datetime | None) -> str:
    """09:05."""
    return value.strftime("%H:%M") if value else NOTHING


def number(value: float, places: int = 1) -> str:
    """A decimal number with a decimal comma and dot thousands: 1.234,5."""
    text = f"{value:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value: float | None) -> str:
    """A ratio as Vietnamese readers write it: 0.5 -> '50,0 %'."""
    return NOTHING if value is None else f"{number(value * 100)} %"


def duration(seconds: float) -> str:
    """'15 phút', '2 giờ 5 phút', '40 giây'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} giây"
    hours, minutes = divmod(whole // 60, 60)
    if hours == 0:
        return f"{minutes} phút"
    return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")


# A failure reason's code, the pattern that recognises it in a stored English detail (the
# probes write English: stored records keep the contract's free-text `detail` as written, so
# records stored before and pushed details are shown the same way), and its Vietnamese text.
_Reason = tuple[str, re.Pattern[str], Callable[[re.Match[str]], str]]


def _r(code: str, pattern: str, text: Callable[[re.Match[str]], str]) -> _Reason:
    return code, re.compile(pattern + r"\Z"), text


REASONS: tuple[_Reason, ...] = (
    _r(
        "retried",
        r"(?P<last>.+) \((?P<n>\d+) attempts\)",
        lambda m: f"{reason(m['last'])} (sau {m['n']} lần thử)",
    ),
    _r(
        "timeout_retried",
        r"timed out after (?P<s>[\d.]+) s \((?P<n>\d+) attempts; last: (?P<last>.+)\)",
        lambda m: (
            f"Quá thời gian chờ {m['s'].replace('.', ',')} giây (sau {m['n']} lần thử;"
            f" lần cuối: {reason(m['last'])})"
        ),
    ),
    _r(
        "timeout",
        r"timed out after (?P<s>[\d.]+) s",
        lambda m: f"Quá thời gian chờ {m['s'].replace('.', ',')} giây",
    ),
    _r(
        "http_expected",
        r"HTTP status (?P<code>\d+) \(expected (?P<want>.+)\)",
        lambda m: f"Máy chủ trả mã HTTP {m['code']} (mong đợi {m['want']})",
    ),
    _r("http_status", r"HTTP status (?P<code>\d+)", lambda m: f"Máy chủ trả mã HTTP {m['code']}"),
    _r(
        "cannot_connect",
        r"cannot connect: (?P<why>.+)",
        lambda m: f"Không kết nối được ({m['why']})",
    ),
    _r("connection_error", r"connection error: (?P<why>.+)", lambda m: f"Lỗi kết nối ({m['why']})"),
    _r("closed", r"connection closed by the server", lambda m: "Máy chủ đóng kết nối giữa chừng"),
    _r("connect_timeout", r"connection timed out", lambda m: "Hết thời gian chờ kết nối"),
    _r("redirects", r"too many redirects", lambda m: "Chuyển hướng quá nhiều lần"),
    _r("truncated", r"truncated body", lambda m: "Nội dung trả về bị cắt cụt"),
    _r(
        "malformed",
        r"malformed answer: (?P<why>.+)",
        lambda m: f"Trả lời sai định dạng ({m['why']})",
    ),
    _r("auth", r"authentication: (?P<why>.+)", lambda m: f"Lỗi xác thực ({m['why']})"),
    _r("not_json", r"body is not JSON", lambda m: "Nội dung trả về không phải JSON"),
    _r(
        "no_field",
        r"body has no (?P<path>.+)",
        lambda m: f"Nội dung trả về thiếu trường {m['path']}",
    ),
    _r(
        "wrong_field",
        r"body (?P<path>\S+) is (?P<got>.+) \(expected (?P<want>.+)\)",
        lambda m: f"Trường {m['path']} có giá trị {m['got']} (mong đợi {m['want']})",
    ),
    _r(
        "too_large",
        r"body (?:of (?P<n>\d+) bytes is )?larger than max_body (?P<max>\d+)(?: bytes)?",
        lambda m: f"Nội dung trả về lớn hơn giới hạn {number(int(m['max']), 0)} byte",
    ),
)


def reason_code(detail: str) -> str | None:
    """The code of a known failure reason, None for a detail written by someone else."""
    return next((code for code, p, _ in REASONS if p.match(detail)), None)


def reason(detail: str | None) -> str:
    """A failure reason in Vietnamese; a detail no pattern knows (a department's own text)
    is shown as written."""
    if not detail:
        return NOTHING
    for _, pattern, text in REASONS:
        m = pattern.match(detail)
        if m is not None:
            return text(m)
    return detail


OUTCOMES = {True: "Thành công", False: "Lỗi"}


def day_why(
    state: str,
    counted: int,
    need: int,
    failures: int,
    weekend: bool,
    in_force: bool,
    excusal_ids: list[int],
) -> str:
    """Why a day is in its state, in one Vietnamese sentence (the day page)."""
    if state == "not_required":
        if not in_force:
            return "Không yêu cầu: ngoài thời hạn của nhiệm vụ."
        if weekend:
            return "Không yêu cầu: ngày nghỉ cuối tuần."
        return "Không yêu cầu: ngày lễ hoặc ngày nghỉ theo lịch của tỉnh."
    have = f"{counted}/{need} giao dịch thành công từ các nguồn được tính"
    if state in ("met", "probe_only"):
        text = f"Ngày đạt: {have}."
        if state == "probe_only":
            text += " Nếu bỏ các giao dịch thăm dò của hệ thống giám sát thì ngày này không đạt."
        return text
    if state == "excused":
        ids = ", ".join(f"số {n}" for n in excusal_ids)
        return f"Được miễn trừ (miễn trừ {ids}): {have}."
    tail = f"; {failures} giao dịch lỗi" if failures else "; không có giao dịch lỗi nào được ghi"
    return f"Ngày không đạt: {have}{tail}."
