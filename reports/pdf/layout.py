"""The layout of the report as a PDF a provincial office files: Vietnamese by default, A4 landscape.

ReportLab lays it out (pure pip install, no system libraries) with DejaVu Sans
Condensed, bundled and embedded, which covers every Vietnamese letter; text is
NFC-normalised first, so each letter with its diacritics is one glyph and needs no
shaping engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from compliance.rules import CONNECT_STATUSES, MAINTAIN_STATUSES, ComplianceRow, DayState
from registry.model import ALL_SOURCES
from reports.colours import STATUS_COLOURS
from reports.excused import sorted_sources, sources_text
from reports.filing import Filing, Line, status_counts
from reports.pdf.drawing import DayBox, DayStrip
from reports.pdf.styles import (
    BODY,
    CELL,
    CELL_BOLD,
    CELL_CENTER,
    CELL_RIGHT,
    CELL_RIGHT_BOLD,
    CELL_SMALL,
    CENTER,
    CENTER_BOLD,
    FONT,
    FONT_BOLD,
    GRID,
    HEAD,
    HEAD_FILL,
    HEADING,
    MARGIN,
    PAGE,
    PERIOD,
    SMALL,
    SUBHEADING,
    SUBJECT,
    TITLE,
    WIDTH,
    register_fonts,
)
from reports.words import RULES, Labels, text

PHRASES = {
    "vi": {
        "committee": "ỦY BAN NHÂN DÂN TỈNH {province}",
        "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "motto": "Độc lập - Tự do - Hạnh phúc",
        "place_date": "{province}, ngày {d:02d} tháng {m:02d} năm {y}",
        "title": "BÁO CÁO",
        "subject": "Tình hình duy trì kết nối, phát sinh giao dịch với các hệ thống thông tin"
        " quốc gia",
        "department": "Đơn vị: {name}",
        "as_of": "Số liệu tính đến hết ngày {as_of} (ngày tính theo múi giờ {tz}).",
        "deadline": "Hạn gửi báo cáo quý: trước ngày 25 của tháng cuối quý, tức chậm nhất"
        " ngày {deadline} (Quy chế, Điều 10).",
        "number": "Số: ……/BC",
        "generated": "Báo cáo lập tự động lúc {at} bởi phần mềm giám sát liên thông dữ liệu.",
        "provenance": "Nguồn số liệu: sổ đăng ký {registry}; cơ sở dữ liệu {database};"
        " phần mềm {software}.",
        "recipients": "Nơi nhận:",
        "recipient_1": "- Ủy ban nhân dân tỉnh (để báo cáo);",
        "recipient_2": "- Các sở, ban, ngành (để thực hiện);",
        "recipient_3": "- Lưu: VT.",
        "summary": "I. TỔNG HỢP",
        "summary_line": "{n} nhiệm vụ của {d} đơn vị: {m} nhiệm vụ duy trì giao dịch,"
        " {c} nhiệm vụ triển khai kết nối.",
        "result": "Kết quả",
        "count": "Số nhiệm vụ",
        "whole_quarter": "Cả quý",
        "total": "Tổng số nhiệm vụ",
        "by_department": "Theo đơn vị",
        "obligations": "Số nhiệm vụ",
        "details": "II. CHI TIẾT THEO ĐƠN VỊ",
        "legend": "Dải ngày dưới mỗi nhiệm vụ:",
        "no_rows": "Không có nhiệm vụ trong kỳ.",
        "no": "STT",
        "threshold": "ngưỡng {target}, ≥ {n} GD thành công/ngày",
        "derived": "suy ra",
        "how": "III. CÁCH TÍNH SỐ LIỆU",
        "holidays": "Ngày lễ, Tết của Việt Nam trong kỳ: {days}.",
        "overrides": "Điều chỉnh lịch của sổ đăng ký trong kỳ: {days}.",
        "extra_holiday": "nghỉ",
        "extra_working_day": "làm việc bù",
        "none": "không có",
        "signer": "THỦ TRƯỞNG ĐƠN VỊ",
        "sign_hint": "(Ký, ghi rõ họ tên và đóng dấu)",
        "page": "Trang {n}/{total}",
        "generated_short": "Lập lúc {at}",
        "required_short": "Số ngày phải có GD",
        "met_short": "Số ngày đạt",
        "successes_short": "GD thành công",
        "failures_short": "GD lỗi",
        "last_short": "GD thành công gần nhất",
        "probe_only": "Ngày đạt chỉ nhờ giao dịch thăm dò của hệ thống giám sát: {n}.",
        "excused": "Ngày được miễn trừ: {n}.",
        "excusal": "Miễn trừ số {id} ({first} – {last}, {days} ngày): {reason} — đề xuất: {by};"
        " phê duyệt: {approver}.",
        "sources": "Nguồn giao dịch được tính: {sources}.",
        "sources_all": "Nguồn giao dịch được tính: cả bốn nguồn (thăm dò, đẩy, cổng, nhập tệp)"
        " cho mọi nhiệm vụ.",
        "sources_some": "Nguồn giao dịch được tính, nhiệm vụ không tính cả bốn nguồn: {list}.",
    },
    "en": {
        "committee": "PEOPLE'S COMMITTEE OF {province} PROVINCE",
        "nation": "SOCIALIST REPUBLIC OF VIETNAM",
        "motto": "Independence - Freedom - Happiness",
        "place_date": "{province}, {date}",
        "title": "REPORT",
        "subject": "Connections and transactions with the national information systems",
        "department": "Department: {name}",
        "as_of": "Figures to the end of {as_of} (days in the {tz} timezone).",
        "deadline": "Quarterly report deadline: before the 25th of the quarter's last month,"
        " so {deadline} at the latest (operating rules, Art. 10).",
        "number": "No.: ……/BC",
        "generated": "Generated automatically at {at} by the data-connection monitor.",
        "provenance": "Sources of the figures: registry {registry}; database {database};"
        " software {software}.",
        "recipients": "Recipients:",
        "recipient_1": "- Provincial People's Committee (for its information);",
        "recipient_2": "- Departments and agencies (for action);",
        "recipient_3": "- Archive.",
        "summary": "I. SUMMARY",
        "summary_line": "{n} obligation(s) of {d} department(s): {m} to maintain"
        " transactions, {c} to establish a connection.",
        "result": "Status",
        "count": "Obligations",
        "whole_quarter": "Quarter",
        "total": "All obligations",
        "by_department": "By department",
        "obligations": "Obligations",
        "details": "II. DETAILS BY DEPARTMENT",
        "legend": "Strip of days under each obligation:",
        "no_rows": "No obligation in the period.",
        "no": "#",
        "threshold": "target {target}, ≥ {n} successes/day",
        "derived": "derived",
        "how": "III. HOW THE FIGURES ARE COMPUTED",
        "holidays": "Vietnam's public holidays in the period: {days}.",
        "overrides": "The registry's calendar overrides in the period: {days}.",
        "extra_holiday": "holiday",
        "extra_working_day": "working day",
        "none": "none",
        "signer": "HEAD OF THE AGENCY",
        "sign_hint": "(Signature, full name and seal)",
        "page": "Page {n} of {total}",
        "generated_short": "Generated {at}",
        "required_short": "Required days",
        "met_short": "Met days",
        "successes_short": "Successes",
        "failures_short": "Failures",
        "last_short": "Last success",
        "probe_only": "Days met only by lienthong's own probe calls: {n}.",
        "excused": "Excused days: {n}.",
        "excusal": "Excusal no. {id} ({first} – {last}, {days} day(s)): {reason} — proposed by"
        " {by}; approved by {approver}.",
        "sources": "Sources that count: {sources}.",
        "sources_all": "Sources that count: all four (probe, push, gateway, import) for every"
        " obligation.",
        "sources_some": "Sources that count, for obligations not counting all four: {list}.",
    },
}


def _p(value: str, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(text(value)), style)


def write_pdf(filing: Filing, out: IO[bytes]) -> None:
    """Write the report as a PDF to a binary stream."""
    register_fonts()
    words = PHRASES[filing.lang]
    labels = filing.labels
    report = filing.report
    period_name = labels.period(filing.period)
    footer_left = f"{text(report.province.name)} · {period_name}"
    if report.department is not None:
        footer_left += f" · {text(report.department.name)}"
    footer_right = words["generated_short"].format(at=labels.datetime(report.generated_at))

    class FooterCanvas(Canvas):
        """Numbers each page 'x/total': the total is known only once all pages are laid out."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = FONT  # no stray Helvetica: every font embedded
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            # Keep the page's state to draw its footer at save(), and start the next page
            # as Canvas.showPage would, without emitting this one yet.
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for n, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self.setFont(FONT, 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                y = MARGIN * 0.55
                self.drawString(MARGIN, y, footer_left)
                self.drawCentredString(PAGE[0] / 2, y, words["page"].format(n=n, total=total))
                self.drawRightString(PAGE[0] - MARGIN, y, footer_right)
                super().showPage()
            super().save()

    doc = BaseDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{words['title'].capitalize()} — {text(report.province.name)} — {period_name}",
        author=text(filing.standing_department.name) if filing.standing_department else "lienthong",
        subject=words["subject"],
        creator=filing.provenance.software,
    )
    frame = Frame(
        MARGIN, MARGIN, WIDTH, PAGE[1] - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story: list[Flowable] = []
    story += _heading_block(filing)
    story += _summary(filing)
    story += _details(filing)
    story += _how_computed(filing)
    story += _signature(filing)
    doc.build(story, canvasmaker=FooterCanvas)


def _heading_block(filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
    labels = filing.labels
    report = filing.report
    province = text(report.province.name)
    left: list[Flowable] = [_p(words["committee"].format(province=province.upper()), CENTER)]
    if filing.standing_department is not None:
        left.append(_p(text(filing.standing_department.name).upper(), CENTER_BOLD))
    left.append(
        HRFlowable(width="30%", thickness=0.6, color=colors.black, spaceBefore=2, hAlign="CENTER")
    )
    left.append(_p(words["number"], CENTER))  # the clerk writes the number when it is filed
    at = report.generated_at
    when = (
        words["place_date"].format(province=province, d=at.day, m=at.month, y=at.year)
        if filing.lang == "vi"
        else words["place_date"].format(province=province, date=at.strftime("%d %B %Y").lstrip("0"))
    )
    right: list[Flowable] = [
        _p(words["nation"], CENTER_BOLD),
        _p(words["motto"], CENTER_BOLD),
        HRFlowable(
            width="42%",
            thickness=0.6,
            color=colors.black,
            spaceBefore=2,
            spaceAfter=4,
            hAlign="CENTER",
        ),
        _p(when, CENTER),
    ]
    head = _table(
        [[left, right]],
        [WIDTH * 0.45, WIDTH * 0.55],
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")],
    )
    story: list[Flowable] = [
        head,
        _p(words["title"], TITLE),
        _p(words["subject"], SUBJECT),
        _p(labels.period(filing.period), PERIOD),
    ]
    if report.department is not None:
        story.insert(-1, _p(words["department"].format(name=text(report.department.name)), SUBJECT))
    story.append(
        _p(
            words["as_of"].format(as_of=labels.date(report.as_of), tz=_zone(report.generated_at)),
            SMALL,
        )
    )
    if filing.period.deadline is not None:
        story.append(
            _p(words["deadline"].format(deadline=labels.date(filing.period.deadline)), SMALL)
        )
    # The database URL and the registry's digests are for whoever checks the figures:
    # they are in the method annex (III), not on the first page.
    story.append(_p(words["generated"].format(at=labels.datetime(report.generated_at)), SMALL))
    return story


def _zone(at: datetime) -> str:
    """The timezone as people read it: its UTC offset ('UTC+07:00'), not its tz database name."""
    offset = at.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _status_chip(code: str, labels: Labels, bold: bool = False) -> Paragraph:
    _, fg = STATUS_COLOURS[code]
    style = CELL_BOLD if bold else CELL
    return Paragraph(f'<font color="{fg}">{escape(labels.status(code))}</font>', style)


def _summary(filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
    labels = filing.labels
    rows = [line.row for line in filing.lines]
    maintain = sum(1 for r in rows if r.kind == "maintain")
    story: list[Flowable] = [
        _p(words["summary"], HEADING),
        _p(
            words["summary_line"].format(
                n=labels.integer(len(rows)),
                d=labels.integer(len(filing.departments)),
                m=labels.integer(maintain),
                c=labels.integer(len(rows) - maintain),
            ),
            BODY,
        ),
    ]
    # One column per month of a quarter, then the quarter; a single one for a month.
    columns: list[tuple[str, Sequence[ComplianceRow]]] = [
        (labels.period_short(m.month), m.rows) for m in filing.months
    ]
    columns.append(
        (words["whole_quarter"] if filing.is_quarter else words["count"], rows),
    )
    counts = [status_counts(r) for _, r in columns]
    data: list[list[Any]] = [
        [_p(labels.column("kind"), HEAD), _p(words["result"], HEAD)]
        + [_p(name, HEAD) for name, _ in columns]
    ]
    styles: list[tuple[Any, ...]] = []
    for kind, statuses in (("maintain", MAINTAIN_STATUSES), ("connect", CONNECT_STATUSES)):
        first = len(data)
        for status in statuses:
            bg, _ = STATUS_COLOURS[status]
            data.append(
                [
                    _p(labels.kind(kind), CELL_BOLD) if len(data) == first else "",
                    _status_chip(status, labels),
                ]
                + [_p(labels.integer(c[status]), CELL_RIGHT) for c in counts]
            )
            styles.append(
                ("BACKGROUND", (1, len(data) - 1), (1, len(data) - 1), colors.HexColor(bg))
            )
        styles.append(("SPAN", (0, first), (0, len(data) - 1)))
    data.append(
        [_p(words["total"], CELL_BOLD), ""]
        + [_p(labels.integer(len(r)), CELL_RIGHT_BOLD) for _, r in columns]
    )
    styles.append(("SPAN", (0, len(data) - 1), (1, len(data) - 1)))
    n = len(columns)
    table = _table(data, [120, 110] + [70] * n, [*_grid(), *styles], repeatRows=1)
    story.append(table)
    if filing.report.department is None:  # a pack's one department needs no such table
        story += _by_department(filing)
    return story


def _by_department(filing: Filing) -> list[Flowable]:
    """One line per department: how many of its obligations ended in each status."""
    words = PHRASES[filing.lang]
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
                bg, _ = STATUS_COLOURS[status]
                styles.append(
                    ("BACKGROUND", (col, len(data)), (col, len(data)), colors.HexColor(bg))
                )
        data.append(cells)
    widths = [24, 220, 60] + [66] * len(statuses)
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
    legend = PHRASES[filing.lang]["legend"]
    cells: list[Any] = [_p(legend, CELL_BOLD)]
    widths: list[float] = [pdfmetrics.stringWidth(legend, FONT_BOLD, 8) + 12]
    for state in DayState:
        cells += [DayBox(state), _p(labels.day_state(state), CELL)]
        widths += [14, pdfmetrics.stringWidth(labels.day_state(state), FONT, 8) + 14]
    table = _table(
        [cells],
        widths,
        [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 2)],
    )
    table.keepWithNext = True  # the legend belongs on the page of the first table
    return table


def _details(filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
    story: list[Flowable] = [CondPageBreak(60 * mm), _p(words["details"], HEADING), _legend(filing)]
    for i, (department, lines) in enumerate(filing.departments, start=1):
        heading = _p(f"{i}. {text(department.name)} ({department.code})", SUBHEADING)
        if not lines:
            story += [heading, _p(words["no_rows"], BODY)]
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
    words = PHRASES[filing.lang]
    labels = filing.labels
    quarter = filing.is_quarter
    headers = [
        words["no"],
        labels.column("system_name"),
        labels.column("basis"),
        labels.column("kind"),
        *([labels.column("period")] if quarter else []),
        words["required_short"],
        words["met_short"],
        labels.column("ratio"),
        words["successes_short"],
        words["failures_short"],
        words["last_short"],
        labels.column("status"),
    ]
    if quarter:
        widths = [24, 160, 80, 88, 48, 46, 40, 46, 54, 44, 60, 0.0]
    else:
        widths = [24, 180, 92, 92, 50, 40, 50, 56, 46, 64, 0.0]
    widths[-1] = WIDTH - sum(widths)
    data: list[list[Any]] = [[_p(h, HEAD) for h in headers]]
    figures_from = 5 if quarter else 4
    styles: list[tuple[Any, ...]] = [
        *_grid(),
        # Figures are plain strings (laid out far faster than paragraphs), right-aligned.
        ("FONTSIZE", (0, 1), (-1, -1), 8),
        ("ALIGN", (figures_from, 1), (-2, -1), "RIGHT"),
        ("FONTSIZE", (-2, 1), (-2, -1), 7),
        ("LEADING", (-2, 1), (-2, -1), 8.5),
    ]
    strip_width = WIDTH - widths[0] - 8
    for n, line in enumerate(lines, start=before + 1):
        row = line.row
        first = len(data)
        parts: list[tuple[str | None, ComplianceRow]] = [
            (labels.period_short(m), r) for m, r in line.months
        ]
        parts.append((labels.period_short(filing.period) if quarter else None, row))
        for k, (period, figures) in enumerate(parts):
            total = quarter and k == len(parts) - 1
            lead: list[Any] = (
                [_p(str(n), CELL_CENTER), _system_cell(row), _p(row.basis), _kind_cell(row, filing)]
                if k == 0
                else ["", "", "", ""]
            )
            if quarter:
                lead.append(period or "")
            data.append(lead + _figure_cells(figures, labels))
            r = len(data) - 1
            bg, fg = STATUS_COLOURS[figures.status]
            styles += [
                ("BACKGROUND", (-1, r), (-1, r), colors.HexColor(bg)),
                ("TEXTCOLOR", (-1, r), (-1, r), colors.HexColor(fg)),
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
    """Under a strip: its probe-only and excused days, each excusal with its reason and authors."""
    words = PHRASES[filing.lang]
    labels = filing.labels
    note: list[Flowable] = []
    if row.probe_only_days:
        note.append(_p(words["probe_only"].format(n=row.probe_only_days), CELL_SMALL))
    if row.excused_days:
        note.append(_p(words["excused"].format(n=row.excused_days), CELL_SMALL))
    excused = [d for d, state in row.days if state == DayState.EXCUSED]
    for e in row.excusals:
        text_ = words["excusal"].format(
            id=e.id,
            first=labels.date(e.first_day),
            last=labels.date(e.last_day),
            days=sum(e.first_day <= d <= e.last_day for d in excused),
            reason=e.reason,
            by=e.proposed_by,
            approver=e.approved_by or "—",
        )
        note.append(_p(text_, CELL_SMALL))
    return note


def _system_cell(row: ComplianceRow) -> list[Flowable]:
    return [
        _p(row.system_name, CELL_BOLD),
        _p(f"{row.owner} · {row.system}", CELL_SMALL),
    ]


def _kind_cell(row: ComplianceRow, filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
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
    last = labels.datetime(row.last_success).replace(" ", "\n") if row.last_success else "—"
    return [
        labels.integer(row.required_days),
        labels.integer(row.met_days),
        labels.percent(row.ratio),
        labels.integer(row.successes),
        labels.integer(row.failures),
        last,
        labels.status(row.status),
    ]


def _how_computed(filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
    labels = filing.labels
    story: list[Flowable] = [CondPageBreak(40 * mm), _p(words["how"], HEADING)]
    for n, rule in enumerate(RULES[filing.lang], start=1):
        if n == len(RULES[filing.lang]) and not filing.is_quarter:
            break  # the last rule is the quarter's
        story.append(_p(f"{n}. {rule}", BODY))
    holidays = "; ".join(f"{labels.date(d)} {text(name)}" for d, name in filing.holidays)
    story.append(_p(words["holidays"].format(days=holidays or words["none"]), BODY))
    overrides = "; ".join(
        f"{labels.date(d)} ({words['extra_working_day' if working else 'extra_holiday']})"
        for d, working in filing.overrides
    )
    story.append(_p(words["overrides"].format(days=overrides or words["none"]), BODY))
    story.append(_p(filing.calendar_note, BODY))
    story.append(_p(_sources_line(filing), BODY))
    p = filing.provenance
    story.append(
        _p(
            words["provenance"].format(
                registry=p.registry, database=p.database, software=p.software
            ),
            BODY,
        )
    )
    return story


def _sources_line(filing: Filing) -> str:
    """The evidence policy in force: one line when every obligation counts every source."""
    words = PHRASES[filing.lang]
    partial = [
        f"{t.obligation.department} → {t.obligation.system}:"
        f" {sources_text(sorted_sources(filing, t.obligation), filing.lang)}"
        for t in filing.thresholds
        if len(sorted_sources(filing, t.obligation)) < len(ALL_SOURCES)
    ]
    if not partial:
        return words["sources_all"]
    return words["sources_some"].format(list="; ".join(partial))


def _signature(filing: Filing) -> list[Flowable]:
    words = PHRASES[filing.lang]
    recipients = [_p(words["recipients"], CELL_BOLD)] + [
        _p(words[f"recipient_{n}"], CELL_SMALL) for n in (1, 2, 3)
    ]
    block = _table(
        [[recipients, [_p(words["signer"], CENTER_BOLD), _p(words["sign_hint"], CENTER)]]],
        [WIDTH * 0.55, WIDTH * 0.45],
        [("VALIGN", (0, 0), (-1, -1), "TOP")],
    )
    return [Spacer(1, 8 * mm), KeepTogether([block, Spacer(1, 25 * mm)])]
