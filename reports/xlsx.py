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

from compliance.platforms import platform_names, standing_text
from compliance.rules import ComplianceRow
from i18n import N_, gettext_in
from i18n.glossary import DAY_STATES, STATUSES
from reports.cells import cell_text
from reports.excused import excusal_lines, sorted_sources, sources_text
from reports.filing import Filing, Line
from reports.provenance import database_text
from reports.tabular import FIELDS
from reports.words import Labels, Phrases, text
from reports.xlsx_corrections import sheet_name, write_corrections

TITLE_ROW, SUBTITLE_ROW, SCOPE_ROW, HEADER_ROW = 1, 2, 3, 4
FIRST_DATA_ROW = HEADER_ROW + 1

WIDE = {
    "department_name": 28,
    "system_name": 48,
    "owner": 28,
    "basis": 30,
    "platforms": 16,
    "required_platform": 34,
}
NUMBER_FIELDS = (
    "required_days",
    "met_days",
    "successes",
    "failures",
    "excused_days",
    "probe_only_days",
)
TIME_FIELDS = ("first_success", "last_success")

PHRASES: dict[str, str] = {
    "title": N_("Compliance of data connections with the national information systems"),
    "summary": N_("Summary"),
    "quarter": N_("Quarter"),
    "how": N_("How computed"),
    "as_of": N_("figures to the end of"),
    "generated": N_("generated"),
    "department": N_("Department"),
    "province": N_("Province"),
    "period": N_("Reporting period"),
    "from": N_("From"),
    "to": N_("To"),
    "as_of_day": N_("Figures to the end of"),
    "timezone": N_("Timezone (days are local days)"),
    "deadline": N_("Quarterly report deadline (before the 25th of the quarter's last month)"),
    "generated_at": N_("Generated at"),
    "registry": N_("Registry"),
    "database": N_("Database"),
    "software": N_("Software"),
    "rules": N_("Rules"),
    "holidays": N_("Vietnam's public holidays in the period"),
    "holiday_date": N_("Day"),
    "holiday_name": N_("Holiday (Vietnamese name)"),
    "none": N_("None"),
    "overrides": N_("The registry's calendar overrides in the period"),
    "override_kind": N_("Override"),
    "extra_holiday": N_("Extra holiday"),
    "extra_working_day": N_("Extra working day"),
    "thresholds": N_("Each obligation's thresholds"),
    "target": N_("Target ratio"),
    "min_daily": N_("Minimum daily successes"),
    "since": N_("Since"),
    "until": N_("Until (exclusive)"),
    "derived": N_("Derived (not quoted)"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "sources": N_("Sources that count"),
    "excusals": N_("Excusals"),
    "excusals_title": N_("Approved excusals (missed days that were not the department's fault)"),
    "excusal_id": N_("No."),
    "excused_here": N_("Days excused"),
    "reason": N_("Reason"),
    "proposed_by": N_("Proposed by"),
    "approved_by": N_("Approved by"),
    "approved_at": N_("Approved at"),
    "every_department": N_("Every department"),
    "page": N_("Page {n} of {total}"),
    "fingerprint": N_("Fingerprint of the registry's content"),
}

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
# The glossary's colours (i18n/glossary.py): the same as on the pages, the PDF and the DOCX.
STATUS_FILLS = {
    s: PatternFill("solid", start_color=t.background.lstrip("#")) for s, t in STATUSES.items()
}
STATUS_FONTS = {s: Font(color=t.text.lstrip("#")) for s, t in STATUSES.items()}
EXCUSED_FILL = PatternFill("solid", start_color=DAY_STATES["excused"].background.lstrip("#"))
EXCUSED_FONT = Font(color=DAY_STATES["excused"].text.lstrip("#"))
STATUS_TOTAL_FONTS = {s: Font(color=t.text.lstrip("#"), bold=True) for s, t in STATUSES.items()}
TOTAL_FONT = Font(bold=True)


def write_xlsx(filing: Filing, out: IO[bytes]) -> None:
    """Write the workbook to a binary stream."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    words = Phrases(PHRASES, filing.lang)
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
        # Named by the department's name (a person's word), not its code.
        ws = workbook.create_sheet(_unique(_sheet_name(text(department.name)), used))
        scope = f"{words['department']}: {text(department.name)} ({department.code})"
        _table_sheet(
            ws, filing, labels.period(filing.period), _department_rows(filing, lines), scope=scope
        )
    if excusal_lines(filing):  # contract 1.1: a sheet only when an excusal changed a row
        _excusals(workbook.create_sheet(_unique(words["excusals"], used)), filing)
    if filing.corrections:  # excusals decided after a period before was filed
        write_corrections(workbook.create_sheet(_unique(sheet_name(filing), used)), filing)
    _how_computed(workbook.create_sheet(_unique(words["how"], used)), filing)
    for ws in workbook.worksheets:
        _print_setup(ws, words["page"])
    workbook.save(out)


def _print_setup(ws: Worksheet, page: str) -> None:
    """Every sheet prints on A4, its pages numbered in the footer ("Trang 2/5")."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # Excel's header/footer codes: &P the page, &N the number of pages (a literal & is &&).
    footer = page.replace("&", "&&").format(n="&P", total="&N")
    for side in (ws.oddFooter, ws.evenFooter):
        assert side is not None  # openpyxl gives every sheet both
        side.center.text = footer


def _excusals(ws: Worksheet, filing: Filing) -> None:
    """Each approved excusal behind a row's excused days: its days, reason and authors."""
    labels = filing.labels
    words = Phrases(PHRASES, filing.lang)
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
    words = Phrases(PHRASES, filing.lang)
    report = filing.report
    with_period = any(p is not None for p, _ in rows)
    fields = (("period",) if with_period else ()) + FIELDS + _required_column(rows)
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
            elif field == "excused_days" and row.excused_days:
                cell.fill, cell.font = EXCUSED_FILL, EXCUSED_FONT  # the strip's excused colour
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
        "platforms": platform_names(row.platforms, labels.lang) if row.platforms else None,
        "required_platform": (
            None
            if row.required_platform is None
            else standing_text(
                row.required_platform, row.successes, row.platform_successes, labels.lang
            )
        ),
    }


def _required_column(rows: Sequence[tuple[str | None, ComplianceRow]]) -> tuple[str, ...]:
    """The column of the platform the law requires, when it binds some duty shown."""
    return ("required_platform",) if any(r.required_platform for _, r in rows) else ()


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
    words = Phrases(PHRASES, filing.lang)
    report = filing.report
    period = filing.period
    source = filing.provenance
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
        (words["registry"], source.registry_text(filing.lang), None),
        (words["fingerprint"], source.digest, None),
        (words["database"], database_text(source.database, filing.lang), None),
        (words["software"], source.software, None),
        (gettext_in(filing.lang, "Calendar"), filing.calendar_note, None),
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
    for rule in labels.rules(quarter=True):
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
