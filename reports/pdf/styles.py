"""The PDF's pages, fonts, colours and paragraph styles: Nghị định 30/2020/NĐ-CP, Phụ lục I.

A4 portrait (the detail annex's tables landscape), margins top and bottom 20 mm, left 30 mm
(the binding), right 15 mm; a Times-metric serif (Liberation Serif, shipped and embedded),
13 pt body text, justified, its first line indented.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from i18n.glossary import DAY_STATES

FONT, FONT_BOLD = "LienthongSerif", "LienthongSerif-Bold"
FONT_ITALIC, FONT_BOLD_ITALIC = "LienthongSerif-Italic", "LienthongSerif-BoldItalic"
FONT_FILES = {
    FONT: "LiberationSerif-Regular.ttf",
    FONT_BOLD: "LiberationSerif-Bold.ttf",
    FONT_ITALIC: "LiberationSerif-Italic.ttf",
    FONT_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
}
PAGE = A4
WIDE_PAGE = landscape(A4)
TOP, BOTTOM, LEFT, RIGHT = 20 * mm, 20 * mm, 30 * mm, 15 * mm

WIDTH = PAGE[0] - LEFT - RIGHT
WIDE_WIDTH = WIDE_PAGE[0] - LEFT - RIGHT


def _inks(background: str, ink: str) -> tuple[colors.Color, colors.Color, colors.Color]:
    """fill, stroke, text; a white box gets a grey border so that it shows."""
    stroke = "#C8C8C8" if background.upper() == "#FFFFFF" else background
    return colors.HexColor(background), colors.HexColor(stroke), colors.HexColor(ink)


# The glossary's colours (i18n/glossary.py): the same as on the pages, in the XLSX and DOCX.
DAY_INKS = {state: _inks(term.background, term.text) for state, term in DAY_STATES.items()}
GRID = colors.HexColor("#808080")
HEAD_FILL = colors.HexColor("#EDEDED")


def register_fonts() -> None:
    """Register the bundled fonts with ReportLab, once per process."""
    fonts = resources.files("reports") / "fonts"
    for name, file in FONT_FILES.items():
        with resources.as_file(fonts / file) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )


def _style(
    name: str, size: float = 9, bold: bool = False, italic: bool = False, **kw: Any
) -> ParagraphStyle:
    font = {(False, False): FONT, (True, False): FONT_BOLD, (False, True): FONT_ITALIC}.get(
        (bold, italic), FONT_BOLD_ITALIC
    )
    kw.setdefault("leading", size * 1.2)
    return ParagraphStyle(name, fontName=font, fontSize=size, **kw)


# The document's own text (Phụ lục I: 13-14 pt body, headings and signer bold).
BODY = _style("body", 13, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=6)
HEADING = _style("heading", 13, bold=True, spaceBefore=6, spaceAfter=6, keepWithNext=1)
SUBHEADING = _style("subheading", 12, bold=True, spaceBefore=6, spaceAfter=3, keepWithNext=1)
TITLE = _style("title", 14, bold=True, alignment=TA_CENTER, spaceBefore=14)
SUBJECT = _style("subject", 13, bold=True, alignment=TA_CENTER, spaceAfter=2)
PERIOD = _style("period", 13, alignment=TA_CENTER, spaceAfter=8)
HEAD_NAME = _style("head-name", 12, alignment=TA_CENTER)  # the parent body, the nation
HEAD_NAME_BOLD = _style("head-name-bold", 12, bold=True, alignment=TA_CENTER)
MOTTO = _style("motto", 13, bold=True, alignment=TA_CENTER)
CENTER = _style("center", 13, alignment=TA_CENTER)
PLACE_DATE = _style("place-date", 13, italic=True, alignment=TA_CENTER)
ITALIC_CENTER = _style("italic-center", 13, italic=True, alignment=TA_CENTER)
RECIPIENTS = _style("recipients", 12, bold=True, italic=True)
RECIPIENT = _style("recipient", 11)
SIGNER = _style("signer", 13, bold=True, alignment=TA_CENTER)
PAGE_NUMBER_SIZE = 13
# Tables (the summary in the body, the detail annex).
CELL = _style("cell", 9)
CELL_BOLD = _style("cell-bold", 9, bold=True)
CELL_SMALL = _style("cell-small", 8, textColor=colors.HexColor("#404040"))
CELL_RIGHT = _style("cell-right", 9, alignment=TA_RIGHT)
CELL_RIGHT_BOLD = _style("cell-right-bold", 9, bold=True, alignment=TA_RIGHT)
CELL_CENTER = _style("cell-center", 9, alignment=TA_CENTER)
HEAD = _style("head", 9, bold=True, alignment=TA_CENTER)
SUMMARY_CELL = _style("summary-cell", 11, alignment=TA_LEFT)
SUMMARY_BOLD = _style("summary-bold", 11, bold=True)
SUMMARY_RIGHT = _style("summary-right", 11, alignment=TA_RIGHT)
SUMMARY_HEAD = _style("summary-head", 11, bold=True, alignment=TA_CENTER)
