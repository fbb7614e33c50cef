"""The report for scripts: JSON and CSV, with exactly the contract's fields.

A month is the contract's object (and CSV) unchanged. A quarter is an object with the
quarter's own `rows` (same fields) and `months`, each one the monthly object exactly as
`--month` writes it; its CSV has the contract's columns after a first `period` column
(`2026-07`, `2026-08`, `2026-09`, then `2026Q3` for the quarter as a whole). One
department's pack adds `"department": {"code", "name"}` and keeps only its rows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

import orjson

from compliance.platforms import joined
from compliance.quarterly import QuarterReport
from compliance.report import Report
from compliance.rules import ComplianceRow
from registry import Department
from reports.calendar_note import report_calendar
from reports.cells import cell_text
from reports.words import Lang

FIELDS = (
    "department",
    "department_name",
    "system",
    "system_name",
    "owner",
    "kind",
    "basis",
    "required_days",
    "met_days",
    "ratio",
    "successes",
    "failures",
    "first_success",
    "last_success",
    "status",
    # contract 1.1
    "excused_days",
    "probe_only_days",
    # contract 1.2
    "platforms",
)


def _time(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _row_fields(row: ComplianceRow) -> dict[str, Any]:
    """The row's contract fields, its first and last success still datetimes."""
    return {
        "department": row.department,
        "department_name": row.department_name,
        "system": row.system,
        "system_name": row.system_name,
        "owner": row.owner,
        "kind": row.kind,
        "basis": row.basis,
        "required_days": row.required_days,
        "met_days": row.met_days,
        "ratio": float(row.ratio) if row.ratio is not None else None,
        "successes": row.successes,
        "failures": row.failures,
        "first_success": row.first_success,
        "last_success": row.last_success,
        "status": row.status,
        "excused_days": row.excused_days,
        "probe_only_days": row.probe_only_days,
        # Most rows name no platform: no sorting of nothing, twice, 30,000 times.
        "platforms": joined(row.platforms) if row.platform_successes else "",
    }


def row_as_dict(row: ComplianceRow) -> dict[str, Any]:
    found = _row_fields(row)
    found["first_success"] = _time(row.first_success)
    found["last_success"] = _time(row.last_success)
    return found


# How a report's rows become dicts: row_as_dict for readers of the dict, _row_fields for
# orjson, which writes an aware datetime exactly as isoformat() does, five times faster
# (60,000 of them were a third of writing a 30,000-row report's JSON). Only an offset
# with seconds (local mean time, before 1912 in Vietnam) it rounds to the minute.
RowFields = Callable[[ComplianceRow], dict[str, Any]]


def _department(d: Department) -> dict[str, str]:
    return {"code": d.code, "name": d.name}


def report_as_dict(report: Report, fields: RowFields = row_as_dict) -> dict[str, Any]:
    found: dict[str, Any] = {
        "province": {"code": report.province.code, "name": report.province.name},
        "month": str(report.month),
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
    }
    if report.department is not None:
        found["department"] = _department(report.department)
    found["calendar"] = report_calendar(report).as_dict()
    found["rows"] = [fields(r) for r in report.rows]
    return found


def quarter_as_dict(report: QuarterReport, fields: RowFields = row_as_dict) -> dict[str, Any]:
    found: dict[str, Any] = {
        "province": {"code": report.province.code, "name": report.province.name},
        "quarter": str(report.quarter),
        "first": report.quarter.first.isoformat(),
        "last": report.quarter.last.isoformat(),
        "deadline": report.quarter.deadline.isoformat(),
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
    }
    if report.department is not None:
        found["department"] = _department(report.department)
    found["calendar"] = report_calendar(report).as_dict()
    found["rows"] = [fields(r) for r in report.rows]
    found["months"] = [report_as_dict(m, fields) for m in report.months]
    return found


def as_dict(report: Report | QuarterReport, fields: RowFields = row_as_dict) -> dict[str, Any]:
    if isinstance(report, QuarterReport):
        return quarter_as_dict(report, fields)
    return report_as_dict(report, fields)


def report_json(report: Report | QuarterReport) -> str:
    """The report as JSON text, exactly as `json.dumps(…, ensure_ascii=False, indent=2)`
    writes it, with a final newline."""
    # orjson writes the same text (its floats differ only below 1e-4, which no ratio
    # rounded to 4 places is) in 0.02 s for 30,000 rows; with `indent` the json module
    # falls back to its pure-Python encoder (0.4 s).
    return orjson.dumps(
        as_dict(report, _row_fields), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    ).decode()


def write_json(report: Report | QuarterReport, out: IO[str]) -> None:
    out.write(report_json(report))


# What Excel expects of a CSV file opened by double-click in a locale: its list separator
# and decimal mark (Vietnamese Windows: `;` and `,`, as in much of Europe).
EXCEL_LOCALES: dict[Lang, tuple[str, str]] = {"vi": (";", ","), "en": (",", ".")}


# The CSV's cells a person wrote (the registry's names and words): shown literally by a
# spreadsheet, never as a formula. Codes, numbers and statuses are written as they are.
WRITTEN_FIELDS = ("department_name", "system_name", "owner", "basis")


def _csv_values(row: ComplianceRow, decimal: str = ".") -> dict[str, Any]:
    values = {k: ("" if v is None else v) for k, v in row_as_dict(row).items()}
    for field in WRITTEN_FIELDS:
        values[field] = cell_text(values[field])
    if decimal != "." and isinstance(values["ratio"], float):
        values["ratio"] = str(values["ratio"]).replace(".", decimal)
    return values


def write_csv(report: Report | QuarterReport, out: IO[str], excel: Lang | None = None) -> None:
    """The contract's CSV; with `excel`, for Excel in that language's locale instead: a BOM
    (else Excel reads UTF-8 as the locale's code page and garbles Vietnamese), the locale's
    separator and decimal mark, CRLF line ends."""
    separator, decimal, end = ",", ".", "\n"
    if excel is not None:
        (separator, decimal), end = EXCEL_LOCALES[excel], "\r\n"
        out.write("\ufeff")
    if not isinstance(report, QuarterReport):
        writer = csv.DictWriter(out, fieldnames=FIELDS, delimiter=separator, lineterminator=end)
        writer.writeheader()
        for row in report.rows:
            writer.writerow(_csv_values(row, decimal))
        return
    writer = csv.DictWriter(
        out, fieldnames=("period", *FIELDS), delimiter=separator, lineterminator=end
    )
    writer.writeheader()
    for month in report.months:
        for row in month.rows:
            writer.writerow({"period": str(month.month), **_csv_values(row, decimal)})
    for row in report.rows:
        writer.writerow({"period": str(report.quarter), **_csv_values(row, decimal)})
