"""Varied, deterministic transaction histories for report tests: each obligation of the
registry behaves differently (steady, gappy, failing, silent, late, connected mid-period…),
so every status and every day state shows up."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from registry import Registry, is_working_day
from registry.calendar import days
from store import Transaction

PATTERNS = (
    "steady",
    "gappy",
    "connect_mid",
    "week_off",
    "failing",
    "silent",
    "sparse",
    "mostly",
    "connect_never",
    "connect_before",
    "late_start",
    "midnight",
)


def _at(day: date, hour: int, minute: int, tz: ZoneInfo, micro: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, 0, micro), tzinfo=tz)


def varied_transactions(registry: Registry, first: date, last: date) -> list[Transaction]:
    """Every obligation's records over [first, last], by a pattern chosen by its position."""
    tz = registry.tz
    found: list[Transaction] = []
    for i, o in enumerate(registry.obligations):
        pattern = PATTERNS[i % len(PATTERNS)]
        rng = random.Random(f"{o.department}/{o.system}")

        def add(
            at: datetime, ok: bool = True, dept: str = o.department, sys: str = o.system
        ) -> None:
            found.append(
                Transaction(
                    department=dept,
                    system=sys,
                    ts=at,
                    success=ok,
                    source="import",
                    record_id=f"{sys}-{len(found)}",
                )
            )

        if pattern == "connect_before":
            add(_at(first - timedelta(days=40), 10, 0, tz))
        for n, day in enumerate(days(first, last)):
            working = is_working_day(day, registry.calendar)
            if pattern == "steady":
                for h in (8, 11, 15):
                    add(_at(day, h, rng.randrange(60), tz, rng.randrange(10**6)))
                add(_at(day, 16, 30, tz), ok=False)
            elif pattern == "gappy":
                if working and rng.random() < 0.75:
                    add(_at(day, 9, rng.randrange(60), tz, rng.randrange(10**6)))
                if rng.random() < 0.4:
                    add(_at(day, 14, 5, tz), ok=False)
            elif pattern == "connect_mid":
                if day >= first + timedelta(days=14):
                    add(_at(day, 10, 0, tz))
                else:
                    add(_at(day, 10, 0, tz), ok=False)
            elif pattern == "week_off":
                if working and not 7 <= day.day <= 13:
                    add(_at(day, 8, 45, tz))
                    add(_at(day, 13, 15, tz))
            elif pattern == "failing":
                if working:
                    add(_at(day, 9, 0, tz), ok=False)
                    add(_at(day, 9, 5, tz), ok=False)
            elif pattern == "sparse":
                if n % 5 == 0:
                    add(_at(day, 7, 30, tz))
            elif pattern == "mostly":
                if working and n % 17 != 3:
                    add(_at(day, 10, rng.randrange(60), tz))
            elif pattern == "connect_never":
                if n % 3 == 0:
                    add(_at(day, 11, 0, tz), ok=False)
            elif pattern == "late_start":
                if day >= first + timedelta(days=20) and working:
                    add(_at(day, 9, 30, tz))
            elif pattern == "midnight":
                # The last microsecond of one local day and the first of the next.
                add(_at(day, 23, 59, tz, 999_999).replace(second=59))
                add(_at(day, 0, 0, tz))
            # "silent": nothing at all
    return found
