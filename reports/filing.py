"""What the people's formats (XLSX, PDF, DOCX) render: a report, with the registry it was computed
under, where it came from, and the reader's language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from compliance.periods import Month, Period
from compliance.quarterly import QuarterReport
from compliance.report import Report
from compliance.rules import ComplianceRow
from registry import Department, Obligation, Registry
from registry.calendar import official_days
from reports.calendar_note import calendar_sentence
from reports.corrections import Correction
from reports.provenance import Provenance
from reports.settings import ReportSettings
from reports.words import Labels, Lang


@dataclass(frozen=True)
class Line:
    """One obligation: the period's figures and, for a quarter, each month's."""

    row: ComplianceRow
    months: tuple[tuple[Month, ComplianceRow], ...] = ()


@dataclass(frozen=True)
class Threshold:
    """What an obligation must reach, and when it holds (its effective dates)."""

    obligation: Obligation
    department_name: str
    system_name: str
    since: date | None
    until: date | None


NO_SETTINGS = ReportSettings()  # no [report] table: blanks for the office to fill in


@dataclass(frozen=True)
class Filing:
    report: Report | QuarterReport
    registry: Registry
    provenance: Provenance
    lang: Lang = "vi"
    document: ReportSettings = NO_SETTINGS  # the config's [report] table
    # Excusals approved or withdrawn since a period before was filed (shown, never rewritten).
    corrections: tuple[Correction, ...] = ()

    @property
    def labels(self) -> Labels:
        return Labels(self.lang)

    @property
    def period(self) -> Period:
        return self.report.period

    @property
    def is_quarter(self) -> bool:
        return self.period.kind == "quarter"

    @property
    def months(self) -> tuple[Report, ...]:
        """The quarter's monthly reports; empty for a month."""
        return self.report.months

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        report = self.report
        if isinstance(report, QuarterReport):
            months = report.quarter.months
            return tuple(
                Line(row, tuple(zip(months, parts, strict=True)))
                for row, parts in zip(report.rows, report.row_months, strict=True)
            )
        return tuple(Line(row) for row in report.rows)

    @cached_property
    def departments(self) -> tuple[tuple[Department, tuple[Line, ...]], ...]:
        """Departments in registry order with their lines; a pack's department even if empty."""
        by_code: dict[str, list[Line]] = {}
        for line in self.lines:
            by_code.setdefault(line.row.department, []).append(line)
        chosen = self.report.department
        return tuple(
            (d, tuple(by_code.get(d.code, ())))
            for d in self.registry.departments
            if d.code in by_code or (chosen is not None and d.code == chosen.code)
        )

    @property
    def holidays(self) -> list[tuple[date, str]]:
        """The official calendar's days in the period (holidays, days off, Saturdays worked),
        with their Vietnamese names."""
        return official_days(self.period.first, self.period.last)

    @property
    def calendar_note(self) -> str:
        """Which calendar the working days come from (official, or provisional for a year
        without a notice), in the filing's language: every format for people says it."""
        return calendar_sentence(self.report, self.registry, self.lang)

    @property
    def overrides(self) -> list[tuple[date, bool]]:
        """The registry's calendar overrides in the period: (day, is_working_day)."""
        first, last = self.period.first, self.period.last
        calendar = self.registry.calendar
        found = [(d, False) for d in calendar.extra_holidays if first <= d <= last]
        found += [(d, True) for d in calendar.extra_working_days if first <= d <= last]
        return sorted(found)

    @property
    def thresholds(self) -> list[Threshold]:
        registry = self.registry
        chosen = self.report.department
        found = []
        for o in registry.obligations_between(self.period.first, self.period.last):
            if chosen is not None and o.department != chosen.code:
                continue
            since, until = registry.window(o)
            found.append(
                Threshold(
                    obligation=o,
                    department_name=registry.department(o.department).name,
                    system_name=registry.system(o.system).name,
                    since=since,
                    until=until,
                )
            )
        return found

    @property
    def standing_department(self) -> Department | None:
        """The standing department in force on the day the report is issued (its heading)."""
        code = self.registry.standing_department_on(self.report.generated_at.date())
        return self.registry.department(code) if code else None


def status_counts(rows: Iterable[ComplianceRow]) -> Counter[str]:
    return Counter(r.status for r in rows)
