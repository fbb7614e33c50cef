"""`lienthong report` end to end: the four formats agree figure for figure."""

from __future__ import annotations

import csv
import gc
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from lienthong.cli import main
from lienthong.cli_report import collector_paused
from reports.tabular import FIELDS
from reports.words import Labels
from tests.readback import json_row_as_xlsx, pdf_text, xlsx_rows


def report(store_url: str, out: Path, *args: str) -> int:
    return main(["report", "--db", store_url, "--out", str(out), *args])


def csv_row_as_json(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row with the JSON's types back."""
    found: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
    for key in (
        "required_days",
        "met_days",
        "successes",
        "failures",
        "excused_days",
        "probe_only_days",
    ):
        found[key] = int(row[key])
    found["ratio"] = float(row["ratio"]) if row["ratio"] else None
    found["platforms"] = row["platforms"]  # text, empty when no success said its platform
    return found


def test_month_in_four_formats_agrees(
    varied: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--month", "2026-09", "--as-of", "2026-09-30")
    for fmt in ("json", "csv", "xlsx", "pdf"):
        assert report(store_url, tmp_path / f"r.{fmt}", *args, "--format", fmt) == 0
    printed = capsys.readouterr().out
    assert f"{tmp_path / 'r.pdf'}: 2026-09 tính đến 2026-09-30: 18 nhiệm vụ" in printed

    written = (tmp_path / "r.json").read_text(encoding="utf-8")
    document = json.loads(written)
    # The text people diff from month to month: the json module's indent=2, Vietnamese
    # unescaped, whichever encoder writes it.
    assert written == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    assert "Sở Tài chính" in written
    # The monthly JSON keeps the contract's shape exactly.
    assert list(document) == ["province", "month", "as_of", "generated_at", "calendar", "rows"]
    assert document["calendar"]["official"] is True  # contract 1.2
    rows = document["rows"]
    assert all(list(r) == list(FIELDS) for r in rows)

    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as f:
        assert [csv_row_as_json(r) for r in csv.DictReader(f)] == rows
    assert xlsx_rows(tmp_path / "r.xlsx") == [json_row_as_xlsx(r) for r in rows]
    text = pdf_text(tmp_path / "r.pdf")
    labels = Labels("vi")
    for r in rows:
        ratio = labels.percent(r["ratio"])
        shown = f"{r['required_days']} {r['met_days']} {ratio} {r['successes']} {r['failures']}"
        assert shown in text
        assert labels.status(r["status"]) in text


def test_quarter_in_four_formats_agrees(varied: Engine, store_url: str, tmp_path: Path) -> None:
    args = ("--quarter", "2026Q3", "--as-of", "2026-09-24")
    for fmt in ("json", "csv", "xlsx"):
        assert report(store_url, tmp_path / f"q.{fmt}", *args, "--format", fmt) == 0
    written = (tmp_path / "q.json").read_text(encoding="utf-8")
    document = json.loads(written)
    assert written == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    assert (document["quarter"], document["as_of"]) == ("2026Q3", "2026-09-24")
    with (tmp_path / "q.csv").open(encoding="utf-8", newline="") as f:
        found = list(csv.DictReader(f))
    quarter = [
        csv_row_as_json({k: v for k, v in r.items() if k != "period"})
        for r in found
        if r["period"] == "2026Q3"
    ]
    assert quarter == document["rows"]
    workbook = load_workbook(tmp_path / "q.xlsx")
    assert xlsx_rows(workbook, "Cả quý") == [json_row_as_xlsx(r) for r in document["rows"]]
    assert xlsx_rows(workbook, "T9-2026") == [
        json_row_as_xlsx(r) for r in document["months"][2]["rows"]
    ]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_department_pack(varied: Engine, store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "pack.json"
    args = ("--month", "2026-09", "--as-of", "2026-09-30", "--department", "so-taichinh")
    assert report(store_url, out, *args) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["department"] == {"code": "so-taichinh", "name": "Sở Tài chính"}
    # csdl-dkdn passed to Sở Tài chính when Sở Kế hoạch và Đầu tư merged into it (2025-03-01).
    assert [r["system"] for r in document["rows"]] == ["csdl-dkdn", "ma-so-ngan-sach", "csdl-gia"]
    assert report(store_url, tmp_path / "pack.pdf", *args, "--format", "pdf", "--lang", "en") == 0
    text = pdf_text(tmp_path / "pack.pdf")
    assert "September 2026 (Sở Tài chính)" in text and "Sở Tư pháp" not in text


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_month_and_quarter_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--month", "2026-09", "--quarter", "2026Q3"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--format", "json"])
    assert exit_.value.code == 2


@pytest.mark.usefixtures("english")  # its words checked are English ones
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_one_line_errors(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert report(store_url, out, "--month", "2026-09", "--department", "so-nope") == 1
    err = capsys.readouterr().err
    assert err.startswith("lienthong: unknown department 'so-nope' (known: so-tttt,")
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as bad_usage:
        report(store_url, out, "--quarter", "2026Q9")
    assert bad_usage.value.code == 2  # a malformed option value is bad usage
    assert capsys.readouterr().err.endswith(
        "lienthong report: error: argument --quarter: quarter '2026Q9' is not YYYYQn (e.g. 2026Q3)\n"
    )
    assert not out.exists()


def test_garbage_collection_is_paused_only_while_the_report_is_built() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a store error while building")
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_filed_document_takes_the_config_report_table(
    varied: Engine,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Contract 1.2: the config's [report] table gives the code, the signer, the recipients;
    `--format docx` writes the same document for Word."""
    config = tmp_path / "serve.toml"
    config.write_text(
        "[report]\n"
        'document_code = "SKHCN"\n'
        'signer_title = "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"\n'
        'signer_name = "Trần Thị Hoa"\n'
        'recipients = ["- UBND tỉnh;", "- Lưu: VT, CĐS."]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LIENTHONG_CONFIG", str(config))
    args = ("--month", "2026-09", "--as-of", "2026-09-30")
    assert report(store_url, tmp_path / "bc.pdf", *args, "--format", "pdf") == 0
    assert report(store_url, tmp_path / "bc.docx", *args, "--format", "docx") == 0
    text = pdf_text(tmp_path / "bc.pdf")
    assert "Số: ……/BC-SKHCN" in text and "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in text
    assert "Trần Thị Hoa" in text and "- Lưu: VT, CĐS." in text
    from docx import Document

    word = Document(str(tmp_path / "bc.docx"))
    cells = [p.text for t in word.tables for c in t._cells for p in c.paragraphs]
    assert "Số: ……/BC-SKHCN" in cells and "Trần Thị Hoa" in cells and "PHÓ GIÁM ĐỐC" in cells
    # An unknown key in [report] is refused, in one line naming it.
    config.write_text('[report]\nsigner = "x"\n', encoding="utf-8")
    assert report(store_url, tmp_path / "bad.pdf", *args, "--format", "pdf") == 1
    assert "report.signer" in capsys.readouterr().err
    assert not (tmp_path / "bad.pdf").exists()
