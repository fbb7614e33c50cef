"""The report for scripts: JSON and CSV, with exactly the contract's fields."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from exporter.compliance import ComplianceRow
from exporter.report import Report

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
)


def _time(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def row_as_dict(row: ComplianceRow) -> dict[str, Any]:
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
        "first_success": _time(row.first_success),
        "last_success": _time(row.last_success),
        "status": row.status,
    }


def report_as_dict(report: Report) -> dict[str, Any]:
    return {
        "province": {"code": report.province.code, "name": report.province.name},
        "month": str(report.month),
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "rows": [row_as_dict(r) for r in report.rows],
    }


def write_json(report: Report, out: IO[str]) -> None:
    json.dump(report_as_dict(report), out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_csv(report: Report, out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows:
        values = row_as_dict(row)
        writer.writerow({k: ("" if v is None else v) for k, v in values.items()})


def write_text_file(path: Path, write: Any, report: Report) -> None:
    """Write through a temporary file so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.partial")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        write(report, f)
    tmp.replace(path)
