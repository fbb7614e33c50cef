"""Corrections: an excusal approved (or withdrawn) after a period was filed changes that
period's figures. The files sent are never written again; the next filing shows the
change as a correction instead, once.

Pure: the manifest's records of what was filed, the excusals, and the period being
filed now go in; the corrections to show come out. The manifest then records which
changes the new filing showed (`ExportRecord.corrections`), so none is shown twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from compliance.periods import PeriodError, parse_period
from reports.manifest import ExportRecord
from store.excusals import Excusal, ExcusalState


@dataclass(frozen=True)
class Correction:
    """One excusal's change to one period already filed."""

    period: str  # the filed period's key (2026-09, 2026Q3)
    filed_at: datetime
    excusal: Excusal
    change: str  # "approved" (days now excused) or "withdrawn" (days excused no more)
    changed_at: datetime
    first_day: date  # the excusal's days within the filed period
    last_day: date

    @property
    def key(self) -> str:
        """What the manifest keeps of it: the excusal and its change, once shown."""
        return f"{self.excusal.id}:{self.change}"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _changes(e: Excusal) -> list[tuple[str, datetime]]:
    found = []
    if e.state in (ExcusalState.APPROVED, ExcusalState.WITHDRAWN) and e.decided_at is not None:
        found.append(("approved", e.decided_at))
    if e.state == ExcusalState.WITHDRAWN and e.withdrawn_at is not None:
        found.append(("withdrawn", e.withdrawn_at))
    return found


def corrections(
    records: Mapping[str, ExportRecord], excusals: Iterable[Excusal], filing: str
) -> tuple[Correction, ...]:
    """The changes made after each filed period was written, not shown by a filing yet
    (`filing`, the period being filed now, corrects the others only)."""
    shown = {key for r in records.values() for key in r.corrections}
    filed = []
    for key, record in records.items():
        if key == filing:
            continue
        try:
            period = parse_period(key)
        except PeriodError:
            continue  # not a period this version files
        filed.append((key, period, datetime.fromisoformat(record.written_at)))
    found = []
    for e in excusals:
        for change, at in _changes(e):
            for key, period, written in filed:
                first, last = max(e.first_day, period.first), min(e.last_day, period.last)
                if first > last or at <= written:
                    continue
                c = Correction(key, written, e, change, at, first, last)
                if c.key not in shown:
                    found.append(c)
    return tuple(sorted(found, key=lambda c: (c.period, c.changed_at, c.excusal.id)))
