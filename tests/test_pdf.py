"""The PDF export, read as a person's tools read it: poppler's pdftotext, pdffonts, pdftoppm.

Its pages are rendered to PNG under artifacts/pdf/ so a person can look at them.
"""

from __future__ import annotations

import re
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
from reports.document import person
from reports.filing import NO_SETTINGS
from reports.pdf import layout
from reports.provenance import Provenance
from reports.settings import ReportSettings
from reports.words import Labels, Lang
from tests.readback import pdf_pages_to_png, pdf_text

NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
SOURCE = Provenance(
    registry="bac-ninh",
    database="sqlite:///store.db",
    software="lienthong 0.1.0",
    files=("national/systems.yml", "bac-ninh/province.yml"),
    digest="0123abcdef01",
    bundled=True,
)
# What the config's [report] table gives (contract 1.2).
SIGNED = ReportSettings(
    document_code="SKHCN",
    signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    signer_name="Nguyễn Văn Minh",
    recipients=("- UBND tỉnh (để báo cáo);", "- Các sở, ngành (để thực hiện);", "- Lưu: VT, CĐS."),
)
# English technical words that must never reach the Vietnamese document (issue 30).
TECHNICAL = ("bundled", "sha256", "sqlite:///", "holidays", "explain token", "lt_", "postgresql://")


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def render(
    report: Report | QuarterReport,
    registry: Registry,
    folder: Path,
    name: str,
    lang: Lang = "vi",
    document: ReportSettings = NO_SETTINGS,
) -> tuple[Path, str]:
    path = folder / f"{name}.pdf"
    write_export_file("pdf", Filing(report, registry, SOURCE, lang, document), path)
    return path, pdf_text(path)


def page_text(path: Path, n: int) -> str:
    """Page n's text, whitespace collapsed."""
    raw = subprocess.run(
        ["pdftotext", "-f", str(n), "-l", str(n), "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(unicodedata.normalize("NFC", raw).split())


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

    assert "BÁO CÁO" in text and "tháng 9 năm 2026" in text
    assert "ỦY BAN NHÂN DÂN TỈNH BẮC NINH" in text
    # Issued (2 November 2026) by the standing department of that day.
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text and "THÔNG TIN VÀ TRUYỀN THÔNG" not in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc" in text
    assert "Bắc Ninh, ngày 02 tháng 11 năm 2026" in text
    assert "đến hết ngày 30/09/2026" in text
    # No [report] table: dotted blanks for the office to fill in, the usual recipients.
    assert "Số: ……/BC-……" in text and "Nơi nhận:" in text and "- Lưu: VT." in text
    assert "- UBND tỉnh Bắc Ninh (để báo cáo);" in text
    assert "I. TÌNH HÌNH THỰC HIỆN" in text and "II. ĐÁNH GIÁ" in text
    assert "III. ĐỀ XUẤT, KIẾN NGHỊ" in text
    # The database and the registry's fingerprint: in the method annex, not on page 1.
    first_page = page_text(path, 1)
    annex = text[text.index("PHƯƠNG PHÁP VÀ NGUỒN SỐ LIỆU") :]
    assert "store.db" not in first_page and "0123abcdef01" not in first_page
    assert "Cơ sở dữ liệu: tệp SQLite store.db." in annex
    assert (
        "Mã kiểm tra nội dung sổ đăng ký (để đối chiếu sổ không bị thay đổi): 0123abcdef01" in annex
    )
    assert "bộ sổ đăng ký kèm theo phần mềm “bac-ninh”" in annex
    # No English technical words, no time zone by its tz name, in the Vietnamese document.
    assert "múi giờ UTC+07:00" in text and "Asia/Ho_Chi_Minh" not in text
    for word in TECHNICAL:
        assert word not in text.lower(), word
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
    # The assessment names each department that fell short, with its days.
    for row in report.rows:
        if row.status in ("partial", "non_compliant"):
            assert (
                f"{nfc(row.system_name)}: đạt {row.met_days}/{row.required_days} ngày phải có giao"
                f" dịch ({labels.percent(row.ratio)}), {row.required_days - row.met_days} ngày"
                " không có đủ giao dịch thành công"
            ) in text
    # Holidays with their Vietnamese names, in the "how computed" part.
    holidays = public_holidays(date(2026, 9, 1), date(2026, 9, 30))
    assert [d.day for d, _ in holidays] == [1, 2]  # Quốc khánh, 2 September and the day before
    assert "; ".join(f"{labels.date(d)} {nfc(name)}" for d, name in holidays) in text

    pages = int(_pdfinfo(path)["Pages"])
    assert pages >= 3
    # Page numbers centred at the top, from page 2 (Phụ lục I of the Decree).
    for n in range(2, pages + 1):
        assert page_text(path, n).startswith(f"{n} "), n

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
        # A Times-metric serif, shipped with the package (not the machine's fonts).
        assert "LiberationSerif" in name


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_quarter_pdf_shows_each_month_and_the_quarter(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    report = build_quarter_report(varied, bac_ninh, Quarter(2026, 3), now=NOW)
    path, text = render(report, bac_ninh, tmp_path, "quarter-2026Q3")
    labels = Labels("vi")
    assert "quý III năm 2026" in text
    assert (
        "Hạn gửi báo cáo quý: trước ngày 25 của tháng cuối quý, tức chậm nhất ngày 24/09/2026"
        in text
    )
    for row, months in zip(report.rows, report.row_months, strict=True):
        for month, part in zip(("T7/2026", "T8/2026", "T9/2026"), months, strict=True):
            assert f"{month} {figures(part, labels)}" in text
        assert f"Quý III {figures(row, labels)}" in text
    pdf_pages_to_png(path, artifacts / "pdf")
    # The DOCX: each month's row, then the quarter's, with the same figures.
    from docx import Document

    word = tmp_path / "quarter.docx"
    write_export_file("docx", Filing(report, bac_ninh, SOURCE), word)
    rows = [[c.text for c in r.cells] for t in Document(str(word)).tables for r in t.rows]
    for row in report.rows:
        assert any(
            len(r) == 12 and r[4] == "Quý III" and r[5:10] == figures(row, labels).split(" ")
            for r in rows
        ), row.system


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_department_pack_and_english(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    report = department_pack(
        build_report(varied, bac_ninh, Month(2026, 9), now=NOW), bac_ninh, "so-tuphap"
    )
    path, text = render(report, bac_ninh, tmp_path, "pack-so-tuphap-2026-09")
    # The pack's department in the title's summary line.
    assert "quốc gia tháng 9 năm 2026 (Sở Tư pháp)" in text
    assert "Sở Y tế" not in text
    assert all(nfc(r.system_name) in text for r in report.rows)
    pdf_pages_to_png(path, artifacts / "pdf")

    english, text = render(report, bac_ninh, tmp_path, "pack-so-tuphap-2026-09-en", "en")
    assert "REPORT" in text and "September 2026 (Sở Tư pháp)" in text
    assert "PEOPLE'S COMMITTEE OF BẮC NINH PROVINCE" in text and "No.: ……/BC-……" in text
    assert "II. ASSESSMENT" in text and "Recipients:" in text
    assert "Bắc Ninh, November 2, 2026" in text
    labels = Labels("en")
    for row in report.rows:
        last = labels.datetime(row.last_success) if row.last_success else "—"
        assert f"{figures(row, labels)} {last} {labels.status(row.status)}" in text
    pdf_pages_to_png(english, artifacts / "pdf")


def _page_sizes(path: Path, pages: int) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, as pdfinfo gives them."""
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out, re.MULTILINE)
    return [(float(w), float(h)) for w, h in found]


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


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_filed_document_follows_decree_30(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    """Nghị định 30/2020, Phụ lục I: A4 portrait, the config's code, signer and recipients,
    the signature on the page of the text's end."""
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path, text = render(report, bac_ninh, tmp_path, "decree-30", document=SIGNED)
    pages = int(_pdfinfo(path)["Pages"])
    sizes = _page_sizes(path, pages)
    assert sizes[0] == (595.276, 841.89)  # A4 portrait
    assert "Số: ……/BC-SKHCN" in text
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in text and "Nguyễn Văn Minh" in text
    assert "- Lưu: VT, CĐS." in text and "- UBND tỉnh Bắc Ninh" not in text
    signed = [n for n in range(1, pages + 1) if "Nguyễn Văn Minh" in page_text(path, n)]
    assert len(signed) == 1
    page = page_text(path, signed[0])
    # Never a signature alone: the closing sentence of the text is on the signer's page.
    assert "Trên đây là báo cáo tình hình duy trì kết nối" in page
    assert page.index("Trên đây là báo cáo") < page.index("Nguyễn Văn Minh")
    # The detail annex is landscape; the method annex portrait again, the last page.
    assert (841.89, 595.276) in sizes  # A4 landscape
    assert sizes[-1] == (595.276, 841.89)
    assert "PHƯƠNG PHÁP VÀ NGUỒN SỐ LIỆU" in text
    for word in TECHNICAL:
        assert word not in text.lower(), word
    pdf_pages_to_png(path, artifacts / "pdf")


def test_a_centrally_run_city_is_a_city(engine: Engine, tmp_path: Path) -> None:
    """Huế has been a centrally-run city since 2025-01-01: "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ"."""
    from registry import load_registry

    hue = load_registry("hue")
    report = build_report(engine, hue, Month(2026, 9), now=NOW)
    _, text = render(report, hue, tmp_path, "hue")
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ" in text and "TỈNH HUẾ" not in text
    assert "- UBND thành phố Huế (để báo cáo);" in text
    assert "Huế, ngày 02 tháng 11 năm 2026" in text
    _, bac_ninh_text = render(
        build_report(engine, load_registry("bac-ninh"), Month(2026, 9), now=NOW),
        load_registry("bac-ninh"),
        tmp_path,
        "bac-ninh",
    )
    assert "ỦY BAN NHÂN DÂN TỈNH BẮC NINH" in bac_ninh_text


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_docx_is_the_same_document(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    """The văn thư's editable copy: python-docx reads the same heading, figures and signer."""
    from docx import Document
    from docx.shared import Length

    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path = artifacts / "decree-30.docx"
    write_export_file("docx", Filing(report, bac_ninh, SOURCE, "vi", SIGNED), path)
    _, pdf_words = render(report, bac_ninh, tmp_path, "decree-30-docx", document=SIGNED)
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    cells = [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]
    everything = " ".join(paragraphs + [c for row in cells for c in row])
    for phrase in (
        "ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: ……/BC-SKHCN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Bắc Ninh, ngày 02 tháng 11 năm 2026",
        "BÁO CÁO",
        "II. ĐÁNH GIÁ",
        "III. ĐỀ XUẤT, KIẾN NGHỊ",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Văn Minh",
        "- Lưu: VT, CĐS.",
        "PHƯƠNG PHÁP VÀ NGUỒN SỐ LIỆU",
    ):
        assert phrase in everything, phrase
        assert phrase in pdf_words, phrase
    # The assessment's sentences are the PDF's, word for word.
    assessment = paragraphs[
        paragraphs.index("II. ĐÁNH GIÁ") + 1 : paragraphs.index("III. ĐỀ XUẤT, KIẾN NGHỊ")
    ]
    assert assessment and all(" ".join(p.split()) in pdf_words for p in assessment)
    # Each obligation's figures, in a row of the detail tables, as in the PDF.
    labels = Labels("vi")
    for row in report.rows:
        wanted = [
            labels.integer(row.required_days),
            labels.integer(row.met_days),
            labels.percent(row.ratio),
            labels.integer(row.successes),
            labels.integer(row.failures),
        ]
        assert any(
            nfc(row.system_name) in r and r[4:9] == wanted and r[-1] == labels.status(row.status)
            for r in cells
        ), row.system
    for word in TECHNICAL:
        assert word not in everything.lower(), word
    # A4 portrait with the Decree's margins; the detail annex landscape.
    first, wide, last = doc.sections

    def mm(*lengths: Length | None) -> list[int]:  # Word keeps lengths in twips
        return [round(length.mm) for length in lengths if length is not None]

    assert mm(first.page_width, first.page_height) == [210, 297]
    assert mm(first.top_margin, first.bottom_margin) == [20, 20]
    assert mm(first.left_margin, first.right_margin) == [30, 15]
    assert mm(wide.page_width, last.page_width) == [297, 210]
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 13


def test_an_explanation_is_named_by_its_department_not_its_code(bac_ninh: Registry) -> None:
    # The giải trình page records its author as exporter/web.py writes it.
    by = "so-taichinh (explain token lt_AbCdEf12…, chị Lan, CNTT)"
    shown = person(by, bac_ninh, "vi")
    assert shown == "Sở Tài chính (giải trình trên trang của đơn vị, chị Lan, CNTT)"
    assert person("so-taichinh (explain token lt_AbCdEf12…)", bac_ninh, "en") == (
        "Sở Tài chính (explanation from its page)"
    )
    assert person("Nguyễn Văn An", bac_ninh, "vi") == "Nguyễn Văn An"
