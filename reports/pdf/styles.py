"""The PDF's page, fonts, colours and paragraph styles."""

from __future__ import annotations

from importlib import resources
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from compliance.rules import DayState

FONT, FONT_BOLD = "LienthongSans", "LienthongSans-Bold"
PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN

DAY_COLOURS: dict[DayState, tuple[str, str, str]] = {  # fill, stroke, text
    DayState.MET: ("#4CA464", "#4CA464", "#FFFFFF"),
    # Met, but only by our own probes: a pale green, so a director sees it at a glance.
    DayState.PROBE_ONLY: ("#CDE8D4", "#4CA464", "#2E6B3F"),
    DayState.EXCUSED: ("#F2C94C", "#F2C94C", "#5C4A00"),
    DayState.MISSED: ("#D9534F", "#D9534F", "#FFFFFF"),
    DayState.NOT_REQUIRED: ("#E4E4E4", "#E4E4E4", "#8A8A8A"),
    DayState.AFTER_AS_OF: ("#FFFFFF", "#C8C8C8", "#B0B0B0"),
    DayState.OPEN: ("#FFF8C5", "#C8C8C8", "#7D4E00"),  # the glossary's `open`
}
DAY_INKS = {state: tuple(colors.HexColor(c) for c in inks) for state, inks in DAY_COLOURS.items()}
GRID = colors.HexColor("#A6A6A6")
HEAD_FILL = colors.HexColor("#DDEBF7")


def register_fonts() -> None:
    """Register the bundled fonts with ReportLab, once per process."""
    fonts = resources.files("reports") / "fonts"
    for name, file in (
        (FONT, "DejaVuSansCondensed.ttf"),
        (FONT_BOLD, "DejaVuSansCondensed-Bold.ttf"),
    ):
        with resources.as_file(fonts / file) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _style(name: str, size: float = 8.5, bold: bool = False, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=FONT_BOLD if bold else FONT, fontSize=size, leading=size * 1.22, **kw
    )


BODY = _style("body", 9.5, spaceAfter=3)
SMALL = _style("small", 8, textColor=colors.HexColor("#404040"), spaceAfter=2)
CELL = _style("cell", 8)
CELL_BOLD = _style("cell-bold", 8, bold=True)
CELL_SMALL = _style("cell-small", 6.8, textColor=colors.HexColor("#555555"))
CELL_RIGHT = _style("cell-right", 8, alignment=TA_RIGHT)
CELL_RIGHT_BOLD = _style("cell-right-bold", 8, bold=True, alignment=TA_RIGHT)
CELL_CENTER = _style("cell-center", 8, alignment=TA_CENTER)
HEAD = _style("head", 7.5, bold=True, alignment=TA_CENTER)
CENTER = _style("center", 9.5, alignment=TA_CENTER)
CENTER_BOLD = _style("center-bold", 9.5, bold=True, alignment=TA_CENTER)
TITLE = _style("title", 15, bold=True, alignment=TA_CENTER, spaceBefore=8, spaceAfter=2)
SUBJECT = _style("subject", 11.5, bold=True, alignment=TA_CENTER, spaceAfter=2)
PERIOD = _style("period", 11, alignment=TA_CENTER, spaceAfter=8)
# Headings stay on the page of what follows them (never alone at a page's foot).
HEADING = _style("heading", 11, bold=True, spaceBefore=8, spaceAfter=4, keepWithNext=1)
SUBHEADING = _style("subheading", 9.5, bold=True, spaceBefore=7, spaceAfter=3, keepWithNext=1)
