"""The report as an Excel workbook, for people: a summary sheet, one sheet per department,
and a sheet that says how the figures were computed.

Figures are the JSON report's, cell for cell: counts as numbers, the ratio as a number
shown as a percentage, times as real date-times in the registry's timezone (to the
second: Excel keeps no finer), statuses and duties as words in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from compliance.rules import ComplianceRow
from reports.cells import cell_text
from reports.colours import STATUS_COLOURS
from reports.excused import excusal_lines, sorted_sources, sources_text
from reports.filing import Filing, Line
from reports.tabular import FIELDS
from reports.words import RULES, Labels, text
from reports.xlsx_corrections import sheet_name, write_corrections

TITLE_ROW, SUBTITLE_ROW, SCOPE_ROW, HEADER_ROW = 1, 2, 3, 4
FIRST_DATA_ROW = HEADER_ROW + 1

WIDE = {"department_name": 28, "system_name": 48, "owner": 28, "basis": 30}
NUMBER_FIELDS = (
    "required_days",
    "met_days",
    "successes",
    "failures",
    "excused_days",
    "probe_only_days",
)
TIME_FIELDS = ("first_success", "last_success")

PHRASES = {
    "vi": {
        "title": "Báo cáo tình hình duy trì kết nối, phát sinh giao dịch với các hệ thống"
        " thông tin quốc gia",
        "summary": "Tổng hợp",
        "quarter": "Cả quý",
        "how": "Cách tính",
        "as_of": "số liệu đến hết ngày",
        "generated": "lập lúc",
        "department": "Đơn vị",
        "province": "Tỉnh",
        "period": "Kỳ báo cáo",
        "from": "Từ ngày",
        "to": "Đến ngày",
        "as_of_day": "Số liệu tính đến hết ngày",
        "timezone": "Múi giờ (ngày tính theo giờ địa phương)",
        "deadline": "Hạn gửi báo cáo quý (trước ngày 25 tháng cuối quý)",
        "generated_at": "Thời điểm lập",
        "registry": "Sổ đăng ký",
        "database": "Cơ sở dữ liệu",
        "software": "Phần mềm",
        "rules": "Quy tắc tính",
        "holidays": "Ngày lễ, Tết của Việt Nam trong kỳ",
        "holiday_date": "Ngày",
        "holiday_name": "Tên ngày lễ",
        "none": "Không có",
        "overrides": "Điều chỉnh lịch của sổ đăng ký trong kỳ",
        "override_kind": "Điều chỉnh",
        "extra_holiday": "Ngày nghỉ thêm",
        "extra_working_day": "Ngày làm việc bù",
        "thresholds": "Ngưỡng của từng nhiệm vụ",
        "target": "Ngưỡng tỷ lệ",
        "min_daily": "Số giao dịch thành công tối thiểu mỗi ngày",
        "since": "Áp dụng từ ngày",
        "until": "Kết thúc trước ngày",
        "derived": "Suy ra (không trích nguyên văn)",
        "yes": "Có",
        "no": "Không",
        "sources": "Nguồn giao dịch được tính",
        "excusals": "Miễn trừ",
        "excusals_title": "Các miễn trừ đã phê duyệt (ngày không đạt không do lỗi của đơn vị)",
        "excusal_id": "Số",
        "excused_here": "Số ngày được miễn trừ",
        "reason": "Lý do",
        "proposed_by": "Người đề xuất",
        "approved_by": "Người phê duyệt",
        "approved_at": "Thời điểm phê duyệt",
        "every_department": "Mọi đơn vị",
    },
    "en": {
        "title": "Compliance of data connections with the national information systems",
        "summary": "Summary",
        "quarter": "Quarter",
        "how": "How computed",
        "as_of": "figures to the end of",
        "generated": "generated",
        "department": "Department",
        "province": "Province",
        "period": "Period",
        "from": "From",
        "to": "To",
        "as_of_day": "Figures to the end of",
        "timezone": "Timezone (days are local days)",
        "deadline": "Quarterly report deadline (before the 25th of the quarter's last month)",
        "generated_at": "Generated at",
        "registry": "Registry",
        "database": "Database",
        "software": "Software",
        "rules": "Rules",
        "holidays": "Vietnam's public holidays in the period",
        "holiday_date": "Day",
        "holiday_name": "Holiday (Vietnamese name)",
        "none": "None",
        "overrides": "The registry's calendar overrides in the period",
        "override_kind": "Override",
        "extra_holiday": "Extra holiday",
        "extra_working_day": "Extra working day",
        "thresholds": "Each obligation's thresholds",
        "target": "Target ratio",
        "min_daily": "Minimum daily successes",
        "since": "Since",
        "until": "Until (exclusive)",
        "derived": "Derived (not quoted)",
        "yes": "Yes",
        "no": "No",
        "sources": "Sources that count",
        "excusals": "Excusals",
        "excusals_title": "Approved excusals (missed days that were not the department's fault)",
        "excusal_id": "No.",
        "excused_here": "Days excused",
        "reason": "Reason",
        "proposed_by": "Proposed by",
        "approved_by": "Approved by",
        "approved_at": "Approved at",
        "every_department": "Every department",
    },
}

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
STATUS_FILLS = {
    s: PatternFill("solid", start_color=bg.lstrip("#")) for s, (bg, _) in STATUS_COLOURS.items()
}
STATUS_FONTS = {s: Font(color=fg.lstrip("#")) for s, (_, fg) in STATUS_COLOURS.items()}
STATUS_TOTAL_FONTS = {
    s: Font(color=fg.lstrip("#"), bold=True) for s, (_, fg) in STATUS_COLOURS.items()
}
TOTAL_FONT = Font(bold=True)


def write_xlsx(filing: Filing, out: IO[bytes]) -> None:
    """Write the workbook to a binary stream."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    words = PHRASES[filing.lang]
    labels = filing.labels
    if filing.is_quarter:
        summary.title = words["quarter"]
        _table_sheet(
            summary,
            filing,
            labels.period(filing.period),
            [(None, line.row) for line in filing.lines],
        )
        for month_report in filing.months:
            ws = workbook.create_sheet(_sheet_name(labels.period_short(month_report.month)))
            rows = [(None, row) for row in month_report.rows]
            _table_sheet(
                ws, filing, labels.period(month_report.month), rows, as_of=month_report.as_of
            )
    else:
        summary.title = words["summary"]
        _table_sheet(
            summary,
            filing,
            labels.period(filing.period),
            [(None, line.row) for line in filing.lines],
        )
    used = {ws.title for ws in workbook.worksheets}
    for department, lines in filing.departments:
        ws = workbook.create_sheet(_unique(_sheet_name(department.code), used))
        scope = f"{words['department']}: {text(department.name)} ({department.code})"
        _table_sheet(
            ws, filing, labels.period(filing.period), _department_rows(filing, lines), scope=scope
        )
    if excusal_lines(filing):  # contract 1.1: a sheet only when an excusal changed a row
        _excusals(workbook.create_sheet(_unique(words["excusals"], used)), filing)
    if filing.corrections:  # excusals decided after a period before was filed
        write_corrections(workbook.create_sheet(_unique(sheet_name(filing), used)), filing)
    _how_computed(workbook.create_sheet(_unique(words["how"], used)), filing)
    workbook.save(out)


def _excusals(ws: Worksheet, filing: Filing) -> None:
    """Each approved excusal behind a row's excused days: its days, reason and authors."""
    labels = filing.labels
    words = PHRASES[filing.lang]
    ws.cell(1, 1, words["excusals_title"]).font = TITLE
    columns = [
        words["excusal_id"],
        labels.column("department_name"),
        labels.column("system_name"),
        words["from"],
        words["to"],
        words["excused_here"],
        words["reason"],
        words["proposed_by"],
        words["approved_by"],
        words["approved_at"],
    ]
    _header(ws, 3, columns)
    r = 3
    tz = filing.registry.tz
    for line in excusal_lines(filing):
        e = line.excusal
        r += 1
        approved = line.approved_at
        values: list[tuple[Any, str | None]] = [
            (e.id, "0"),
            (cell_text(f"{text(line.department_name)} ({line.department})"), None),
            (cell_text(f"{text(line.system_name)} ({line.system})"), None),
            (e.first_day, labels.excel_date),
            (e.last_day, labels.excel_date),
            (line.excused_days, "0"),
            (cell_text(text(e.reason)), None),
            (cell_text(text(e.proposed_by)), None),
            (cell_text(text(e.approved_by or "")), None),
            (
                approved.astimezone(tz).replace(tzinfo=None, microsecond=0) if approved else None,
                labels.excel_datetime,
            ),
        ]
        for col, (value, fmt) in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.alignment = WRAP
            if fmt:
                cell.number_format = fmt
    for col, width in enumerate((8, 34, 40, 12, 12, 12, 50, 24, 24, 20), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _department_rows(
    filing: Filing, lines: Sequence[Line]
) -> list[tuple[str | None, ComplianceRow]]:
    """A month: one row per obligation. A quarter: its three months, then the quarter."""
    if not filing.is_quarter:
        return [(None, line.row) for line in lines]
    labels = filing.labels
    rows: list[tuple[str | None, ComplianceRow]] = []
    for line in lines:
        rows.extend((labels.period_short(month), row) for month, row in line.months)
        rows.append((labels.period_short(filing.period), line.row))
    return rows


def _table_sheet(
    ws: Worksheet,
    filing: Filing,
    period_name: str,
    rows: Sequence[tuple[str | None, ComplianceRow]],
    *,
    as_of: date | None = None,
    scope: str = "",
) -> None:
    labels = filing.labels
    words = PHRASES[filing.lang]
    report = filing.report
    with_period = any(p is not None for p, _ in rows)
    fields = (("period",) if with_period else ()) + FIELDS
    ws.cell(TITLE_ROW, 1, f"{words['title']} — {text(report.province.name)}").font = TITLE
    ws.cell(
        SUBTITLE_ROW,
        1,
        f"{period_name} · {words['as_of']} {labels.date(as_of or report.as_of)}"
        f" ({report.timezone}) · {words['generated']} {labels.datetime(report.generated_at)}",
    )
    if scope:
        ws.cell(SCOPE_ROW, 1, scope).font = BOLD
    for col, field in enumerate(fields, start=1):
        cell = ws.cell(HEADER_ROW, col, labels.column(field))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
    table: list[dict[str, Any]] = []
    total_label = labels.period_short(filing.period)
    for i, (period, row) in enumerate(rows):
        r = FIRST_DATA_ROW + i
        values = _row_values(row, labels)
        if with_period:
            values["period"] = period
        table.append(values)
        total = with_period and period == total_label
        for col, field in enumerate(fields, start=1):
            cell = ws.cell(r, col, values[field])
            if field == "ratio":
                cell.number_format = "0.00%"
            elif field in TIME_FIELDS:
                cell.number_format = labels.excel_datetime
            elif field in NUMBER_FIELDS:
                cell.number_format = "#,##0"
            if field == "status":
                cell.fill = STATUS_FILLS[row.status]
                cell.font = (STATUS_TOTAL_FONTS if total else STATUS_FONTS)[row.status]
            elif total:
                cell.font = TOTAL_FONT
            cell.alignment = WRAP if field in WIDE else TOP
    last_row = max(HEADER_ROW, FIRST_DATA_ROW + len(rows) - 1)
    last_col = get_column_letter(len(fields))
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{last_row}"
    ws.row_dimensions[HEADER_ROW].height = 45
    _widths(ws, fields, table, labels)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _row_values(row: ComplianceRow, labels: Labels) -> dict[str, Any]:
    return {
        "department": row.department,
        "department_name": cell_text(text(row.department_name)),
        "system": row.system,
        "system_name": cell_text(text(row.system_name)),
        "owner": cell_text(text(row.owner)),
        "kind": labels.kind(row.kind),
        "basis": cell_text(text(row.basis)),
        "required_days": row.required_days,
        "met_days": row.met_days,
        "ratio": float(row.ratio) if row.ratio is not None else None,
        "successes": row.successes,
        "failures": row.failures,
        "first_success": _excel_time(row.first_success),
        "last_success": _excel_time(row.last_success),
        "status": labels.status(row.status),
        "excused_days": row.excused_days,
        "probe_only_days": row.probe_only_days,
    }


def _excel_time(t: datetime | None) -> datetime | None:
    """Local wall-clock time to the second: Excel has no timezones (the sheet names it)."""
    return t.replace(tzinfo=None, microsecond=0) if t is not None else None


def _widths(
    ws: Worksheet, fields: Sequence[str], table: Sequence[dict[str, Any]], labels: Labels
) -> None:
    """Wide text columns wrap at a fixed width; the others fit their longest value."""
    for col, field in enumerate(fields, start=1):
        if field in WIDE:
            width = WIDE[field]
        elif field in TIME_FIELDS:
            width = 20
        else:
            longest = max((len(str(v[field] or "")) for v in table[:500]), default=0)
            width = min(max(longest + 2, 10), 30)
        header = len(labels.column(field))
        ws.column_dimensions[get_column_letter(col)].width = max(width, min(header, 18) + 2)


def _how_computed(ws: Worksheet, filing: Filing) -> None:
    labels = filing.labels
    words = PHRASES[filing.lang]
    report = filing.report
    period = filing.period
    ws.cell(1, 1, words["how"]).font = TITLE
    facts: list[tuple[str, Any, str | None]] = [
        (words["province"], f"{text(report.province.name)} ({report.province.code})", None),
        (words["period"], labels.period(period), None),
        (words["from"], period.first, labels.excel_date),
        (words["to"], period.last, labels.excel_date),
        (words["as_of_day"], report.as_of, labels.excel_date),
        (words["timezone"], report.timezone, None),
    ]
    if period.deadline is not None:
        facts.append((words["deadline"], period.deadline, labels.excel_date))
    if report.department is not None:
        d = report.department
        facts.append((words["department"], f"{text(d.name)} ({d.code})", None))
    facts += [
        (
            words["generated_at"],
            report.generated_at.replace(tzinfo=None, microsecond=0),
            labels.excel_datetime,
        ),
        (words["registry"], filing.provenance.registry, None),
        (words["database"], filing.provenance.database, None),
        (words["software"], filing.provenance.software, None),
    ]
    r = 3
    for key, value, fmt in facts:
        ws.cell(r, 1, key).font = BOLD
        cell = ws.cell(r, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if fmt:
            cell.number_format = fmt
        r += 1

    r += 1
    ws.cell(r, 1, words["rules"]).font = BOLD
    for rule in RULES[filing.lang]:
        r += 1
        ws.cell(r, 2, rule).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 30

    r = _dated_list(
        ws,
        r + 2,
        words["holidays"],
        [words["holiday_date"], words["holiday_name"]],
        [(day, text(name)) for day, name in filing.holidays],
        words["none"],
        labels.excel_date,
    )
    r = _dated_list(
        ws,
        r + 2,
        words["overrides"],
        [words["holiday_date"], words["override_kind"]],
        [
            (day, words["extra_working_day" if working else "extra_holiday"])
            for day, working in filing.overrides
        ],
        words["none"],
        labels.excel_date,
    )

    r += 2
    ws.cell(r, 1, words["thresholds"]).font = BOLD
    r += 1
    columns = [
        labels.column("department_name"),
        labels.column("system_name"),
        labels.column("kind"),
        words["target"],
        words["min_daily"],
        words["since"],
        words["until"],
        words["derived"],
        words["sources"],
    ]
    _header(ws, r, columns)
    for t in filing.thresholds:
        r += 1
        o = t.obligation
        values: list[tuple[Any, str | None]] = [
            (cell_text(f"{text(t.department_name)} ({o.department})"), None),
            (cell_text(f"{text(t.system_name)} ({o.system})"), None),
            (labels.kind(o.kind), None),
            # A duty to connect has no ratio to reach: met once a success arrives.
            (o.target_ratio if o.kind == "maintain" else None, "0.00%"),
            (o.min_daily_successes if o.kind == "maintain" else None, "0"),
            (t.since, labels.excel_date),
            (t.until, labels.excel_date),
            (words["yes"] if o.derived else words["no"], None),
            (sources_text(sorted_sources(filing, o), filing.lang), None),
        ]
        for col, (value, fmt) in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.alignment = WRAP
            if fmt:
                cell.number_format = fmt
    for col, width in enumerate((34, 60, 22, 12, 14, 14, 14, 14, 30), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _dated_list(
    ws: Worksheet,
    r: int,
    title: str,
    columns: Sequence[str],
    rows: Sequence[tuple[date, str]],
    none: str,
    date_format: str,
) -> int:
    """A titled table of (date, text) rows from row `r` ("none" when empty); its last row."""
    ws.cell(r, 1, title).font = BOLD
    r += 1
    _header(ws, r, columns)
    for day, value in rows:
        r += 1
        ws.cell(r, 1, day).number_format = date_format
        ws.cell(r, 2, value)
    if not rows:
        r += 1
        ws.cell(r, 1, none)
    return r


def _header(ws: Worksheet, row: int, names: Sequence[str]) -> None:
    for col, name in enumerate(names, start=1):
        cell = ws.cell(row, col, name)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN


def _sheet_name(name: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    for bad in "[]:*?/\\":
        name = name.replace(bad, "-")
    return name[:31]


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        candidate = name[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate
