"""The report as the PDF a provincial office files, laid out per Nghị định 30/2020/NĐ-CP.

The document (A4 portrait): heading block, number, place and date, "BÁO CÁO" and its summary
line, I. the situation with its counts table, II. the assessment, III. proposals, the closing
line kept on one page with "Nơi nhận" and the signer. Then Phụ lục I, each obligation's figures
and strip of days (A4 landscape), and Phụ lục II, "Phương pháp và nguồn số liệu" (portrait).
The words are reports/document.py's, the same as the DOCX's.

ReportLab lays it out (pure pip install, no system libraries) with Liberation Serif, shipped
and embedded, which covers every Vietnamese letter; text is NFC-normalised first, so each
letter with its diacritics is one glyph and needs no shaping engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from compliance.rules import CONNECT_STATUSES, MAINTAIN_STATUSES, ComplianceRow, DayState
from i18n.glossary import STATUSES
from reports import document
from reports.document import PHRASES, Section
from reports.filing import Filing, Line, status_counts
from reports.pdf.drawing import DayBox, DayStrip
from reports.pdf.styles import (
    BODY,
    BOTTOM,
    CELL,
    CELL_BOLD,
    CELL_CENTER,
    CELL_RIGHT,
    CELL_SMALL,
    CENTER,
    FONT,
    FONT_BOLD,
    GRID,
    HEAD,
    HEAD_FILL,
    HEAD_NAME,
    HEAD_NAME_BOLD,
    HEADING,
    ITALIC_CENTER,
    LEFT,
    MOTTO,
    PAGE,
    PAGE_NUMBER_SIZE,
    PLACE_DATE,
    RECIPIENT,
    RECIPIENTS,
    RIGHT,
    SIGNER,
    SUBHEADING,
    SUBJECT,
    SUMMARY_BOLD,
    SUMMARY_CELL,
    SUMMARY_HEAD,
    SUMMARY_RIGHT,
    TITLE,
    TOP,
    WIDE_PAGE,
    WIDE_WIDTH,
    WIDTH,
    register_fonts,
)
from reports.words import Labels, Phrases, text


def _p(value: str, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(text(value)), style)


class _Canvas(Canvas):
    """A canvas whose initial font is the embedded one: no stray Helvetica in the file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = FONT
        super().__init__(*args, **kwargs)


def _page_number(canvas: Canvas, doc: BaseDocTemplate) -> None:
    """Phụ lục I: the page number centred in the top margin, in Arabic, not on the first page."""
    n = canvas.getPageNumber()
    if n == 1:
        return
    width, height = canvas._pagesize  # type: ignore[attr-defined]  # this page's (portrait or landscape)
    canvas.saveState()
    canvas.setFont(FONT, PAGE_NUMBER_SIZE)
    canvas.drawCentredString(width / 2, height - TOP * 0.6, str(n))
    canvas.restoreState()


def write_pdf(filing: Filing, out: IO[bytes]) -> None:
    """Write the report as a PDF to a binary stream."""
    register_fonts()
    report = filing.report
    doc = BaseDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{document.title(filing)} — {document.summary_line(filing)}",
        author=text(filing.standing_department.name) if filing.standing_department else "lienthong",
        subject=text(report.province.name),
        creator=filing.provenance.software,
        lang=filing.lang,
    )
    portrait = Frame(
        LEFT, BOTTOM, WIDTH, PAGE[1] - TOP - BOTTOM, id="portrait", leftPadding=0, rightPadding=0
    )
    wide = Frame(
        LEFT,
        BOTTOM,
        WIDE_WIDTH,
        WIDE_PAGE[1] - TOP - BOTTOM,
        id="landscape",
        leftPadding=0,
        rightPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="portrait", frames=[portrait], onPage=_page_number, pagesize=PAGE),
            PageTemplate(id="landscape", frames=[wide], onPage=_page_number, pagesize=WIDE_PAGE),
        ]
    )
    story: list[Flowable] = []
    story += _heading_block(filing)
    story += _section(document.situation(filing))
    story += _summary(filing)
    story += _section(document.assessment(filing))
    story += _section(document.proposals(filing))
    # The end of the text, "Nơi nhận" and the signer: one page (never a signature alone).
    story.append(KeepTogether([_p(document.closing(filing), BODY), *_signature(filing)]))
    story += [NextPageTemplate("landscape"), PageBreak()]
    story += _annex_heading(filing, 1, document.details_name(filing))
    if filing.report.department is None:  # a pack's one department needs no such table
        story += _by_department(filing)
    story += _details(filing)
    story += [NextPageTemplate("portrait"), PageBreak()]
    story += _annex_heading(filing, 2, document.method_name(filing))
    for section in document.method(filing):
        story += _section(section)
    doc.build(story, canvasmaker=_Canvas)


def _section(section: Section) -> list[Flowable]:
    return [_p(section.heading, HEADING), *(_p(p, BODY) for p in section.paragraphs)]


def _rule(width: str) -> HRFlowable:
    return HRFlowable(
        width=width, thickness=0.6, color=colors.black, spaceBefore=1, spaceAfter=3, hAlign="CENTER"
    )


def _heading_block(filing: Filing) -> list[Flowable]:
    """Phụ lục I: the issuing body top left over its number, the nation top right over the
    place and date; then the kind of document and its summary line."""
    words = Phrases(PHRASES, filing.lang)
    left: list[Flowable] = [
        _p(document.parent_body(filing), HEAD_NAME),
        _p(document.issuing_body(filing), HEAD_NAME_BOLD),
        _rule("35%"),
        _p(document.number(filing), CENTER),
    ]
    right: list[Flowable] = [
        _p(words["nation"], HEAD_NAME_BOLD),
        _p(words["motto"], MOTTO),
        _rule("62%"),
        _p(document.place_date(filing), PLACE_DATE),
    ]
    head = _table(
        [[left, right]],
        [WIDTH * 0.45, WIDTH * 0.55],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ],
    )
    return [
        head,
        _p(document.title(filing), TITLE),
        _p(document.summary_line(filing), SUBJECT),
        _rule("25%"),
        Spacer(1, 3 * mm),
    ]


def _status_chip(code: str, labels: Labels) -> Paragraph:
    term = STATUSES[code]
    return Paragraph(
        f'<font color="{term.text}">{escape(labels.status(code))}</font>', SUMMARY_CELL
    )


def _summary(filing: Filing) -> list[Flowable]:
    """How many obligations ended in each status (a quarter: each month, then the quarter)."""
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    columns = document.summary_columns(filing)
    counts = [status_counts(r) for _, r in columns]
    data: list[list[Any]] = [
        [_p(labels.column("kind"), SUMMARY_HEAD), _p(words["result"], SUMMARY_HEAD)]
        + [_p(name, SUMMARY_HEAD) for name, _ in columns]
    ]
    styles: list[tuple[Any, ...]] = []
    for kind, statuses in (("maintain", MAINTAIN_STATUSES), ("connect", CONNECT_STATUSES)):
        first = len(data)
        for status in statuses:
            data.append(
                [
                    _p(labels.kind(kind), SUMMARY_BOLD) if len(data) == first else "",
                    _status_chip(status, labels),
                ]
                + [_p(labels.integer(c[status]), SUMMARY_RIGHT) for c in counts]
            )
            r = len(data) - 1
            styles.append(
                ("BACKGROUND", (1, r), (1, r), colors.HexColor(STATUSES[status].background))
            )
        styles.append(("SPAN", (0, first), (0, len(data) - 1)))
    data.append(
        [_p(words["total"], SUMMARY_BOLD), ""]
        + [_p(labels.integer(len(r)), SUMMARY_RIGHT) for _, r in columns]
    )
    styles.append(("SPAN", (0, len(data) - 1), (1, len(data) - 1)))
    figure = (WIDTH - 45 * mm - 40 * mm) / len(columns)
    table = _table(
        data, [45 * mm, 40 * mm] + [figure] * len(columns), [*_grid(), *styles], repeatRows=1
    )
    return [table, Spacer(1, 4 * mm)]


def _by_department(filing: Filing) -> list[Flowable]:
    """One line per department: how many of its obligations ended in each status."""
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    statuses = (*MAINTAIN_STATUSES, *CONNECT_STATUSES)
    data: list[list[Any]] = [
        [
            _p(words["no"], HEAD),
            _p(labels.column("department_name"), HEAD),
            _p(words["obligations"], HEAD),
        ]
        + [_p(labels.status(s), HEAD) for s in statuses]
    ]
    styles: list[tuple[Any, ...]] = []
    for i, (department, lines) in enumerate(filing.departments, start=1):
        counts = status_counts(line.row for line in lines)
        cells: list[Any] = [
            _p(str(i), CELL_CENTER),
            _p(department.name),
            _p(labels.integer(len(lines)), CELL_RIGHT),
        ]
        for col, status in enumerate(statuses, start=3):
            cells.append(_p(labels.integer(counts[status]) if counts[status] else "", CELL_RIGHT))
            if counts[status] and status not in ("compliant", "connected"):
                bg = colors.HexColor(STATUSES[status].background)
                styles.append(("BACKGROUND", (col, len(data)), (col, len(data)), bg))
        data.append(cells)
    widths = [24, 230, 60] + [66] * len(statuses)
    table = _table(data, widths, [*_grid(), *styles], repeatRows=1)
    return [_p(words["by_department"], SUBHEADING), table]


def _table(
    data: list[list[Any]], widths: Sequence[float], styles: list[tuple[Any, ...]], **kw: Any
) -> Table:
    """A table whose every cell, even an empty one, uses the embedded font."""
    table = Table(data, colWidths=list(widths), hAlign="LEFT", **kw)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *styles]))
    return table


def _grid() -> list[tuple[Any, ...]]:
    return [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def _legend(filing: Filing) -> Table:
    labels = filing.labels
    legend = Phrases(PHRASES, filing.lang)["legend"]
    cells: list[Any] = [_p(legend, CELL_BOLD)]
    widths: list[float] = [pdfmetrics.stringWidth(legend, FONT_BOLD, 9) + 12]
    for state in DayState:
        cells += [DayBox(state), _p(labels.day_state(state), CELL)]
        widths += [14, pdfmetrics.stringWidth(labels.day_state(state), FONT, 9) + 12]
    table = _table(
        [cells],
        widths,
        [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 2)],
    )
    table.keepWithNext = True  # the legend belongs on the page of the first table
    return table


def _annex_heading(filing: Filing, n: int, name: str) -> list[Flowable]:
    label, title, attached = document.annex_heading(filing, n, name)
    return [_p(label, SUBJECT), _p(title, SUBJECT), _p(attached, ITALIC_CENTER), Spacer(1, 4 * mm)]


def _details(filing: Filing) -> list[Flowable]:
    words = Phrases(PHRASES, filing.lang)
    story: list[Flowable] = [Spacer(1, 3 * mm), _legend(filing)]
    for i, (department, lines) in enumerate(filing.departments, start=1):
        heading = _p(f"{i}. {text(department.name)} ({department.code})", SUBHEADING)
        if not lines:
            story += [heading, _p(words["no_rows"], CELL)]
            continue
        story.append(heading)
        for start in range(0, len(lines), TABLE_OBLIGATIONS):
            story.append(
                _obligations_table(filing, lines[start : start + TABLE_OBLIGATIONS], start)
            )
    return story


# ReportLab lays a table out in time quadratic in its rows (each page's split measures
# all the rows left again): a department of 100 obligations was 600 rows in a quarter,
# and 2,000 obligations in 20 departments took 22 s of CPU. A department with more than
# this many obligations gets one table per so many of them, the header row at the top of
# each (and of each page, as before).
TABLE_OBLIGATIONS = 20


def _obligations_table(filing: Filing, lines: Sequence[Line], before: int = 0) -> Table:
    """Each obligation: its figures (a quarter: each month, then the quarter) and its strip;
    numbered from `before` + 1."""
    labels = filing.labels
    quarter = filing.is_quarter
    headers = document.detail_headers(filing)
    if quarter:
        widths = [26, 136, 72, 80, 44, 42, 38, 44, 50, 42, 58, 0.0]
    else:
        widths = [26, 156, 82, 84, 46, 40, 46, 52, 44, 62, 0.0]
    widths[-1] = WIDE_WIDTH - sum(widths)
    data: list[list[Any]] = [[_p(h, HEAD) for h in headers]]
    figures_from = 5 if quarter else 4
    styles: list[tuple[Any, ...]] = [
        *_grid(),
        # Figures are plain strings (laid out far faster than paragraphs), right-aligned.
        ("FONTSIZE", (0, 1), (-1, -1), 9),
        ("ALIGN", (figures_from, 1), (-2, -1), "RIGHT"),
        ("FONTSIZE", (-2, 1), (-2, -1), 8),
        ("LEADING", (-2, 1), (-2, -1), 9.5),
    ]
    strip_width = WIDE_WIDTH - widths[0] - 8
    for n, line in enumerate(lines, start=before + 1):
        row = line.row
        first = len(data)
        parts = document.detail_periods(line, filing)
        for k, (period, figures) in enumerate(parts):
            total = quarter and k == len(parts) - 1
            lead: list[Any] = (
                [_p(str(n), CELL_CENTER), _system_cell(row), _p(row.basis), _kind_cell(row, filing)]
                if k == 0
                else ["", "", "", ""]
            )
            if quarter:
                lead.append(period)
            data.append(lead + _figure_cells(figures, labels))
            r = len(data) - 1
            term = STATUSES[figures.status]
            styles += [
                ("BACKGROUND", (-1, r), (-1, r), colors.HexColor(term.background)),
                ("TEXTCOLOR", (-1, r), (-1, r), colors.HexColor(term.text)),
            ]
            if total:
                styles += [
                    ("BACKGROUND", (4, r), (-2, r), colors.HexColor("#F2F2F2")),
                    ("FONTNAME", (4, r), (-1, r), FONT_BOLD),
                ]
        if len(parts) > 1:
            for col in range(4):
                styles.append(("SPAN", (col, first), (col, len(data) - 1)))
                styles.append(("VALIGN", (col, first), (col, len(data) - 1), "TOP"))
        data.append(["", DayStrip(row.days, strip_width, labels)] + [""] * (len(headers) - 2))
        strip_row = len(data) - 1
        styles += [
            ("SPAN", (1, strip_row), (-1, strip_row)),
            ("TOPPADDING", (0, strip_row), (-1, strip_row), 3),
            ("BOTTOMPADDING", (0, strip_row), (-1, strip_row), 3),
        ]
        note = _evidence_note(row, filing)
        if note:  # contract 1.1: only when there is something to say
            data.append(["", note] + [""] * (len(headers) - 2))
            styles.append(("SPAN", (1, len(data) - 1), (-1, len(data) - 1)))
        styles.append(("NOSPLIT", (0, first), (-1, len(data) - 1)))
    return _table(data, widths, styles, repeatRows=1)


def _evidence_note(row: ComplianceRow, filing: Filing) -> list[Flowable]:
    """Under a strip: what the annex notes of the duty (document.duty_notes), small."""
    return [_p(line, CELL_SMALL) for line in document.duty_notes(row, filing)]


def _system_cell(row: ComplianceRow) -> list[Flowable]:
    return [
        _p(row.system_name, CELL_BOLD),
        _p(f"{row.owner} · {row.system}", CELL_SMALL),
    ]


def _kind_cell(row: ComplianceRow, filing: Filing) -> list[Flowable]:
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    cell: list[Flowable] = [_p(labels.kind(row.kind))]
    if row.kind == "maintain":
        threshold = words["threshold"].format(
            target=labels.percent(row.target_ratio).replace(",00", "").replace(".00", ""),
            n=row.min_daily_successes,
        )
        cell.append(_p(threshold, CELL_SMALL))
    if row.derived:
        cell.append(_p(f"({words['derived']})", CELL_SMALL))
    return cell


def _figure_cells(row: ComplianceRow, labels: Labels) -> list[str]:
    *counts, last = document.figures(row, labels)
    return [*counts, last.replace(" ", "\n"), labels.status(row.status)]


def _signature(filing: Filing) -> list[Flowable]:
    """`Nơi nhận` bottom left; the signer's authority, title, room to sign, name bottom right."""
    words = Phrases(PHRASES, filing.lang)
    recipients = [_p(words["recipients"], RECIPIENTS)] + [
        _p(line, RECIPIENT) for line in document.recipients(filing)
    ]
    titles, name = document.signer(filing)
    signer: list[Flowable] = [_p(t, SIGNER) for t in titles]
    signer += [Spacer(1, 25 * mm), _p(name, SIGNER)]
    block = _table(
        [[recipients, signer]],
        [WIDTH * 0.45, WIDTH * 0.55],
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
    )
    return [Spacer(1, 4 * mm), block]
