"""One department's pack: a report cut down to that department's obligations, to send to it."""

from __future__ import annotations

from dataclasses import replace
from typing import overload

from compliance.quarterly import QuarterReport
from compliance.report import Report
from i18n import _
from registry import Department, Registry


class UnknownDepartment(ValueError):
    """A department code the registry does not know."""


def pack_department(registry: Registry, code: str) -> Department:
    """The department a pack is for; one line naming the known codes if there is none."""
    if not registry.has_department(code):
        known = ", ".join(d.code for d in registry.departments)
        raise UnknownDepartment(
            _("unknown department {code!r} (known: {known})").format(code=code, known=known)
        )
    return registry.department(code)


@overload
def department_pack(report: Report, registry: Registry, code: str) -> Report: ...
@overload
def department_pack(report: QuarterReport, registry: Registry, code: str) -> QuarterReport: ...
def department_pack(
    report: Report | QuarterReport, registry: Registry, code: str
) -> Report | QuarterReport:
    """The same report for the department `code` alone (its figures unchanged)."""
    department = pack_department(registry, code)
    keep = [i for i, r in enumerate(report.rows) if r.department == code]
    rows = tuple(report.rows[i] for i in keep)
    if isinstance(report, QuarterReport):
        m1, m2, m3 = (department_pack(m, registry, code) for m in report.months)
        return replace(
            report,
            rows=rows,
            row_months=tuple(report.row_months[i] for i in keep),
            months=(m1, m2, m3),
            department=department,
        )
    return replace(report, rows=rows, department=department)
