"""Words and number formats of the people's formats (XLSX, PDF), in Vietnamese or English.

Codes (department, system, status in JSON/CSV) stay ASCII; what a person reads here is
Vietnamese by default, with its diacritics, and English with `--lang en`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from compliance.periods import Period
from compliance.rules import DayState

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

COLUMNS: dict[Lang, dict[str, str]] = {
    "vi": {
        "period": "Kỳ",
        "department": "Mã đơn vị",
        "department_name": "Đơn vị",
        "system": "Mã hệ thống",
        "system_name": "Hệ thống thông tin quốc gia",
        "owner": "Cơ quan chủ quản",
        "kind": "Nhiệm vụ",
        "basis": "Căn cứ",
        "required_days": "Số ngày phải có giao dịch",
        "met_days": "Số ngày đạt",
        "ratio": "Tỷ lệ",
        "successes": "Giao dịch thành công",
        "failures": "Giao dịch lỗi",
        "first_success": "Giao dịch thành công đầu tiên",
        "last_success": "Giao dịch thành công gần nhất",
        "status": "Kết quả",
        "excused_days": "Số ngày được miễn trừ",
        "probe_only_days": "Số ngày đạt chỉ nhờ giao dịch thăm dò",
    },
    "en": {
        "period": "Period",
        "department": "Department code",
        "department_name": "Department",
        "system": "System code",
        "system_name": "National system",
        "owner": "Owner",
        "kind": "Duty",
        "basis": "Basis (clause)",
        "required_days": "Required days",
        "met_days": "Met days",
        "ratio": "Ratio",
        "successes": "Successes",
        "failures": "Failures",
        "first_success": "First success",
        "last_success": "Last success",
        "status": "Status",
        "excused_days": "Excused days",
        "probe_only_days": "Days met only by probes",
    },
}

STATUSES: dict[Lang, dict[str, str]] = {
    "vi": {
        "compliant": "Đạt",
        "partial": "Đạt một phần",
        "non_compliant": "Không đạt",
        "not_applicable": "Không áp dụng",
        "connected": "Đã kết nối",
        "not_connected": "Chưa kết nối",
    },
    "en": {
        "compliant": "Compliant",
        "partial": "Partial",
        "non_compliant": "Non-compliant",
        "not_applicable": "Not applicable",
        "connected": "Connected",
        "not_connected": "Not connected",
    },
}

KINDS: dict[Lang, dict[str, str]] = {
    "vi": {"maintain": "Duy trì giao dịch", "connect": "Triển khai kết nối"},
    "en": {"maintain": "Maintain transactions", "connect": "Establish the connection"},
}

DAY_STATES: dict[Lang, dict[DayState, str]] = {
    "vi": {
        DayState.MET: "Ngày đạt",
        DayState.PROBE_ONLY: "Đạt chỉ nhờ thăm dò",
        DayState.EXCUSED: "Được miễn trừ",
        DayState.MISSED: "Ngày không đạt",
        DayState.NOT_REQUIRED: "Không yêu cầu (nghỉ, lễ, ngoài thời hạn)",
        DayState.AFTER_AS_OF: "Sau ngày chốt số liệu",
        DayState.OPEN: "Hôm nay, chưa có giao dịch",
    },
    "en": {
        DayState.MET: "Met",
        DayState.PROBE_ONLY: "Met only by probes",
        DayState.EXCUSED: "Excused",
        DayState.MISSED: "Missed",
        DayState.NOT_REQUIRED: "Not required (weekend, holiday, outside the dates)",
        DayState.AFTER_AS_OF: "After the as-of day",
        DayState.OPEN: "Today, no transaction yet",
    },
}

ROMAN = ("I", "II", "III", "IV")
MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def text(value: str) -> str:
    """Vietnamese in its composed form: one code point per letter, as fonts expect."""
    return unicodedata.normalize("NFC", value)


PERIOD_NAMES: dict[Lang, dict[str, str]] = {
    "vi": {"month": "Tháng {n} năm {year}", "quarter": "Quý {roman} năm {year}"},
    "en": {"month": "{month_name} {year}", "quarter": "Q{n} {year}"},
}
PERIOD_SHORT_NAMES: dict[Lang, dict[str, str]] = {
    "vi": {"month": "T{n}/{year}", "quarter": "Quý {roman}"},
    "en": {"month": "{month_name:.3} {year}", "quarter": "Q{n}"},
}


def _period_fields(period: Period) -> dict[str, object]:
    n = period.number
    return {
        "n": n,
        "year": period.year,
        "roman": ROMAN[n - 1] if period.kind == "quarter" else "",
        "month_name": MONTH_NAMES_EN[n - 1] if period.kind == "month" else "",
    }


@dataclass(frozen=True)
class Labels:
    lang: Lang

    def column(self, field: str) -> str:
        return COLUMNS[self.lang][field]

    def status(self, code: str) -> str:
        return STATUSES[self.lang][code]

    def kind(self, code: str) -> str:
        return KINDS[self.lang][code]

    def day_state(self, state: DayState) -> str:
        return DAY_STATES[self.lang][state]

    def period(self, period: Period) -> str:
        """'Tháng 10 năm 2026', 'Quý III năm 2026' / 'October 2026', 'Q3 2026'."""
        return PERIOD_NAMES[self.lang][period.kind].format(**_period_fields(period))

    def period_short(self, period: Period) -> str:
        """'T10/2026', 'Quý III' / 'Oct 2026', 'Q3'; for table cells and sheet names."""
        return PERIOD_SHORT_NAMES[self.lang][period.kind].format(**_period_fields(period))

    def date(self, d: date) -> str:
        return d.strftime("%d/%m/%Y") if self.lang == "vi" else d.isoformat()

    def datetime(self, t: datetime) -> str:
        if self.lang == "vi":
            return t.strftime("%H:%M:%S %d/%m/%Y")
        return t.strftime("%Y-%m-%d %H:%M:%S")

    def integer(self, n: int) -> str:
        grouped = f"{n:,}"
        return grouped.replace(",", ".") if self.lang == "vi" else grouped

    def percent(self, r: Decimal | float | None) -> str:
        """A ratio of 4 decimals as a percentage with 2: 0.9545 → '95,45%' / '95.45%'."""
        if r is None:
            return "—"
        shown = f"{Decimal(str(r)) * 100:.2f}%"
        return shown.replace(".", ",") if self.lang == "vi" else shown

    # Excel number formats: Excel shows them with the reader's own separators.
    @property
    def excel_date(self) -> str:
        return "dd/mm/yyyy" if self.lang == "vi" else "yyyy-mm-dd"

    @property
    def excel_datetime(self) -> str:
        return "dd/mm/yyyy hh:mm:ss" if self.lang == "vi" else "yyyy-mm-dd hh:mm:ss"


RULES: dict[Lang, tuple[str, ...]] = {
    "vi": (
        "Ngày làm việc: thứ Hai đến thứ Sáu, trừ các ngày lễ, Tết của Việt Nam (theo gói"
        " holidays, kể cả ngày nghỉ bù), cộng hoặc trừ các điều chỉnh lịch của sổ đăng ký.",
        "Ngày phải có giao dịch: ngày làm việc trong kỳ, trong thời hạn của nhiệm vụ (từ ngày"
        " bắt đầu, trước ngày kết thúc) và không sau ngày chốt số liệu.",
        "Ngày đạt: ngày phải có giao dịch có ít nhất số giao dịch thành công tối thiểu của"
        " nhiệm vụ, tính theo giờ địa phương.",
        "Tỷ lệ = số ngày đạt / số ngày phải có giao dịch, làm tròn đến 4 chữ số thập phân.",
        "Giao dịch thành công, giao dịch lỗi: mọi giao dịch trong kỳ (kể cả ngày nghỉ), trong"
        " thời hạn của nhiệm vụ, đến hết ngày chốt số liệu.",
        "Kết quả nhiệm vụ duy trì giao dịch: Không áp dụng nếu không có ngày phải có giao dịch;"
        " Đạt nếu tỷ lệ không thấp hơn ngưỡng; Đạt một phần nếu có giao dịch thành công;"
        " còn lại là Không đạt.",
        "Kết quả nhiệm vụ triển khai kết nối: Đã kết nối nếu đã có giao dịch thành công đến hết"
        " kỳ (và ngày chốt số liệu); còn lại là Chưa kết nối.",
        "Nguồn giao dịch được tính: chỉ các nguồn mà sổ đăng ký cho phép (mặc định cả bốn"
        " nguồn: thăm dò, đẩy (API), cổng (LGSP, X-Road), nhập tệp); giao dịch"
        " của nguồn khác vẫn được lưu nhưng không vào số liệu nào. Ngày đạt chỉ nhờ thăm dò: ngày"
        " đạt mà không còn đạt nếu bỏ giao dịch thăm dò do hệ thống giám sát tự thực hiện.",
        "Ngày được miễn trừ: ngày phải có giao dịch, không đạt, nằm trong một miễn trừ đã được"
        " phê duyệt của hệ thống (và của đơn vị, nếu miễn trừ ghi đơn vị). Ngày này không tính"
        " vào số ngày phải có giao dịch; ngày đạt không bao giờ bị miễn trừ, nên miễn trừ không"
        " làm giảm tỷ lệ. Miễn trừ đề xuất, bị từ chối hoặc đã thu hồi không thay đổi số liệu.",
        "Số liệu cả quý: cộng số ngày phải có giao dịch, số ngày đạt, số giao dịch thành công"
        " và lỗi, số ngày được miễn trừ và số ngày đạt chỉ nhờ thăm dò của ba tháng; tỷ lệ và"
        " kết quả tính lại từ các tổng đó theo cùng quy tắc.",
    ),
    "en": (
        "Working day: Monday to Friday, except Vietnam's public holidays (as the holidays"
        " package lists them, observed days included), with the registry's calendar overrides.",
        "Required day: a working day of the period, within the obligation's dates (from its"
        " start, before its end), not after the as-of day.",
        "Met day: a required day with at least the obligation's minimum number of successful"
        " transactions, in local time.",
        "Ratio = met days / required days, rounded to 4 decimals.",
        "Successes, failures: every transaction of the period (weekends and holidays included)"
        " within the obligation's dates, up to the end of the as-of day.",
        "Status of a duty to maintain transactions: not applicable without a required day;"
        " compliant when the ratio reaches the target; partial when there was a success;"
        " non-compliant otherwise.",
        "Status of a duty to connect: connected when a success exists by the end of the period"
        " (and of the as-of day); not connected otherwise.",
        "Sources that count: only those the registry allows (key evidence; by default all four:"
        " probe, push, gateway, import); records of other sources are stored but enter no"
        " figure. Days met only by probes: met days that would not be met without the records"
        " of lienthong's own probe calls.",
        "Excused day: a required day, not met, covered by an approved excusal of the system (and"
        " of the department, if the excusal names one). It is left out of the required days; a"
        " met day is never excused, so an excusal never lowers a ratio. Proposed, rejected or"
        " withdrawn excusals change no figure.",
        "Quarter figures: required days, met days, successes and failures, excused days and days"
        " met only by probes of the three months added up; the ratio and status recomputed from"
        " those sums by the same rules.",
    ),
}
