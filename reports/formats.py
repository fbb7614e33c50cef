"""Writing a report in any of the four formats, to a stream or atomically to a file."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Literal

from reports.filing import Filing
from reports.pdf import write_pdf
from reports.tabular import write_csv, write_json
from reports.xlsx import write_xlsx

Format = Literal["json", "csv", "xlsx", "pdf"]
FORMATS: tuple[Format, ...] = ("json", "csv", "xlsx", "pdf")
BINARY_FORMATS: tuple[Format, ...] = ("xlsx", "pdf")


def write_export(fmt: Format, filing: Filing, out: IO[bytes]) -> None:
    """Write the report in `fmt` to a binary stream (JSON and CSV as UTF-8)."""
    if fmt == "xlsx":
        write_xlsx(filing, out)
    elif fmt == "pdf":
        write_pdf(filing, out)
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            (write_json if fmt == "json" else write_csv)(filing.report, text)
            text.flush()
        finally:
            text.detach()  # the caller owns `out`


def write_export_file(fmt: Format, filing: Filing, path: Path) -> None:
    """Write through a temporary file renamed into place: a reader never sees half a report,
    and a crash leaves the previous file (if any) whole."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with tmp.open("wb") as f:
            write_export(fmt, filing, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
