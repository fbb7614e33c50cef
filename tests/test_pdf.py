"""The PDF export, read as a person's tools read it: poppler's pdftotext, pdffonts, pdftoppm.

Its pages are rendered to PNG under artifacts/pdf/ so a person can look at them.
"""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from compliance.packs import department_pack
from compliance.periods import Month, Quarter
from compliance.quarterly import QuarterReport, build_quarter_report
from compliance.report import Report, build_report
from compliance.rules import ComplianceRow
from registry import Registry, load_files, public_holidays
from reports import Filing, write_export_file
from reports.pdf import layout
from reports.provenance import Provenance
from reports.words import Labels, Lang
from tests.readback import pdf_pages_to_png, pdf_text

NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
SOURCE = Provenance(
    registry="bundled bac-ninh (national/systems.yml, bac-ninh/province.yml; sha256 0123abcd)",
    database="sqlite:///store.db",
    software="lienthong 0.1.0, holidays 0.0",
)


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def render(
    report: Report | QuarterReport, registry: Registry, folder: Path, name: str, lang: Lang = "vi"
) -> tuple[Path, str]:
    path = folder / f"{name}.pdf"
    write_export_file("pdf", Filing(report, registry, SOURCE, lang), path)
    return path, pdf_text(path)


def figures(r: ComplianceRow, labels: Labels) -> str:
    """The row's figures as the PDF prints them, in its column order."""
    return " ".join(
        [
            labels.integer(r.required_days),
            labels.integer(r.met_days),
            labels.percent(r.ratio),
            labels.integer(r.successes),
            labels.integer(r.failures),
        ]
    )


def test_month_pdf_names_figures_and_pages(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path, store_url: str
) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path, text = render(
        report, bac_ninh, tmp_path, f"month-2026-09-{store_url.split(':')[0].split('+')[0]}"
    )
    labels = Labels("vi")

    assert "BÁO CÁO" in text and "Tháng 9 năm 2026" in text
    assert "ỦY BAN NHÂN DÂN TỈNH BẮC NINH" in text
    # Issued (2 November 2026) by the standing department of that day.
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text and "THÔNG TIN VÀ TRUYỀN THÔNG" not in text
    assert "Số liệu tính đến hết ngày 30/09/2026" in text
    assert "lập tự động lúc 08:30:00 02/11/2026" in text
    assert "Số: ……/BC" in text and "Nơi nhận:" in text and "- Lưu: VT." in text
    # The database URL and the registry's digest: in the method annex, not on page 1.
    first_page = text.split("Trang 1/")[0]
    annex = text[text.index("III. CÁCH TÍNH SỐ LIỆU") :]
    assert SOURCE.database not in first_page and "sha256" not in first_page
    assert SOURCE.registry in annex and SOURCE.database in annex
    # No English codes in the Vietnamese text: the zone by its offset, sources by their names.
    assert "múi giờ UTC+07:00" in text and "Asia/Ho_Chi_Minh" not in text
    assert "thăm dò probe" not in text and "khóa evidence" not in text
    owing = {row.department for row in report.rows}
    for department in bac_ninh.departments:
        if department.code in owing:
            assert nfc(department.name) in text
    for row in report.rows:
        assert nfc(row.system_name) in text
        assert nfc(row.basis) in text
        # Each obligation's figures, in a row, then its status word.
        assert f"{figures(row, labels)} " in text
    statuses = {r.status for r in report.rows}
    for status in statuses:
        assert labels.status(status) in text
    # The summary: how many obligations ended in each status.
    maintain = [r for r in report.rows if r.kind == "maintain"]
    shown = f"{len(report.rows)} nhiệm vụ của {len(owing)} đơn vị: {len(maintain)} nhiệm vụ duy trì"
    assert len(owing) == 9 and shown in text
    # Holidays with their Vietnamese names, in the "how computed" part.
    holidays = public_holidays(date(2026, 9, 1), date(2026, 9, 30))
    assert [d.day for d, _ in holidays] == [1, 2]  # Quốc khánh, 2 September and the day before
    assert "; ".join(f"{labels.date(d)} {nfc(name)}" for d, name in holidays) in text

    pages = int(_pdfinfo(path)["Pages"])
    assert pages >= 3
    for n in range(1, pages + 1):
        assert f"Trang {n}/{pages}" in text

    pngs = pdf_pages_to_png(path, artifacts / "pdf")
    assert len(pngs) == pages
    print(f"\nPDF pages for a person to look at: {artifacts / 'pdf'}")


def test_fonts_are_embedded(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path, _ = render(report, bac_ninh, tmp_path, "fonts")
    listing = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for line in listing:
        name, *_rest = line.split()
        emb, _sub, uni = line.split()[-5:-2]
        assert (emb, uni) == ("yes", "yes"), line
        assert "DejaVuSansCondensed" in name


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_quarter_pdf_shows_each_month_and_the_quarter(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    report = build_quarter_report(varied, bac_ninh, Quarter(2026, 3), now=NOW)
    path, text = render(report, bac_ninh, tmp_path, "quarter-2026Q3")
    labels = Labels("vi")
    assert "Quý III năm 2026" in text
    assert (
        "Hạn gửi báo cáo quý: trước ngày 25 của tháng cuối quý, tức chậm nhất ngày 24/09/2026"
        in text
    )
    for row, months in zip(report.rows, report.row_months, strict=True):
        for month, part in zip(("T7/2026", "T8/2026", "T9/2026"), months, strict=True):
            assert f"{month} {figures(part, labels)}" in text
        assert f"Quý III {figures(row, labels)}" in text
    pdf_pages_to_png(path, artifacts / "pdf")


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_department_pack_and_english(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    report = department_pack(
        build_report(varied, bac_ninh, Month(2026, 9), now=NOW), bac_ninh, "so-tuphap"
    )
    path, text = render(report, bac_ninh, tmp_path, "pack-so-tuphap-2026-09")
    assert "Đơn vị: Sở Tư pháp" in text
    assert "Sở Y tế" not in text
    assert all(nfc(r.system_name) in text for r in report.rows)
    pdf_pages_to_png(path, artifacts / "pdf")

    english, text = render(report, bac_ninh, tmp_path, "pack-so-tuphap-2026-09-en", "en")
    assert "REPORT" in text and "September 2026" in text
    assert "Department: Sở Tư pháp" in text
    pages = int(_pdfinfo(english)["Pages"])
    assert f"Page {pages} of {pages}" in text
    labels = Labels("en")
    for row in report.rows:
        last = labels.datetime(row.last_success) if row.last_success else "—"
        assert f"{figures(row, labels)} {last} {labels.status(row.status)}" in text
    pdf_pages_to_png(english, artifacts / "pdf")


def _pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_large_department_is_listed_whole_and_numbered_through(
    engine: Engine, tmp_path: Path
) -> None:
    # More obligations than one table takes (ReportLab lays a table out in time quadratic
    # in its rows): every one listed, in order, numbered 1 to 45 across the tables.
    count = 45
    document = {
        "version": 1,
        "province": {"code": "24", "name": "Bắc Ninh"},
        "systems": [{"code": f"sys-{i}", "name": f"Hệ thống {i}", "owner": "Bộ"} for i in range(count)],
        "departments": [{"code": "so-lon", "name": "Sở Lớn"}],
        "obligations": [
            {"department": "so-lon", "system": f"sys-{i}", "kind": "maintain", "basis": "Điều 6"}
            for i in range(count)
        ],
    }  # fmt: skip
    path = tmp_path / "registry.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    registry = load_files([path])
    report = build_report(engine, registry, Month(2026, 10), now=NOW)
    _, text = render(report, registry, tmp_path, "large-department")
    at = [text.find(f" {n} Hệ thống {n - 1} ") for n in range(1, count + 1)]
    assert -1 not in at and at == sorted(at)
    assert count > layout.TABLE_OBLIGATIONS  # more than one table
