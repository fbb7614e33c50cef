"""Proposals from evidence: a national system down for every department on a working day.

When the probes of a system failed for every department that probes it during a
working day's office hours, with no success from any source in those hours,
lienthong proposes a system-wide excusal for that day with what it saw. It only
proposes: a person approves (`lienthong excuse approve`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from i18n import _
from registry import Registry, is_working_day
from store.excusals import ExcusalError, excusals_between, propose_excusal
from store.reading import StoredRecord, records_between
from store.schema import daily_counts

DETECTOR = "lienthong (phát hiện tự động)"


class OfficeHoursError(ValueError):
    """Office hours that cannot be read."""


@dataclass(frozen=True)
class OfficeHours:
    """The local hours in which a national system must answer (end exclusive)."""

    start: time = time(8, 0)
    end: time = time(17, 0)

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text.strip())
        try:
            if m is None:
                raise ValueError
            start = time(int(m.group(1)), int(m.group(2)))
            end = time(int(m.group(3)), int(m.group(4)))
        except ValueError:
            raise OfficeHoursError(
                _("office hours {text!r} are not HH:MM-HH:MM").format(text=text)
            ) from None
        if end <= start:
            raise OfficeHoursError(
                _("office hours {text!r} end before they start").format(text=text)
            )
        return cls(start, end)

    def window(self, registry: Registry, day: date) -> tuple[datetime, datetime]:
        """The office hours of a local day as aware times."""
        tz = registry.tz
        return datetime.combine(day, self.start, tz), datetime.combine(day, self.end, tz)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Outage:
    """What the probes saw of one system on one day: the evidence a proposal carries."""

    system: str
    day: date
    hours: OfficeHours
    failures: int
    first_failure: datetime  # local time
    last_failure: datetime
    departments: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "office_hours": str(self.hours),
            "probe_failures": self.failures,
            "first_failure": self.first_failure.isoformat(),
            "last_failure": self.last_failure.isoformat(),
            "departments": list(self.departments),
            "successes": 0,
        }

    def reason(self) -> str:
        return (
            f"Hệ thống {self.system} không phản hồi trong giờ hành chính ({self.hours}) ngày"
            f" {self.day:%d/%m/%Y}: {self.failures} lần thăm dò lỗi của"
            f" {len(self.departments)} đơn vị, từ {self.first_failure:%H:%M}"
            f" đến {self.last_failure:%H:%M}, không có giao dịch thành công nào."
        )


def probed_departments(registry: Registry, system: str, day: date) -> tuple[str, ...]:
    """The departments whose obligation towards `system`, in force on `day`, has a probe."""
    return tuple(
        sorted(
            {
                o.department
                for o in registry.obligations
                if o.system == system and o.probe is not None and registry.in_force_on(o, day)
            }
        )
    )


def find_outage(
    registry: Registry,
    system: str,
    day: date,
    records: Iterable[StoredRecord],
    hours: OfficeHours = OfficeHours(),
) -> Outage | None:
    """The outage of `system` on `day`, if its records in office hours show one (pure).

    `records` are the system's records of the day (any department, any source).
    """
    if not is_working_day(day, registry.calendar):
        return None
    probed = probed_departments(registry, system, day)
    if not probed:
        return None
    start, end = hours.window(registry, day)
    failed: dict[str, list[datetime]] = {}
    for r in records:
        if r.system != system or not start <= r.ts < end:
            continue
        if r.success:
            return None  # the system answered someone: not an outage of the system
        if r.source == "probe" and r.department in probed:
            failed.setdefault(r.department, []).append(r.ts)
    if set(failed) != set(probed):
        return None
    times = [t for ts in failed.values() for t in ts]
    tz = registry.tz
    return Outage(
        system=system,
        day=day,
        hours=hours,
        failures=len(times),
        first_failure=min(times).astimezone(tz),
        last_failure=max(times).astimezone(tz),
        departments=probed,
    )


def detect_outages(
    engine: Engine,
    registry: Registry,
    first: date,
    last: date,
    hours: OfficeHours = OfficeHours(),
) -> list[Outage]:
    """Every outage in [first, last]. The rollup picks the candidate days (probe failures
    for every probed department); only those days' records are read."""
    c = daily_counts.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.department, c.system, c.day).where(
                c.source == "probe", c.failures > 0, c.day >= first, c.day <= last
            )
        ).all()
        failing: dict[tuple[str, date], set[str]] = {}
        for department, system, day in rows:
            failing.setdefault((system, day), set()).add(department)
        found = []
        for (system_code, day), departments in sorted(failing.items(), key=lambda i: i[0][::-1]):
            probed = probed_departments(registry, system_code, day)
            if not probed or not set(probed) <= departments:
                continue
            start, end = hours.window(registry, day)
            records = records_between(conn, start, end, system=system_code)
            outage = find_outage(registry, system_code, day, records, hours)
            if outage is not None:
                found.append(outage)
    return found


def propose_for_outages(engine: Engine, registry: Registry, outages: Sequence[Outage]) -> list[int]:
    """A proposed system-wide excusal for each outage not already covered by one (in any
    state: a rejected proposal is a person's answer, not asked again). Returns the new ids."""
    created = []
    for outage in outages:
        with engine.connect() as conn:
            existing = excusals_between(conn, outage.day, outage.day)
        if any(e.system == outage.system and e.department is None for e in existing):
            continue
        try:
            created.append(
                propose_excusal(
                    engine,
                    registry,
                    system=outage.system,
                    department=None,
                    first=outage.day,
                    last=outage.day,
                    reason=outage.reason(),
                    by=DETECTOR,
                    origin="detect",
                    evidence=outage.evidence(),
                )
            )
        except ExcusalError:  # a registry changed under us: nothing to propose
            continue
    return created


def yesterday(registry: Registry, now: datetime) -> date:
    return now.astimezone(registry.tz).date() - timedelta(days=1)
