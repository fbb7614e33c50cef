"""The national ranking written out: JSON and CSV for software, XLSX and PDF for people, in
the user's language (`--lang`; the words are in i18n/locale/vi/LC_MESSAGES/service.po)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import IO, Any
from xml.sax.saxutils import escape

from compliance.periods import Month
from i18n import N_, _, current_lang
from reports.national import NationalReport, Share, as_json
from reports.words import Labels

TITLE = N_(
    "Ranking of compliance in connecting and sharing data with the national information systems"
)
PROVINCE_HEAD = (
    N_("Rank"),
    N_("Code"),
    N_("Province or city"),
    N_("Figures as of"),
    N_("Duties"),
    N_("Duties met"),
    N_("Share met"),
)
SYSTEM_HEAD = (N_("Code"), N_("National system"), N_("Duties"), N_("Duties met"), N_("Share met"))
LAPSE_HEAD = (N_("Province or city"), N_("Department"), N_("System"), N_("Status"), N_("Ratio"))
EXCUSED_HEAD = (N_("System down in every province"), N_("Provinces"), N_("Excused days"))
CSV_FIELDS = (
    "province",
    "province_name",
    "province_rank",
    "province_share",
    "system",
    "system_name",
    "applicable",
    "compliant",
    "share",
)


def ratio_text(ratio: float | None) -> str:
    """'87,5 %' (Vietnamese decimal comma; '87.5 %' in English), or '—' when nothing applied."""
    if ratio is None:
        return "—"
    text = f"{ratio * 100:.1f} %"
    return text if current_lang() == "en" else text.replace(".", ",")


def percent(share: Share) -> str:
    return ratio_text(share.ratio)


def _day(iso: str) -> str:
    return Labels(current_lang()).date(date.fromisoformat(iso))


def month_title(month: str) -> str:
    return Labels(current_lang()).period(Month.parse(month))


def write_json(report: NationalReport, out: IO[bytes]) -> None:
    out.write((json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n").encode())


def write_csv(report: NationalReport, out: IO[bytes]) -> None:
    """One row per province × national system, with the province's rank and share."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    systems = {s.code: s.name for s in report.systems}
    for p in report.provinces:
        for (code, system), share in sorted(report.cells.items()):
            if code != p.code:
                continue
            writer.writerow(
                {
                    "province": p.code,
                    "province_name": p.name,
                    "province_rank": p.rank,
                    "province_share": "" if p.share.ratio is None else p.share.ratio,
                    "system": system,
                    "system_name": systems[system],
                    "applicable": share.applicable,
                    "compliant": share.met,
                    "share": "" if share.ratio is None else share.ratio,
                }
            )
    out.write(text.getvalue().encode())


def _tables(report: NationalReport) -> list[tuple[str, Sequence[str], list[list[Any]]]]:
    """The four tables every human format shows: (heading, columns, rows)."""
    status = Labels(current_lang()).status
    systems = {s.code: s.name for s in report.systems}
    provinces = [
        [p.rank, p.code, p.name, _day(p.as_of), p.share.applicable, p.share.met, percent(p.share)]
        for p in report.provinces
    ]
    # System codes head the columns: the names, in the table after, are too long for a grid.
    matrix_head = (_("Province or city"), *systems)
    matrix = [
        [p.name, *(percent(report.cells.get((p.code, s), Share())) for s in systems)]
        for p in report.provinces
    ]
    by_system = [
        [s.name, s.share.applicable, s.share.met, percent(s.share)] for s in report.systems
    ]
    lapses = [
        [x.province_name, x.department_name, x.system_name, status(x.status), ratio_text(x.ratio)]
        for x in report.lapses
    ]
    excused = [[e.name, e.provinces, e.excused_days] for e in report.excused_everywhere]

    def heads(names: Sequence[str]) -> list[str]:
        return [_(name) for name in names]

    return [
        (_("The provinces and cities ranked"), heads(PROVINCE_HEAD), provinces),
        (_("Share met by province and system"), matrix_head, matrix),
        (_("The national information systems"), heads(SYSTEM_HEAD), by_system),
        (_("Departments falling short"), heads(LAPSE_HEAD), lapses),
        (_("Systems down in every province (excused days)"), heads(EXCUSED_HEAD), excused),
    ]


# Sheet names: 31 characters at most (Excel's limit).
SHEET_NAMES = (N_("Ranking"), N_("Province × system"), N_("Systems"), N_("Falling short"),
               N_("Outages"))  # fmt: skip


def write_xlsx(report: NationalReport, out: IO[bytes]) -> None:
    # openpyxl and reportlab imported when a file is written: every command loads this
    # module (`lienthong serve` too, where they took a fifth of a second of its start).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = True
    for sheet_name, (heading, head, rows) in zip(SHEET_NAMES, _tables(report), strict=True):
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = _(sheet_name)
        sheet.append([f"{_(TITLE)} — {month_title(report.month)}"])
        sheet.append([heading])
        sheet.append(list(head))
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet["A1"].font = Font(bold=True, size=13)
    book.save(out)


def write_pdf(report: NationalReport, out: IO[bytes]) -> None:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from reports.pdf.styles import (
        BOTTOM,
        CELL,
        CELL_RIGHT,
        FONT,
        GRID,
        HEAD,
        HEAD_FILL,
        HEADING,
        LEFT,
        PERIOD,
        RIGHT,
        TOP,
        WIDE_PAGE,
        WIDE_WIDTH,
        register_fonts,
    )
    from reports.pdf.styles import TITLE as TITLE_STYLE

    register_fonts()
    story: list[Any] = [
        Paragraph(escape(_(TITLE)), TITLE_STYLE),
        Paragraph(escape(month_title(report.month)), PERIOD),
    ]
    for heading, head, rows in _tables(report):
        story.append(Paragraph(escape(heading), HEADING))
        if not rows:
            story.append(Paragraph(escape(_("None.")), CELL))
            continue
        data = [[Paragraph(escape(str(h)), HEAD) for h in head]] + [
            [Paragraph(escape(str(v)), CELL_RIGHT if isinstance(v, int) else CELL) for v in row]
            for row in rows
        ]
        # The first column (names) gets room; the rest share the width evenly.
        first = 40 * mm
        rest = (WIDE_WIDTH - first) / (len(head) - 1)
        table = Table(data, repeatRows=1, colWidths=[first, *([rest] * (len(head) - 1))])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                    ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.extend([table, Spacer(1, 4 * mm)])
    doc = SimpleDocTemplate(
        out,
        pagesize=WIDE_PAGE,  # a table of many columns: A4 landscape
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{_(TITLE)} — {month_title(report.month)}",
        lang=current_lang(),
    )
    doc.build(story)


NATIONAL_FORMATS: dict[str, Callable[[NationalReport, IO[bytes]], None]] = {
    "json": write_json,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "pdf": write_pdf,
}
