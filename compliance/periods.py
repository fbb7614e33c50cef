"""Reporting periods: calendar months (YYYY-MM) and quarters (YYYYQn)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import ClassVar, Literal

from i18n import _

PeriodKind = Literal["month", "quarter"]


class PeriodError(ValueError):
    """A period or date given on the command line that cannot be read."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    kind: ClassVar[PeriodKind] = "month"
    deadline: ClassVar[date | None] = None  # a month's export has no reporting deadline

    @classmethod
    def parse(cls, text: str) -> Month:
        m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise PeriodError(_("month {text!r} is not YYYY-MM").format(text=text))
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    # Cached: a report asks for them once per row (`calendar.monthrange` 30,000 times).
    @cached_property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def number(self) -> int:
        """The month's number in its year (a quarter's `number` is its own)."""
        return self.month

    @property
    def due_day(self) -> date:
        """The day the month's export is written: the day after it ends."""
        return self.last + timedelta(days=1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# Seed 004, Art. 10: members report "trước ngày 25 của tháng cuối Quý" (before the 25th
# of the quarter's last month). "Before the 25th" excludes the 25th: the 24th is the
# last day a member's report can arrive, so it is the quarter's deadline day.
DEADLINE_DAY_OF_MONTH = 24


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    kind: ClassVar[PeriodKind] = "quarter"

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text.strip())
        if not m:
            raise PeriodError(_("quarter {text!r} is not YYYYQn (e.g. 2026Q3)").format(text=text))
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def months(self) -> tuple[Month, Month, Month]:
        start = 3 * (self.number - 1) + 1
        return (
            Month(self.year, start),
            Month(self.year, start + 1),
            Month(self.year, start + 2),
        )

    @property
    def first(self) -> date:
        return self.months[0].first

    @property
    def last(self) -> date:
        return self.months[-1].last

    @property
    def deadline(self) -> date:
        """The last day members may send their quarterly report (seed 004, Art. 10)."""
        last_month = self.months[-1]
        return date(last_month.year, last_month.month, DEADLINE_DAY_OF_MONTH)

    @property
    def due_day(self) -> date:
        """The day the quarter's export is written: its reporting deadline."""
        return self.deadline

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.number}"


Period = Month | Quarter


def parse_period(text: str) -> Period:
    """A month (YYYY-MM) or a quarter (YYYYQn)."""
    return Quarter.parse(text) if "q" in text.lower() else Month.parse(text)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(_("date {text!r} is not YYYY-MM-DD").format(text=text)) from None
