"""The XLSX export, read back with openpyxl: exactly the JSON report's figures, for people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine

from compliance.packs import department_pack
from compliance.periods import Month, Quarter
from compliance.quarterly import build_quarter_report
from compliance.report import build_report
from registry import Registry, public_holidays
from reports import Filing, report_as_dict, write_export_file
from reports.provenance import Provenance
from reports.tabular import quarter_as_dict
from tests.readback import json_row_as_xlsx, xlsx_rows

NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
SOURCE = Provenance(registry="bac-ninh", database="sqlite:///test.db", software="test")


def test_month_sheets_carry_the_json_figures(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path = tmp_path / "report.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE), path)

    expected = [json_row_as_xlsx(r) for r in report_as_dict(report)["rows"]]
    assert xlsx_rows(path, "Tổng hợp") == expected
    # Every status shows up in this data, so every label and colour is exercised.
    assert {r["status"] for r in expected} >= {
        "compliant",
        "partial",
        "non_compliant",
        "connected",
        "not_connected",
    }
    # Each department's sheet, named by the department's Vietnamese name, holds its rows.
    workbook = load_workbook(path)
    for department in {r["department"] for r in expected}:
        mine = [r for r in expected if r["department"] == department]
        name = bac_ninh.department(department).name[:31]  # Excel's limit
        assert xlsx_rows(workbook, name) == mine
    assert workbook.sheetnames[-1] == "Cách tính"


def test_every_sheet_prints_on_a4_with_page_numbers(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    for lang, page in (("vi", "Trang &P/&N"), ("en", "Page &P of &N")):
        path = tmp_path / f"report-{lang}.xlsx"
        write_export_file("xlsx", Filing(report, bac_ninh, SOURCE, lang), path)
        workbook = load_workbook(path)
        for ws in workbook.worksheets:
            assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, ws.title  # 9: A4
            # Excel's codes: &P this page, &N the number of pages.
            assert ws.oddFooter.center.text == page, ws.title
        if lang == "vi":
            assert workbook.sheetnames[:2] == ["Tổng hợp", "Sở Khoa học và Công nghệ"]
            assert "Sở Tư pháp" in workbook.sheetnames
        else:
            assert workbook.sheetnames[0] == "Summary"
            assert workbook.sheetnames[-1] == "How computed"


def test_cells_are_typed_frozen_filtered_and_coloured(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path = tmp_path / "report.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE), path)
    ws = load_workbook(path)["Tổng hợp"]
    headers = [c.value for c in ws[4]]
    assert headers[:3] == ["Mã đơn vị", "Đơn vị", "Mã hệ thống"]
    assert ws.freeze_panes == "A5"
    # contract 1.1: two more; 1.2: the platforms, and the platform the law requires
    assert ws.auto_filter.ref == f"A4:S{4 + len(report.rows)}"
    row = {h: ws.cell(5, i + 1) for i, h in enumerate(headers)}
    assert isinstance(row["Số ngày phải có giao dịch"].value, int)
    assert isinstance(row["Tỷ lệ"].value, int | float)  # 1.0 reads back as 1
    assert row["Tỷ lệ"].number_format == "0.00%"
    assert isinstance(row["Giao dịch thành công gần nhất"].value, datetime)
    assert row["Giao dịch thành công gần nhất"].number_format == "dd/mm/yyyy hh:mm:ss"
    colours = {}
    for r in range(5, 5 + len(report.rows)):
        cell = ws.cell(r, 15)
        colours[cell.value] = cell.fill.start_color.rgb
    assert colours["Đạt"].endswith("C6EFCE")
    assert colours["Không đạt"].endswith("FFC7CE")
    assert colours["Đạt một phần"].endswith("FFEB9C")
    assert all(ws.column_dimensions[c].width >= 10 for c in "ABCDEFGHIJKLMNOPQ")


def test_how_computed_sheet(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 8), now=NOW)
    path = tmp_path / "report.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE), path)
    ws = load_workbook(path)["Cách tính"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    facts = {ws.cell(c.row, 1).value: ws.cell(c.row, 2).value for c in cells if c.column == 1}
    assert facts["Múi giờ (ngày tính theo giờ địa phương)"] == "Asia/Ho_Chi_Minh"
    assert facts["Số liệu tính đến hết ngày"] == datetime(2026, 8, 31)
    assert facts["Thời điểm lập"] == datetime(2026, 11, 2, 8, 30)
    assert facts["Sổ đăng ký"] == "“bac-ninh”"
    assert facts["Cơ sở dữ liệu"] == "tệp SQLite test.db"  # never its URL
    values = [c.value for c in cells]
    # The official calendar's days of August 2026 with their Vietnamese names, as real dates.
    days = {
        c.value: ws.cell(c.row, 2).value
        for c in cells
        if c.column == 1 and isinstance(c.value, datetime) and c.number_format == "dd/mm/yyyy"
    }
    for day, name in public_holidays(date(2026, 8, 1), date(2026, 8, 31)):
        assert days[datetime.combine(day, datetime.min.time())] == name
    # The official calendar's swap (Thông báo 9441/TB-BNV): 31 August off, 22 August worked.
    assert "22/8/2026" in days[datetime(2026, 8, 31)]  # the day off for the Saturday worked
    assert days[datetime(2026, 8, 22)] == "Làm bù cho thứ Hai 31/8/2026"
    # The calendar note: 2026 is an official year.
    assert any("lịch chính thức" in str(v) for v in values)
    assert "Quốc khánh" not in values  # 1–2 September: not in August's report
    # Thresholds of every obligation, the target as a number.
    targets = [c for c in cells if c.column == 4 and isinstance(c.value, float)]
    assert len(targets) == len([r for r in report.rows if r.kind == "maintain"])
    assert all(c.value == 0.9 and c.number_format == "0.00%" for c in targets)


def test_english_headers_and_labels(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    report = build_report(varied, bac_ninh, Month(2026, 9), now=NOW)
    path = tmp_path / "report.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE, "en"), path)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "Summary"
    assert workbook.sheetnames[-1] == "How computed"
    expected = [json_row_as_xlsx(r) for r in report_as_dict(report)["rows"]]
    assert xlsx_rows(path, "Summary", lang="en") == expected
    assert workbook["Summary"].cell(5, 14).number_format == "yyyy-mm-dd hh:mm:ss"


def test_quarter_workbook(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    report = build_quarter_report(varied, bac_ninh, Quarter(2026, 3), now=NOW)
    path = tmp_path / "quarter.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE), path)
    document = quarter_as_dict(report)
    workbook = load_workbook(path)
    assert workbook.sheetnames[:4] == ["Cả quý", "T7-2026", "T8-2026", "T9-2026"]
    assert xlsx_rows(path, "Cả quý") == [json_row_as_xlsx(r) for r in document["rows"]]
    for sheet, month in zip(("T7-2026", "T8-2026", "T9-2026"), document["months"], strict=True):
        assert xlsx_rows(path, sheet) == [json_row_as_xlsx(r) for r in month["rows"]]
    # A department's sheet: each obligation's three months, then the quarter.
    tuphap = xlsx_rows(path, "Sở Tư pháp")
    assert [r["period"] for r in tuphap[:4]] == ["T7/2026", "T8/2026", "T9/2026", "Quý III"]
    quarter_rows = [r for r in tuphap if r["period"] == "Quý III"]
    assert [{k: v for k, v in r.items() if k != "period"} for r in quarter_rows] == [
        json_row_as_xlsx(r) for r in document["rows"] if r["department"] == "so-tuphap"
    ]
    facts = {r[0]: r[1] for r in workbook["Cách tính"].iter_rows(values_only=True) if r[0]}
    assert facts["Hạn gửi báo cáo quý (trước ngày 25 tháng cuối quý)"] == datetime(2026, 9, 24)


def test_department_pack_workbook(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    report = department_pack(
        build_report(varied, bac_ninh, Month(2026, 9), now=NOW), bac_ninh, "so-tuphap"
    )
    path = tmp_path / "pack.xlsx"
    write_export_file("xlsx", Filing(report, bac_ninh, SOURCE), path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Tổng hợp", "Sở Tư pháp", "Cách tính"]
    rows = xlsx_rows(path, "Tổng hợp")
    assert len(rows) == 4 and {r["department"] for r in rows} == {"so-tuphap"}
    assert workbook["Sở Tư pháp"].cell(3, 1).value == "Đơn vị: Sở Tư pháp (so-tuphap)"
    assert report.as_of == date(2026, 9, 30)
