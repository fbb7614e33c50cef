"""What the people's formats show of contract 1.1: each excusal behind a row's excused days,
and the sources that count. One list for the XLSX sheet and the PDF section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from compliance.rules import DayState
from i18n import N_, Lang, gettext_in
from registry import Obligation
from registry.model import ALL_SOURCES
from reports.filing import Filing
from store.excusals import Excusal

SOURCE_WORDS: dict[str, str] = {
    "probe": N_("probes"),
    "push": N_("the push interface"),
    "gateway": N_("gateways (LGSP, X-Road)"),
    "import": N_("file imports"),
}


@dataclass(frozen=True)
class ExcusalLine:
    """One excusal of one obligation's row: the days it excused there, and its authors."""

    department: str
    department_name: str
    system: str
    system_name: str
    excusal: Excusal
    excused_days: int  # of this row's days, those this excusal excused

    @property
    def approved_at(self) -> datetime | None:
        return self.excusal.decided_at


def excusal_lines(filing: Filing) -> list[ExcusalLine]:
    """Every (row, excusal) pair of the filing's period, in row order."""
    found = []
    for line in filing.lines:
        row = line.row
        excused = [d for d, state in row.days if state == DayState.EXCUSED]
        for e in row.excusals:
            found.append(
                ExcusalLine(
                    department=row.department,
                    department_name=row.department_name,
                    system=row.system,
                    system_name=row.system_name,
                    excusal=e,
                    excused_days=sum(e.first_day <= d <= e.last_day for d in excused),
                )
            )
    return found


def sorted_sources(filing: Filing, obligation: Obligation) -> tuple[str, ...]:
    """The obligation's sources that count, in the contract's order."""
    evidence = filing.registry.evidence_for(obligation)
    return tuple(s for s in ALL_SOURCES if s in evidence)


def sources_text(sources: tuple[str, ...], lang: Lang) -> str:
    return ", ".join(gettext_in(lang, SOURCE_WORDS[s]) for s in sources)
