"""Working days: Monday–Friday, minus Vietnam's public holidays, plus the registry's overrides."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

import holidays

from registry.model import Calendar


@lru_cache(maxsize=64)
def _vietnam(year: int) -> dict[date, str]:
    # Observed (substitute) days are included by the package; names in Vietnamese for people.
    return dict(holidays.country_holidays("VN", years=year, language="vi").items())


def public_holidays(first: date, last: date) -> list[tuple[date, str]]:
    """Vietnam's public holidays in [first, last], as the `holidays` package lists them."""
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        found.extend((d, n) for d, n in _vietnam(year).items() if first <= d <= last)
    return sorted(found)


def is_working_day(day: date, calendar: Calendar) -> bool:
    """Whether a day is a working day under Vietnam's calendar and the registry's overrides."""
    if day in calendar.extra_working_days:
        return True
    if day in calendar.extra_holidays:
        return False
    return day.weekday() < 5 and day not in _vietnam(day.year)


@lru_cache(maxsize=64)
def working_days(first: date, last: date, calendar: Calendar) -> tuple[date, ...]:
    """The working days in [first, last] (cached: figures ask for every obligation in turn)."""
    return tuple(d for d in days(first, last) if is_working_day(d, calendar))


def days(first: date, last: date) -> Iterator[date]:
    """Every day in [first, last]."""
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def holidays_package_version() -> str:
    return str(getattr(holidays, "__version__", "unknown"))
