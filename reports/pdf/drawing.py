"""The PDF's own drawings: a month's strip of days and one day's box."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from compliance.periods import Month
from compliance.rules import DayState
from reports.pdf.styles import DAY_INKS, FONT
from reports.words import Labels


class DayStrip(Flowable):
    """An obligation's days as coloured, numbered boxes; a quarter's months side by side.

    Drawn straight on the canvas: a thousand strips of 31 to 92 boxes stay quick.
    """

    GAP = 8.0

    def __init__(self, days: Sequence[tuple[date, DayState]], width: float, labels: Labels) -> None:
        super().__init__()
        self.months: list[list[tuple[date, DayState]]] = []
        for day, state in days:
            if not self.months or self.months[-1][0][0].month != day.month:
                self.months.append([])
            self.months[-1].append((day, state))
        self.labels = labels
        self.width = width
        cells = max(1, sum(len(m) for m in self.months))
        self.size = min(26.0, (width - self.GAP * (len(self.months) - 1)) / cells)
        self.box_h = max(9.0, self.size * 0.6)
        self.labelled = len(self.months) > 1
        self.height = self.box_h + (8 if self.labelled else 0)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        size, box_h = self.size, self.box_h
        font_size = max(4.0, min(6.5, size * 0.55))
        # Boxes of one state are one path and their numbers one text object: a strip costs
        # a handful of PDF operators whatever its length.
        by_state: dict[DayState, list[tuple[float, str]]] = {}
        x = 0.0
        for days in self.months:
            if self.labelled:
                canvas.setFillColor(colors.black)
                canvas.setFont(FONT, 6.5)
                canvas.drawString(
                    x, self.height - 6.5, self.labels.period_short(Month.of(days[0][0]))
                )
            for day, state in days:
                by_state.setdefault(state, []).append((x, str(day.day)))
                x += size
            x += self.GAP
        canvas.setLineWidth(0.5)
        baseline = box_h / 2 - font_size * 0.35
        for state, boxes in by_state.items():
            fill, stroke, ink = DAY_INKS[state]
            path = canvas.beginPath()
            for left, _ in boxes:
                path.rect(left + 0.4, 0, size - 0.8, box_h)
            canvas.setFillColor(fill)
            canvas.setStrokeColor(stroke)
            canvas.drawPath(path, stroke=1, fill=1)
            numbers = canvas.beginText()
            numbers.setFont(FONT, font_size)
            numbers.setFillColor(ink)
            for left, label in boxes:
                width = _number_width(label, font_size)
                numbers.setTextOrigin(left + (size - width) / 2, baseline)
                numbers.textOut(label)
            canvas.drawText(numbers)


@cache
def _number_width(label: str, size: float) -> float:
    return pdfmetrics.stringWidth(label, FONT, size)


class DayBox(Flowable):
    """One box of the strip, for the legend."""

    def __init__(self, state: DayState) -> None:
        super().__init__()
        self.state = state

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 10, 9

    def draw(self) -> None:
        fill, stroke, _ = DAY_INKS[self.state]
        self.canv.setLineWidth(0.6)
        self.canv.setFillColor(fill)
        self.canv.setStrokeColor(stroke)
        self.canv.rect(0, 0, 10, 9, stroke=1, fill=1)
