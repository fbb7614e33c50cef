"""Excusals have bounds: not before the duty's history, not after today; a long one needs
the approver to say so; one of a month already filed is a correction in the next filing,
never a rewrite of what was sent (issue 33, finding 5)."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine

from lienthong.cli import main
from registry import Registry
from reports.manifest import read_manifest
from reports.scheduled import ExportsSettings, run_due
from store import write_transactions
from store.excusals import ExcusalState, approve_excusal, history_begins, propose_excusal
from store.tokens import issue_token
from tests.stores import tx
from tests.test_excusals import Client, all_excusals, client, explanation  # noqa: F401

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.usefixtures("english")  # the store's words, checked in English
def test_the_first_day_is_within_the_duty_s_history_and_not_after_today(
    bac_ninh: Registry, engine: Engine
) -> None:
    begins = history_begins(bac_ninh, "csdl-dkdn", "so-taichinh")
    assert begins == date(2025, 3, 1)  # the duty's department since (its merger)
    today = date(2026, 10, 6)
    for first, last in (
        (date(1, 1, 1), date(9999, 12, 31)),
        (date(2025, 2, 28), date(2025, 3, 3)),
    ):
        with pytest.raises(Exception, match="before the duty's history begins"):
            propose_excusal(
                engine, bac_ninh, system="csdl-dkdn", department="so-taichinh",
                first=first, last=last, reason="r", by="b", today=today,
            )  # fmt: skip
    with pytest.raises(Exception, match="after today"):
        propose_excusal(
            engine, bac_ninh, system="csdl-dkdn", department=None,
            first=date(2026, 10, 7), last=date(2026, 10, 7), reason="r", by="b", today=today,
        )  # fmt: skip
    assert propose_excusal(
        engine, bac_ninh, system="csdl-dkdn", department="so-taichinh",
        first=begins, last=begins, reason="r", by="b", today=today,
    )  # fmt: skip


async def test_the_api_refuses_days_out_of_bounds(client: Client, engine: Engine) -> None:  # noqa: F811
    token = issue_token(engine, "so-taichinh")
    # The server's clock says 2026-10-06 (tests.test_push_api.NOW).
    for fields in (
        {"first_day": "0001-01-01", "last_day": "9999-12-31"},
        {"first_day": "2026-10-07", "last_day": "2026-10-07"},
    ):
        status, body = await client.post(explanation(**fields), token)
        assert status == 400 and body["errors"][0]["field"] == "first_day", body
    assert all_excusals(engine) == []


def test_a_long_excusal_needs_long_at_approval(
    bac_ninh: Registry, engine: Engine, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    n = propose_excusal(
        engine, bac_ninh, system="csdl-dkdn", department=None,
        first=date(2026, 8, 1), last=date(2026, 9, 30), reason="r", by="b",
    )  # fmt: skip
    assert main(["excuse", "approve", str(n), "--by", "B", "--db", store_url, "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert (
        f"excusal {n} spans 61 days, more than 31: if that is meant, approve it with --long" in err
    )
    assert main(["excuse", "approve", str(n), "--by", "B", "--db", store_url]) == 1
    assert "hãy phê duyệt với --long" in capsys.readouterr().err  # in Vietnamese by default
    (e,) = all_excusals(engine)
    assert e.state == ExcusalState.PROPOSED
    # A larger maximum, or --long: approved.
    argv = ["excuse", "approve", str(n), "--by", "B", "--db", store_url]
    assert main([*argv, "--max-days", "61"]) == 0
    m = propose_excusal(
        engine, bac_ninh, system="csdl-dkdn", department=None,
        first=date(2026, 8, 1), last=date(2026, 9, 30), reason="r", by="b",
    )  # fmt: skip
    assert main(["excuse", "approve", str(m), "--by", "B", "--long", "--db", store_url]) == 0
    assert [e.state for e in all_excusals(engine)] == [ExcusalState.APPROVED] * 2


def test_the_longest_excusal_without_long_is_a_config_key(
    bac_ninh: Registry, engine: Engine, store_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "serve.toml"
    config.write_text(f'database = "{store_url}"\n[excusals]\nmax_days = 61\n', encoding="utf-8")
    n = propose_excusal(
        engine, bac_ninh, system="csdl-dkdn", department=None,
        first=date(2026, 8, 1), last=date(2026, 9, 30), reason="r", by="b",
    )  # fmt: skip
    assert main(["excuse", "approve", str(n), "--by", "B", "--config", str(config)]) == 0
    assert [e.state for e in all_excusals(engine)] == [ExcusalState.APPROVED]


def _run(engine: Engine, registry: Registry, folder: Path, now: str) -> list[str]:
    result = run_due(
        engine,
        registry,
        ExportsSettings.model_validate({"dir": folder}),
        now=datetime.fromisoformat(now).replace(tzinfo=HANOI),
        registry_spec=None,
        database_url="sqlite:///test.db",
    )
    return [w.period for w in result.written]


def _files(folder: Path, period: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / period).iterdir())}


def test_an_excusal_of_a_filed_month_is_a_correction_in_the_next_filing(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    assert _run(varied, bac_ninh, folder, "2026-10-01 07:00") == ["2026Q3", "2026-09"]
    sent = _files(folder, "2026-09")
    # Approved after September was filed (this machine's clock is later than 2026-10-01).
    n = propose_excusal(
        varied, bac_ninh, system="csdl-dkdn", department="so-taichinh",
        first=date(2026, 9, 28), last=date(2026, 10, 2), reason="=cmd|' /C calc'!A0", by="b",
    )  # fmt: skip
    approve_excusal(varied, n, "Trần Thị Bình")
    assert _run(varied, bac_ninh, folder, "2026-11-01 07:00") == ["2026-10"]
    assert _files(folder, "2026-09") == sent  # what was sent is never rewritten
    manifest = read_manifest(folder)
    assert manifest["2026-10"].corrections == [f"{n}:approved"]
    sheet = load_workbook(folder / "2026-10" / "lienthong-2026-10.xlsx")["Đính chính"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [(r[0], r[2], r[7], r[8]) for r in rows] == [
        ("2026-09", n, 3, "phê duyệt: nay được miễn trừ"),  # 28 to 30 September
        ("2026Q3", n, 3, "phê duyệt: nay được miễn trừ"),
    ]
    assert rows[0][11] == "'=cmd|' /C calc'!A0"
    # The documents that are filed say it too, in words: the PDF and the DOCX.
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(folder / "2026-10" / "lienthong-2026-10.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    docx = "\n".join(
        p.text for p in Document(str(folder / "2026-10" / "lienthong-2026-10.docx")).paragraphs
    )
    for said in (" ".join(pdf.split()), docx):
        assert "Đính chính số liệu các kỳ đã báo cáo" in said
        assert "Tháng 9 năm 2026 (báo cáo đã gửi lúc" in said
        assert f"miễn trừ số {n}, Sở Tài chính," in said
        assert "đã duyệt lúc" in said and "nên các ngày này nay được miễn trừ" in said
        assert "người quyết định: Trần Thị Bình" in said
    # Shown once: December's filing has no corrections. (November needs a record to be
    # filed at all: a period the store holds nothing of is not exported.)
    write_transactions(
        varied, bac_ninh.timezone, [tx("so-taichinh", "csdl-dkdn", "2026-11-05T09:00:00+07:00")]
    )
    assert _run(varied, bac_ninh, folder, "2026-12-01 07:00") == ["2026-11"]
    assert read_manifest(folder)["2026-11"].corrections == []
    assert (
        "Đính chính" not in load_workbook(folder / "2026-11" / "lienthong-2026-11.xlsx").sheetnames
    )
    november = Document(str(folder / "2026-11" / "lienthong-2026-11.docx")).paragraphs
    assert not any("Đính chính" in p.text for p in november)
    json.loads((folder / "manifest.json").read_text())  # still one JSON document
