"""The workbook's corrections sheet: excusals approved or withdrawn after a period was
filed (reports/corrections.py), each with the filed period's days it changes."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from i18n import N_, gettext_in
from reports.cells import cell_text
from reports.filing import Filing
from reports.words import text

SHEET = N_("Corrections")
TITLE = N_(
    "Corrections to periods already filed: excusals decided after they were sent (the files"
    " sent are unchanged)"
)
COLUMNS = (
    N_("Period filed"),
    N_("Filed at"),
    N_("Excusal no."),
    N_("Department"),
    N_("System"),
    N_("From"),
    N_("To"),
    N_("Days of the period"),
    N_("Change"),
    N_("Decided at"),
    N_("By"),
    N_("Reason"),
)
CHANGES = {"approved": N_("approved: now excused"), "withdrawn": N_("withdrawn: excused no more")}


def sheet_name(filing: Filing) -> str:
    return gettext_in(filing.lang, SHEET)


def write_corrections(ws: Worksheet, filing: Filing) -> None:
    lang, labels, tz = filing.lang, filing.labels, filing.registry.tz
    ws.cell(1, 1, gettext_in(lang, TITLE)).font = Font(bold=True, size=13)
    for col, name in enumerate(COLUMNS, start=1):
        ws.cell(3, col, gettext_in(lang, name)).font = Font(bold=True)
    for r, c in enumerate(filing.corrections, start=4):
        e = c.excusal
        by = e.withdrawn_by if c.change == "withdrawn" else e.decided_by
        values: list[tuple[Any, str | None]] = [
            (c.period, None),
            (c.filed_at.astimezone(tz).replace(tzinfo=None), labels.excel_datetime),
            (e.id, "0"),
            (e.department or "*", None),
            (e.system, None),
            (c.first_day, labels.excel_date),
            (c.last_day, labels.excel_date),
            (c.days, "0"),
            (gettext_in(lang, CHANGES[c.change]), None),
            (
                c.changed_at.astimezone(tz).replace(tzinfo=None, microsecond=0),
                labels.excel_datetime,
            ),
            (cell_text(text(by or "")), None),
            (cell_text(text(e.reason)), None),
        ]
        for col, (value, fmt) in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if fmt:
                cell.number_format = fmt
    for col, width in enumerate((12, 18, 10, 16, 18, 12, 12, 10, 22, 18, 24, 50), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
