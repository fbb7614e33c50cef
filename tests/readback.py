"""Reading the people's formats back, as a person's tools would: openpyxl and poppler."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from compliance.platforms import platform_names
from i18n.glossary import STATUSES
from registry.model import PLATFORMS
from reports.words import COLUMNS, KINDS, Labels, Lang
from reports.xlsx import FIRST_DATA_ROW, HEADER_ROW


def xlsx_rows(
    source: Path | Workbook, sheet: str | int = 0, lang: Lang = "vi"
) -> list[dict[str, Any]]:
    """A table sheet's rows as the JSON report's fields (labels mapped back to codes)."""
    workbook = load_workbook(source) if isinstance(source, Path) else source
    ws = workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]
    labels = Labels(lang)
    by_header = {labels.column(k): k for k in COLUMNS}
    headers = [by_header[c.value] for c in ws[HEADER_ROW] if c.value is not None]
    kinds = {labels.kind(k): k for k in KINDS}
    statuses = {labels.status(k): k for k in STATUSES}
    # The platforms' names back to the JSON's codes; the required platform is not in JSON.
    platforms = {platform_names([p], lang): p for p in PLATFORMS}
    rows = []
    for values in ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        if all(v is None for v in values):
            continue
        row = dict(zip(headers, values, strict=False))
        row["kind"] = kinds[row["kind"]]
        row["status"] = statuses[row["status"]]
        shown = row["platforms"]
        row["platforms"] = ";".join(platforms[p] for p in shown.split(", ")) if shown else ""
        row.pop("required_platform", None)
        rows.append(row)
    return rows


def json_row_as_xlsx(row: dict[str, Any]) -> dict[str, Any]:
    """What the XLSX holds for a JSON row: local wall-clock times, to the second."""
    shown = dict(row)
    for key in ("first_success", "last_success"):
        if shown[key] is not None:
            t = datetime.fromisoformat(shown[key])
            shown[key] = t.replace(tzinfo=None, microsecond=0)
    return shown


def pdf_text(path: Path) -> str:
    """The PDF's text in reading order, whitespace collapsed (names may wrap in cells)."""
    raw = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


def pdf_pages_to_png(path: Path, folder: Path, resolution: int = 60) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{path.stem}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", str(path), str(folder / path.stem)],
        check=True,
        capture_output=True,
    )
    return sorted(folder.glob(f"{path.stem}-*.png"))
