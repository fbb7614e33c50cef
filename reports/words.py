"""Words and number formats of the people's formats (XLSX, PDF, DOCX), in Vietnamese or English.

Codes (department, system, status in JSON/CSV) stay ASCII; what a person reads is an English
msgid translated through the gettext catalogs (i18n/locale/vi/LC_MESSAGES/reports.po), the
states' names and colours from the one glossary (i18n/glossary.py). A report is handed its
language, so every lookup here names it (`gettext_in`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from compliance.periods import Period
from compliance.rules import DayState
from i18n import LANGS, N_, Lang, gettext_in
from i18n.glossary import DAY_STATES, STATUSES

__all__ = ["COLUMNS", "KINDS", "LANGS", "RULES", "Labels", "Lang", "Phrases", "text"]

COLUMNS: dict[str, str] = {
    "period": N_("Period"),
    "department": N_("Department code"),
    "department_name": N_("Department"),
    "system": N_("System code"),
    "system_name": N_("National system"),
    "owner": N_("Owner"),
    "kind": N_("Kind of duty"),
    "basis": N_("Basis (clause)"),
    "required_days": N_("Required days"),
    "met_days": N_("Met days"),
    "ratio": N_("Ratio"),
    "successes": N_("Successes"),
    "failures": N_("Failures"),
    "first_success": N_("First success"),
    "last_success": N_("Last success"),
    "status": N_("Status"),
    "excused_days": N_("Excused days"),
    "probe_only_days": N_("Days met only by probes"),
    # Contract 1.2.
    "platforms": N_("Platforms that carried the successes"),
    "required_platform": N_("Platform required by law"),
}

KINDS: dict[str, str] = {
    "maintain": N_("Maintain transactions"),
    "connect": N_("Establish the connection"),
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


# Each msgid is formatted after translation with n, year, roman and month_name.
PERIOD_NAMES: dict[str, str] = {
    "month": N_("{month_name} {year}"),  # vi: "Tháng {n} năm {year}"
    "quarter": N_("Q{n} {year}"),  # vi: "Quý {roman} năm {year}"
}
PERIOD_SHORT_NAMES: dict[str, str] = {
    "month": N_("{month_name:.3} {year}"),  # vi: "T{n}/{year}"
    "quarter": N_("Q{n}"),  # vi: "Quý {roman}"
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
class Phrases:
    """A table of msgids by key, read in one language: `words["title"]`."""

    table: Mapping[str, str]
    lang: Lang

    def __getitem__(self, key: str) -> str:
        return gettext_in(self.lang, self.table[key])


@dataclass(frozen=True)
class Labels:
    lang: Lang

    def __call__(self, message: str) -> str:
        """`message` (a msgid) in this language."""
        return gettext_in(self.lang, message)

    def column(self, field: str) -> str:
        return self(COLUMNS[field])

    def status(self, code: str) -> str:
        return self(STATUSES[code].name)

    def kind(self, code: str) -> str:
        return self(KINDS[code])

    def day_state(self, state: DayState | str) -> str:
        return self(DAY_STATES[str(state)].name)

    def period(self, period: Period) -> str:
        """'Tháng 10 năm 2026', 'Quý III năm 2026' / 'October 2026', 'Q3 2026'."""
        return self(PERIOD_NAMES[period.kind]).format(**_period_fields(period))

    def period_short(self, period: Period) -> str:
        """'T10/2026', 'Quý III' / 'Oct 2026', 'Q3'; for table cells and sheet names."""
        return self(PERIOD_SHORT_NAMES[period.kind]).format(**_period_fields(period))

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

    def rules(self, quarter: bool) -> list[str]:
        """How the figures are computed, one sentence a rule (the quarter's last)."""
        return [self(rule) for rule in (RULES if quarter else RULES[:-1])]

    # Excel number formats: Excel shows them with the reader's own separators.
    @property
    def excel_date(self) -> str:
        return "dd/mm/yyyy" if self.lang == "vi" else "yyyy-mm-dd"

    @property
    def excel_datetime(self) -> str:
        return "dd/mm/yyyy hh:mm:ss" if self.lang == "vi" else "yyyy-mm-dd hh:mm:ss"


RULES: tuple[str, ...] = (
    N_(
        "Working day: Monday to Friday, less Vietnam's public holidays, compensatory and"
        " swapped days off under the Labour Code and the annual notices, plus the Saturdays"
        " those notices make working days, with the registry's calendar overrides."
    ),
    N_(
        "Required day: a working day of the period, within the duty's dates (from its start,"
        " before its end), not after the as-of day."
    ),
    N_(
        "Met day: a required day with at least the duty's minimum number of successful"
        " transactions, in local time."
    ),
    N_("Ratio = met days / required days, rounded to 4 decimals."),
    N_(
        "Successes, failures: every transaction of the period (weekends and holidays included)"
        " within the duty's dates, up to the end of the as-of day."
    ),
    N_(
        "Status of a duty to maintain transactions: not applicable without a required day;"
        " compliant when the ratio reaches the target; partial when there was a success;"
        " non-compliant otherwise."
    ),
    N_(
        "Status of a duty to connect: connected when a success exists by the end of the period"
        " (and of the as-of day); not connected otherwise."
    ),
    N_(
        "Sources that count: only those the registry allows (by default all four: probes,"
        " the push interface, gateways (LGSP, X-Road), file imports); transactions of other"
        " sources are stored but enter no figure. Days met only by probes: met days that would"
        " not be met without the monitor's own probe calls."
    ),
    N_(
        "Excused day: a required day, not met, covered by an approved excusal of the system (and"
        " of the department, if the excusal names one). It is left out of the required days; a"
        " met day is never excused, so an excusal never lowers a ratio. Proposed, rejected or"
        " withdrawn excusals change no figure."
    ),
    N_(
        "Quarter figures: required days, met days, successes and failures, excused days and days"
        " met only by probes of the three months added up; the ratio and status recomputed from"
        " those sums by the same rules."
    ),
)
