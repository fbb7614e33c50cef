"""The filed document as DOCX, for the office to finish in Word before the leader signs.

The same document as the PDF (reports/document.py's words, the same figures, sections and
margins): A4 portrait, margins 20/20/30/15 mm, Times New Roman 13 pt (the font Nghị định
30/2020 names; the PDF embeds Liberation Serif, its metric twin, and LibreOffice substitutes
it for Times New Roman), page numbers centred at the top from page 2; Phụ lục I landscape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import Section as DocxSection
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from compliance.rules import CONNECT_STATUSES, MAINTAIN_STATUSES
from i18n.glossary import STATUSES
from reports import document
from reports.document import PHRASES, Section
from reports.filing import Filing, status_counts
from reports.words import Phrases, text

FONT = "Times New Roman"
WIDE = 297 - 30 - 15  # mm of text across an A4 landscape page
HEAD_FILL = "#EDEDED"  # a header row, as in the PDF
BODY_SIZE = Pt(13)


def write_docx(filing: Filing, out: IO[bytes]) -> None:
    """Write the report as a Word document to a binary stream."""
    doc = Document()
    _base_style(doc)
    first = doc.sections[0]
    _page(first, landscape=False)
    first.different_first_page_header_footer = True  # no number on the first page
    _page_number(first)
    _heading_block(doc, filing)
    _section(doc, document.situation(filing))
    _summary(doc, filing)
    _section(doc, document.assessment(filing))
    _section(doc, document.proposals(filing))
    closing = _paragraph(doc, document.closing(filing))
    closing.paragraph_format.keep_with_next = True  # the signer on the page of the text's end
    _signature(doc, filing)

    wide = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(wide, landscape=True)
    wide.different_first_page_header_footer = False
    _annex_heading(doc, filing, 1, document.details_name(filing))
    if filing.report.department is None:
        _by_department(doc, filing)
    _details(doc, filing)

    back = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(back, landscape=False)
    back.different_first_page_header_footer = False
    _annex_heading(doc, filing, 2, document.method_name(filing))
    for section in document.method(filing):
        _section(doc, section)
    core = doc.core_properties
    core.title = f"{document.title(filing)} — {document.summary_line(filing)}"
    core.author = document.issuing_body(filing)
    core.language = filing.lang
    doc.save(out)


def _base_style(doc: DocumentObject) -> None:
    style = doc.styles["Normal"]
    font = style.font
    font.name = FONT
    font.size = BODY_SIZE
    # Word reads the font of each script from rFonts; Vietnamese is in the Latin ranges.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    paragraph = style.paragraph_format
    paragraph.space_after = Pt(6)
    paragraph.space_before = Pt(0)
    paragraph.line_spacing = 1.0


def _page(section: DocxSection, landscape: bool) -> None:
    """A4, the Decree's margins (left 30 mm for the binding)."""
    width, height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)


def _page_number(section: DocxSection) -> None:
    """A PAGE field centred in the header (the first page's header stays empty)."""
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    shown = OxmlElement("w:t")
    shown.text = "2"
    run.append(shown)
    field.append(run)
    paragraph._p.append(field)


def _paragraph(
    doc: DocumentObject | _Cell,
    value: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = True,
    underline: bool = False,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text(value))
    run.bold, run.italic, run.underline = bold, italic, underline
    if size is not None:
        run.font.size = Pt(size)
    paragraph.alignment = align
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    return paragraph


def _centred(where: DocumentObject | _Cell, value: str, **kw: bool | float | None) -> Paragraph:
    paragraph = _paragraph(where, value, align=WD_ALIGN_PARAGRAPH.CENTER, **kw)  # type: ignore[arg-type]
    paragraph.paragraph_format.space_after = Pt(0)
    return paragraph


def _first_cell_paragraph(cell: _Cell) -> None:
    """A new cell holds one empty paragraph: drop it, so the cell starts with ours."""
    if cell.paragraphs and not cell.paragraphs[0].text:
        cell._tc.remove(cell.paragraphs[0]._p)


def _no_cell_margins(table: Table) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)


def _heading_block(doc: DocumentObject, filing: Filing) -> None:
    words = Phrases(PHRASES, filing.lang)
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    _no_cell_margins(table)  # the nation's title fits its column on one line, as in the PDF
    left, right = table.rows[0].cells
    for column, cell, width in zip(table.columns, (left, right), (Mm(74), Mm(91)), strict=True):
        column.width = cell.width = width
        _first_cell_paragraph(cell)
    _centred(left, document.parent_body(filing), size=12)
    _centred(left, document.issuing_body(filing), size=12, bold=True, underline=True)
    _centred(left, document.number(filing))
    _centred(right, words["nation"], size=12, bold=True)
    _centred(right, words["motto"], bold=True, underline=True)
    _centred(right, "")
    _centred(right, document.place_date(filing), italic=True)
    title = _centred(doc, document.title(filing), bold=True, size=14)
    title.paragraph_format.space_before = Pt(12)
    summary = _centred(doc, document.summary_line(filing), bold=True)
    summary.paragraph_format.space_after = Pt(12)


def _section(doc: DocumentObject, section: Section) -> None:
    heading = _paragraph(doc, section.heading, bold=True, indent=False)
    heading.paragraph_format.keep_with_next = True
    for p in section.paragraphs:
        _paragraph(doc, p)


def _shade(cell: _Cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _cell(
    cell: _Cell, value: str, *, bold: bool = False, right: bool = False, size: float = 11
) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text(value))
    run.bold = bold
    run.font.size = Pt(size)
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = None
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT


def _status_cell(cell: _Cell, code: str, filing: Filing, size: float = 11) -> None:
    term = STATUSES[code]
    _cell(cell, filing.labels.status(code), size=size)
    cell.paragraphs[0].runs[0].font.color.rgb = RGBColor.from_string(term.text.lstrip("#"))
    _shade(cell, term.background)


def _grid(doc: DocumentObject, rows: int, cols: int) -> Table:
    table: Table = doc.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    return table


def _summary(doc: DocumentObject, filing: Filing) -> None:
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    columns = document.summary_columns(filing)
    counts = [status_counts(r) for _, r in columns]
    statuses = [("maintain", s) for s in MAINTAIN_STATUSES] + [
        ("connect", s) for s in CONNECT_STATUSES
    ]
    table = _grid(doc, len(statuses) + 2, 2 + len(columns))
    head = table.rows[0].cells
    _cell(head[0], labels.column("kind"), bold=True)
    _cell(head[1], words["result"], bold=True)
    for i, (name, _) in enumerate(columns, start=2):
        _cell(head[i], name, bold=True)
    first_of: dict[str, int] = {}
    for r, (kind, status) in enumerate(statuses, start=1):
        cells = table.rows[r].cells
        if kind not in first_of:
            first_of[kind] = r
            _cell(cells[0], labels.kind(kind), bold=True)
        else:  # one cell for the kind, across its statuses (as in the PDF)
            table.cell(first_of[kind], 0).merge(cells[0])
        _status_cell(cells[1], status, filing)
        for i, c in enumerate(counts, start=2):
            _cell(cells[i], labels.integer(c[status]), right=True)
    last = table.rows[-1].cells
    _cell(last[0].merge(last[1]), words["total"], bold=True)
    for i, (_, column) in enumerate(columns, start=2):
        _cell(last[i], labels.integer(len(column)), right=True)
    doc.add_paragraph()


def _signature(doc: DocumentObject, filing: Filing) -> None:
    words = Phrases(PHRASES, filing.lang)
    table = doc.add_table(rows=1, cols=2)
    row = table.rows[0]
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # one page, whole
    left, right = row.cells
    left.width, right.width = Mm(75), Mm(90)
    for cell in (left, right):
        _first_cell_paragraph(cell)
    recipients = _paragraph(left, words["recipients"], bold=True, italic=True, size=12, align=None)
    recipients.paragraph_format.space_after = Pt(0)
    for line in document.recipients(filing):
        item = _paragraph(left, line, size=11, align=None)
        item.paragraph_format.space_after = Pt(0)
    titles, name = document.signer(filing)
    for t in titles:
        _centred(right, t, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _centred(right, "")
    _centred(right, name, bold=True)


def _annex_heading(doc: DocumentObject, filing: Filing, n: int, name: str) -> None:
    label, title, attached = document.annex_heading(filing, n, name)
    _centred(doc, label, bold=True)
    _centred(doc, title, bold=True)
    attached_paragraph = _centred(doc, attached, italic=True)
    attached_paragraph.paragraph_format.space_after = Pt(12)


def _by_department(doc: DocumentObject, filing: Filing) -> None:
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    statuses = (*MAINTAIN_STATUSES, *CONNECT_STATUSES)
    _paragraph(doc, words["by_department"], bold=True, indent=False)
    rows: list[list[Cell]] = [
        [
            Cell(name, bold=True, fill=HEAD_FILL)
            for name in [words["no"], labels.column("department_name"), words["obligations"]]
            + [labels.status(s) for s in statuses]
        ]
    ]
    for n, (department, lines) in enumerate(filing.departments, start=1):
        counts = status_counts(line.row for line in lines)
        cells = [Cell(str(n)), Cell(department.name), Cell(labels.integer(len(lines)), right=True)]
        for status in statuses:
            shown = labels.integer(counts[status]) if counts[status] else ""
            short = counts[status] and status not in ("compliant", "connected")
            fill = STATUSES[status].background if short else None
            cells.append(Cell(shown, right=True, fill=fill))
        rows.append(cells)
    _xml_table(doc, rows, [12, 68, 20] + [(WIDE - 100) / len(statuses)] * len(statuses))
    doc.add_paragraph()


def _details(doc: DocumentObject, filing: Filing) -> None:
    """Each department's obligations with their figures (a quarter: each month, then the
    quarter), and the excusals and probe-only days under each."""
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    quarter = filing.is_quarter
    headers = document.detail_headers(filing)
    if quarter:
        widths = [12.0, 50, 30, 26, 16, 16, 14, 16, 18, 14, 22, 0]
    else:
        widths = [12.0, 58, 35, 30, 16, 14, 16, 18, 14, 22, 0]
    widths[-1] = WIDE - sum(widths)
    for i, (department, lines) in enumerate(filing.departments, start=1):
        heading = _paragraph(
            doc, f"{i}. {text(department.name)} ({department.code})", bold=True, indent=False
        )
        heading.paragraph_format.keep_with_next = True
        if not lines:
            _paragraph(doc, words["no_rows"], indent=False)
            continue
        table_rows: list[list[Cell]] = [[Cell(name, bold=True, fill=HEAD_FILL) for name in headers]]
        notes: list[str] = []
        for n, line in enumerate(lines, start=1):
            row = line.row
            parts = document.detail_periods(line, filing)
            for k, (period, figures) in enumerate(parts):
                cells: list[Cell] = (
                    [
                        Cell(str(n)),
                        Cell(row.system_name),
                        Cell(row.basis),
                        Cell(labels.kind(row.kind)),
                    ]
                    if k == 0
                    else [Cell(""), Cell(""), Cell(""), Cell("")]
                )
                if quarter:
                    cells.append(Cell(period, bold=k == len(parts) - 1))
                cells += [Cell(value, right=True) for value in document.figures(figures, labels)]
                term = STATUSES[figures.status]
                cells.append(
                    Cell(labels.status(figures.status), fill=term.background, colour=term.text)
                )
                table_rows.append(cells)
            notes += [f"{n}. {note}" for note in document.duty_notes(row, filing)]
        _xml_table(doc, table_rows, widths)
        for note in notes:
            _paragraph(doc, note, size=10, indent=False)
        doc.add_paragraph()


@dataclass(frozen=True)
class Cell:
    """A table cell of the detail annex, 10 pt."""

    value: str
    bold: bool = False
    right: bool = False
    fill: str | None = None  # hex background
    colour: str | None = None  # hex text


TWIPS_PER_MM = 1440 / 25.4


def _xml_table(
    doc: DocumentObject, rows: Sequence[Sequence[Cell]], widths: Sequence[float]
) -> None:
    """A grid table of `rows` (the first repeated on each page), columns `widths` mm wide."""
    table = doc.add_table(rows=0, cols=len(widths))
    style = OxmlElement("w:tblStyle")
    style.set(qn("w:val"), "TableGrid")  # Word's "Table Grid", in python-docx's template
    table._tbl.tblPr.insert(0, style)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    twips = [round(w * TWIPS_PER_MM) for w in widths]
    for n, cells in enumerate(rows):
        row = parse_xml(_row_xml(cells, twips, header=n == 0))
        table._tbl.append(row)


def _row_xml(cells: Sequence[Cell], twips: Sequence[int], header: bool = False) -> str:
    """One table row as WordprocessingML: a thousand obligations' rows are written in a
    second this way, where python-docx's cell by cell API took twenty."""
    parts = [f"<w:tr {nsdecls('w')}>"]
    if header:  # repeated at the top of each page the table runs onto
        parts.append("<w:trPr><w:tblHeader/></w:trPr>")
    for cell, width in zip(cells, twips, strict=True):
        shading = (
            f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.fill[1:]}"/>' if cell.fill else ""
        )
        align = '<w:jc w:val="right"/>' if cell.right else ""
        bold = "<w:b/>" if cell.bold else ""
        colour = f'<w:color w:val="{cell.colour[1:]}"/>' if cell.colour else ""
        run = (
            f'<w:r><w:rPr>{bold}{colour}<w:sz w:val="20"/></w:rPr>'
            f'<w:t xml:space="preserve">{escape(text(cell.value))}</w:t></w:r>'
            if cell.value
            else ""
        )
        parts.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shading}</w:tcPr>'
            f'<w:p><w:pPr><w:spacing w:after="0"/><w:ind w:firstLine="0"/>{align}</w:pPr>'
            f"{run}</w:p></w:tc>"
        )
    parts.append("</w:tr>")
    return "".join(parts)
