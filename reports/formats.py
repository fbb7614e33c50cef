"""The report's formats, one table: adding a format is a writer module and one line here."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from compliance.quarterly import QuarterReport
from compliance.report import Report
from reports.files import write_atomically
from reports.filing import Filing
from reports.tabular import write_csv, write_json

Format = Literal["json", "csv", "xlsx", "pdf", "docx"]


@dataclass(frozen=True)
class ReportFormat:
    write: Callable[[Filing, IO[bytes]], None]
    binary: bool  # never written to a terminal


def _as_utf8(
    write: Callable[[Report | QuarterReport, IO[str]], None],
) -> Callable[[Filing, IO[bytes]], None]:
    """A text writer of the report's figures as a writer of UTF-8 bytes."""

    def write_bytes(filing: Filing, out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            write(filing.report, text)
            text.flush()
        finally:
            text.detach()  # the caller owns `out`

    return write_bytes


# openpyxl, reportlab and python-docx imported when a file is written, not with this module: every
# command loads it (`lienthong serve` too, where they took a fifth of a second of its start).
def _write_xlsx(filing: Filing, out: IO[bytes]) -> None:
    from reports.xlsx import write_xlsx

    write_xlsx(filing, out)


def _write_pdf(filing: Filing, out: IO[bytes]) -> None:
    from reports.pdf import write_pdf

    write_pdf(filing, out)


def _write_docx(filing: Filing, out: IO[bytes]) -> None:
    from reports.docx import write_docx

    write_docx(filing, out)


FORMATS: dict[Format, ReportFormat] = {
    "json": ReportFormat(_as_utf8(write_json), binary=False),
    "csv": ReportFormat(_as_utf8(write_csv), binary=False),
    "xlsx": ReportFormat(_write_xlsx, binary=True),
    "pdf": ReportFormat(_write_pdf, binary=True),
    "docx": ReportFormat(_write_docx, binary=True),  # the PDF's document, editable in Word
}


def write_export(fmt: Format, filing: Filing, out: IO[bytes]) -> None:
    """Write the report in `fmt` to a binary stream (JSON and CSV as UTF-8)."""
    FORMATS[fmt].write(filing, out)


def write_export_file(fmt: Format, filing: Filing, path: Path) -> None:
    """Write the report in `fmt` to `path` atomically."""
    write_atomically(path, lambda f: write_export(fmt, filing, f))
