"""Which calendar a report's working days come from, said on the report itself: the one
function every format (JSON, XLSX, PDF, DOCX) asks (contract 1.2, "The official calendar")."""

from __future__ import annotations

from compliance.quarterly import QuarterReport
from compliance.report import Report
from i18n import Lang, gettext_in
from registry import Registry
from registry.calendar import CalendarNote, calendar_note


def report_calendar(report: Report | QuarterReport) -> CalendarNote:
    """Official for every year the report's period touches, or provisional for some."""
    return calendar_note(report.period.first, report.period.last)


def calendar_sentence(report: Report | QuarterReport, registry: Registry, lang: Lang) -> str:
    """The calendar note for people, in `lang`: official or provisional (which years), and
    the registry's own days off or working days in the period (the province's decisions)."""
    note = report_calendar(report)
    years = ", ".join(str(y) for y in note.years)
    if note.official:
        text = gettext_in(
            lang,
            "Working days: Vietnam's official public-sector calendar for {years}, as the"
            " Government's notices set it (shown by `lienthong calendar show`).",
        ).format(years=years)
    else:
        provisional = ", ".join(str(y) for y in note.provisional_years)
        text = gettext_in(
            lang,
            "Working days: PROVISIONAL calendar for {years}: no official notice of its days off"
            " has been published yet, so they are computed from the Labour Code; the required"
            " days may change once the Government announces them.",
        ).format(years=provisional)
    first, last = report.period.first, report.period.last
    c = registry.calendar
    off = sorted(d for d in c.extra_holidays if first <= d <= last)
    worked = sorted(d for d in c.extra_working_days if first <= d <= last)
    if off or worked:
        days = [*(f"{d:%d/%m/%Y}" for d in off), *(f"{d:%d/%m/%Y}" for d in worked)]
        text += " " + gettext_in(
            lang,
            "The province's own calendar changes (registry overrides): days off {off};"
            " working days {worked}.",
        ).format(off=", ".join(days[: len(off)]) or "—", worked=", ".join(days[len(off) :]) or "—")
    return text
