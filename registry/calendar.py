"""Working days: Vietnam's official public-sector calendar (shipped as data, official-calendar.yml),
plus the registry's overrides.

A year the data lists is official: each day differing from "Monday–Friday less the Labour
Code's fixed-date holidays" is there with the act that decided it. Any other year is computed
from the law alone (Tết and Giỗ Tổ from the verified lunar table in the same file) and is
provisional. No figure depends on a third-party package's release.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from registry.model import Calendar

DATA = Path(__file__).parent / "official-calendar.yml"

Kind = Literal[
    "fixed", "tet", "holiday", "compensatory", "adjacent", "swapped_off", "make_up", "override"
]
KINDS: tuple[Kind, ...] = (
    "fixed",
    "tet",
    "holiday",
    "compensatory",
    "adjacent",
    "swapped_off",
    "make_up",
    "override",
)


@dataclass(frozen=True)
class Source:
    """The act or notice that decided a day."""

    key: str
    number: str | None
    date: date | None
    issuer: str
    title: str
    note: str | None = None

    def cite(self) -> str:
        """One line for people: number, date, issuer (what is unknown said so)."""
        number = self.number or "?"
        when = self.date.strftime("%d/%m/%Y") if self.date else "?"
        return f"{number} ({when}, {self.issuer})"


@dataclass(frozen=True)
class Day:
    """A day that differs from "Monday–Friday less the fixed-date holidays"."""

    day: date
    kind: Kind
    name: str
    source: Source | None  # None: a registry override (the province's own decision)
    provisional: bool = False  # computed from the law, no notice yet
    working: bool = False  # a make-up Saturday or a registry's extra working day


@dataclass(frozen=True)
class _Data:
    fixed: dict[tuple[int, int], str]
    annual: tuple[tuple[tuple[int, int], str, int, Source], ...]  # (month, day), name, since
    lunar: dict[int, tuple[date, date]]  # year: (mùng 1 Tết, Giỗ Tổ)
    sources: dict[str, Source]
    years: dict[int, tuple[Day, ...]]


class CalendarDataError(ValueError):
    """The shipped calendar data is wrong (a test keeps this from ever reaching a user)."""


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def parse(doc: dict[str, Any]) -> _Data:
    """The calendar data from its YAML document (refused when an entry lacks a source)."""
    sources: dict[str, Source] = {}
    for key, s in (doc.get("sources") or {}).items():
        if not s.get("issuer") or not s.get("title"):
            raise CalendarDataError(f"source {key}: an issuer and a title are required")
        if (s.get("number") is None or s.get("date") is None) and not s.get("note"):
            raise CalendarDataError(f"source {key}: without a number or a date, say why in a note")
        sources[key] = Source(
            key, s.get("number"), s.get("date"), s["issuer"], s["title"], s.get("note")
        )

    def source(key: object, where: str) -> Source:
        if not isinstance(key, str) or key not in sources:
            raise CalendarDataError(f"{where}: every entry needs a source listed under `sources`")
        return sources[key]

    fixed = {_month_day(h["day"]): h["name"] for h in doc.get("fixed_holidays") or ()}
    annual = tuple(
        (_month_day(h["day"]), h["name"], int(h["since"]), source(h.get("source"), h["day"]))
        for h in doc.get("annual_holidays") or ()
    )
    lunar = {int(y): (v["tet"], v["gio_to"]) for y, v in (doc.get("lunar") or {}).items()}
    years: dict[int, tuple[Day, ...]] = {}
    for y, body in (doc.get("years") or {}).items():
        found: list[Day] = []
        for entry in body.get("days") or ():
            d = entry.get("date")
            if not isinstance(d, date) or d.year != int(y):
                raise CalendarDataError(f"year {y}: {d!r} is not a date of that year")
            if entry.get("kind") not in KINDS[1:-1]:
                raise CalendarDataError(f"{d}: kind must be one of {', '.join(KINDS[1:-1])}")
            kind = entry["kind"]
            cited = source(entry.get("source"), str(d))
            found.append(Day(d, kind, entry["name"], cited, working=kind == "make_up"))
        years[int(y)] = tuple(sorted(found, key=lambda x: x.day))
    return _Data(fixed, annual, lunar, sources, years)


@cache
def _data() -> _Data:
    return parse(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def official_years() -> tuple[int, ...]:
    """The years whose every difference comes from an act or notice."""
    return tuple(sorted(_data().years))


def is_official(year: int) -> bool:
    return year in _data().years


def fixed_holiday(day: date) -> str | None:
    """The name of the Labour Code's fixed-date holiday on `day`, if it is one."""
    return _data().fixed.get((day.month, day.day))


def _next_workday(day: date, taken: set[date]) -> date:
    d = day + timedelta(days=1)
    while d.weekday() >= 5 or d in taken:
        d += timedelta(days=1)
    return d


def _provisional(year: int) -> tuple[Day, ...]:
    """A year without a notice, from the law alone: Tết (the last day of the lunar year and
    the first four of the new one), Giỗ Tổ, the day next to 2/9 and the new yearly holidays,
    each falling on a weekend made up on the next working day (Labour Code art. 111(3))."""
    data = _data()
    if year not in data.lunar:
        raise CalendarDataError(f"no lunar dates for {year} in {DATA.name}")
    law = data.sources["blld-2019"]
    tet, gio_to = data.lunar[year]
    # What the law gives, weekends included: (day, kind, name, source).
    given: list[tuple[date, Kind, str, Source]] = [
        (tet + timedelta(days=n), "tet", "Tết Nguyên đán", law) for n in range(-1, 4)
    ]
    given.append((gio_to, "holiday", "Giỗ Tổ Hùng Vương (10/3 âm lịch)", law))
    sep2 = date(year, 9, 2)
    # The day next to 2/9 as the notices of 2021–2026 chose it: the side that joins a weekend.
    side = {0: 1, 1: -1, 2: -1, 3: 1, 4: -1, 5: -1, 6: 1}[sep2.weekday()]
    given.append((sep2 + timedelta(days=side), "adjacent", "Quốc khánh (ngày liền kề)", law))
    for (month, mday), name, since, source in data.annual:
        if year >= since:
            given.append((date(year, month, mday), "holiday", name, source))
    fixed = [(date(year, month, mday), name) for (month, mday), name in data.fixed.items()]
    off = {d for d, *_ in given} | {d for d, _ in fixed}
    found = [Day(d, k, n, s, provisional=True) for d, k, n, s in given if d.weekday() < 5]
    weekend = [(d, n) for d, _, n, _ in given if d.weekday() >= 5]
    weekend += [(d, n) for d, n in fixed if d.weekday() >= 5]
    for d, name in sorted(weekend):
        made_up = _next_workday(d, off)
        off.add(made_up)
        found.append(Day(made_up, "compensatory", f"Nghỉ bù {name}", law, provisional=True))
    return tuple(sorted((x for x in found if x.day.year == year), key=lambda x: x.day))


@lru_cache(maxsize=128)
def differences(year: int) -> dict[date, Day]:
    """The year's days that differ from "Monday–Friday less the fixed-date holidays"."""
    listed = _data().years.get(year)
    days = listed if listed is not None else _provisional(year)
    return {d.day: d for d in days}


def official_working_day(day: date) -> bool:
    """Whether the official calendar (no registry override) makes `day` a working day."""
    found = differences(day.year).get(day)
    if found is not None:
        return found.working
    return day.weekday() < 5 and (day.month, day.day) not in _data().fixed


def is_working_day(day: date, calendar: Calendar) -> bool:
    """Whether a day is a working day under the official calendar and the registry's overrides."""
    if day in calendar.extra_working_days:
        return True
    if day in calendar.extra_holidays:
        return False
    return official_working_day(day)


@lru_cache(maxsize=64)
def working_days(first: date, last: date, calendar: Calendar) -> tuple[date, ...]:
    """The working days in [first, last] (cached: figures ask for every obligation in turn)."""
    return tuple(d for d in days(first, last) if is_working_day(d, calendar))


def days(first: date, last: date) -> Iterator[date]:
    """Every day in [first, last]."""
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def public_holidays(first: date, last: date) -> list[tuple[date, str]]:
    """The days off in [first, last] the official calendar gives: fixed-date holidays and
    every day off it lists or computes (weekends not included)."""
    found: list[tuple[date, str]] = []
    for d in days(first, last):
        listed = differences(d.year).get(d)
        if listed is not None and not listed.working:
            found.append((d, listed.name))
        elif listed is None and (name := fixed_holiday(d)) is not None:
            found.append((d, name))
    return found


def official_days(first: date, last: date) -> list[tuple[date, str]]:
    """The official calendar's days in [first, last] that are not plain working days or
    weekends, with their names: holidays, days off and the Saturdays worked."""
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        found.extend((d.day, d.name) for d in year_days(year) if first <= d.day <= last)
    return found


NO_OVERRIDES = Calendar()


def year_days(year: int, calendar: Calendar = NO_OVERRIDES) -> list[Day]:
    """What `calendar show` lists: the year's differences, then the fixed-date holidays on a
    weekday, and the registry's overrides (kind `override`, no source), by date."""
    listed = dict(differences(year))
    law = _data().sources["blld-2019"]
    for (month, mday), name in _data().fixed.items():
        day = date(year, month, mday)
        if day not in listed:
            listed[day] = Day(day, "fixed", name, law, provisional=not is_official(year))
    for d in (*calendar.extra_holidays, *calendar.extra_working_days):
        if d.year == year:
            working = d in calendar.extra_working_days
            name = "extra_working_days" if working else "extra_holidays"
            listed[d] = Day(d, "override", name, None, working=working)
    return sorted(listed.values(), key=lambda x: x.day)


@dataclass(frozen=True)
class CalendarNote:
    """Which calendar a report's figures used: official for every year the period touches,
    or provisional for some (no notice yet: computed from the law)."""

    official: bool
    years: tuple[int, ...]
    provisional_years: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "official": self.official,
            "years": list(self.years),
            "provisional_years": list(self.provisional_years),
        }


def calendar_note(first: date, last: date) -> CalendarNote:
    """The calendar a report of the period [first, last] is computed with."""
    years = tuple(range(first.year, last.year + 1))
    provisional = tuple(y for y in years if not is_official(y))
    return CalendarNote(not provisional, years, provisional)
