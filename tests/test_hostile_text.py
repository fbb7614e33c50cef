"""What a department writes is data: never a formula in the filed workbook or CSV, never a
control sequence on the approver's terminal, refused at the door, and never able to stop
an export once stored (issue 33, findings 1, 2 and 6)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, update

from compliance.periods import Month
from compliance.report import build_report
from lienthong.cli import main
from registry import Registry
from reports import Filing, write_export_file
from reports.cells import cell_text
from reports.tabular import write_csv
from store.excusals import approve_excusal, propose_excusal
from store.schema import excusals
from tests.test_excusals import Client, client, explanation  # noqa: F401 (a fixture)
from tests.test_pdf import SOURCE

# OWASP's example of CSV injection: https://owasp.org/www-community/attacks/CSV_Injection
FORMULA = '=HYPERLINK("http://evil.example/x","Xem minh chứng")'


def _excused_report(engine: Engine, registry: Registry, reason: str) -> tuple[int, Filing]:
    n = propose_excusal(
        engine,
        registry,
        system="csdl-dkdn",
        department=None,
        first=date(2026, 9, 1),
        last=date(2026, 9, 30),
        reason="placeholder",
        by="+84 912 345 678",  # a phone number as a name: starts with "+"
    )
    # Written as a store from before the door checked it would hold it.
    with engine.begin() as conn:
        conn.execute(update(excusals).where(excusals.c.id == n).values(reason=reason))
    approve_excusal(engine, n, "@admin")
    report = build_report(engine, registry, Month(2026, 9), now=datetime(2026, 10, 2, tzinfo=UTC))
    return n, Filing(report, registry, SOURCE)


def test_a_formula_in_a_reason_is_text_in_the_workbook(
    engine: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    n, filing = _excused_report(engine, bac_ninh, FORMULA)
    xlsx = tmp_path / "r.xlsx"
    write_export_file("xlsx", filing, xlsx)
    sheet = load_workbook(xlsx)["Miễn trừ"]
    row = sheet[4]
    assert row[0].value == n
    reason, proposer, approver = row[6], row[7], row[8]
    assert reason.data_type == "s" and reason.value == "'" + FORMULA
    assert proposer.value == "'+84 912 345 678" and approver.value == "'@admin"
    # No cell of any sheet is a formula.
    workbook = load_workbook(xlsx)
    assert not [
        c.coordinate for ws in workbook for r in ws.iter_rows() for c in r if c.data_type == "f"
    ]


def test_control_characters_already_stored_do_not_stop_the_export(
    engine: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    _, filing = _excused_report(engine, bac_ninh, "mất điện\u0001\u000b\u001b[2J hết")
    xlsx = tmp_path / "r.xlsx"
    write_export_file("xlsx", filing, xlsx)  # openpyxl's IllegalCharacterError before
    reason = load_workbook(xlsx)["Miễn trừ"].cell(4, 7).value
    assert reason == "mất điện\\x01\\x0b\\x1b[2J hết"


def test_csv_cells_a_person_wrote_are_never_formulas(engine: Engine, bac_ninh: Registry) -> None:
    report = build_report(engine, bac_ninh, Month(2026, 9), now=datetime(2026, 10, 2, tzinfo=UTC))
    # A name an operator wrote (the registry's): as a spreadsheet would run it.
    rows = tuple(
        replace(r, department_name="=1+2") if r.department == "so-taichinh" else r
        for r in report.rows
    )
    report = replace(report, rows=rows)
    for excel in (None, "vi"):
        out = io.StringIO()
        write_csv(report, out, excel)  # type: ignore[arg-type]
        delimiter = ";" if excel else ","
        rows = list(
            csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")), delimiter=delimiter)
        )
        names = {r["department"]: r["department_name"] for r in rows}
        assert names["so-taichinh"] == "'=1+2"
        # Codes and numbers are written as they are, negative or not.
        assert all(not r["department"].startswith("'") for r in rows)
        assert all(r["required_days"].isdigit() for r in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+84", "'+84"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Sở Tài chính", "Sở Tài chính"),
        ("a\u0001b", "a\\x01b"),
        ("dòng 1\ndòng 2", "dòng 1\ndòng 2"),
    ],
)
def test_cell_text(value: str, expected: str) -> None:
    assert cell_text(value) == expected


async def test_control_characters_are_refused_at_the_door(
    client: Client,  # noqa: F811
    engine: Engine,
) -> None:
    from store.tokens import issue_token
    from tests.test_excusals import all_excusals

    token = issue_token(engine, "so-taichinh")
    for reason in ("lý do\u0001", "lý do\u000b", "\u001b]0;owned\u0007"):
        status, body = await client.post(explanation(reason=reason), token)
        assert status == 400, body
        assert body["errors"][0]["field"] == "reason"
        assert "control characters" in body["errors"][0]["message"]
    status, _ = await client.post(explanation(reason="dòng 1\r\ndòng 2\tcột"), token)
    assert status == 201
    assert len(all_excusals(engine)) == 1
    # A pushed record's detail likewise.
    record = {
        "department": "so-taichinh",
        "system": "csdl-dkdn",
        "ts": "2026-10-05T09:00:00+07:00",
        "outcome": "failure",
        "detail": "HTTP 500\u001b[31m",
    }
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    url = client.url + "/api/v1/transactions"
    async with client.session.post(url, data=json.dumps(record), headers=headers) as answer:
        assert answer.status == 400
        (found,) = (await answer.json())["errors"]
    assert found["field"] == "detail" and "U+001B" in found["message"]


def test_an_imported_file_with_a_control_character_says_file_and_line(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {
        "department": "so-taichinh",
        "system": "csdl-dkdn",
        "ts": "2026-10-05T09:00:00+07:00",
        "outcome": "success",
    }
    path = tmp_path / "records.jsonl"
    lines = [good, {**good, "detail": "ok"}, {**good, "detail": "x\u0008y"}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code = main(["ingest", str(path), "--db", store_url, "--registry", "bac-ninh"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:3:" in err and "detail" in err and "U+0008" in err


def test_excuse_list_shows_escape_sequences_escaped(
    engine: Engine, bac_ninh: Registry, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    n = propose_excusal(
        engine,
        bac_ninh,
        system="csdl-dkdn",
        department=None,
        first=date(2026, 10, 5),
        last=date(2026, 10, 5),
        reason="placeholder",
        by="so-taichinh",
    )
    # An OSC title change, a screen clear and a line rewrite, as stored before the door.
    hostile = "\u001b]0;approved\u0007\u001b[2J\rAPPROVED by director"
    with engine.begin() as conn:
        conn.execute(update(excusals).where(excusals.c.id == n).values(reason=hostile))
    assert main(["excuse", "list", "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "\u001b" not in out and "\u0007" not in out and "\r" not in out
    assert "\\x1b]0;approved\\x07\\x1b[2J\\rAPPROVED by director" in out


def test_a_gateway_fault_with_a_control_character_is_kept_escaped(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.gateway_samples import PIZZASHACK_LOG_LINE, PIZZASHACK_REGISTRY, pizzashack_fault
    from tests.test_gateway_ingest import ingest, log_line, stored, write_registry

    registry = write_registry(tmp_path, PIZZASHACK_REGISTRY)
    # The gateway's own text, not a department's: one odd fault must not refuse the log.
    fault = {**pizzashack_fault("f-1", "2022-12-15T02:55Z"), "errorMessage": "down\u001b[31m"}
    log = tmp_path / "apim_metrics.log"
    log.write_text(PIZZASHACK_LOG_LINE + "\n" + log_line(fault, "apim:faulty"), encoding="utf-8")
    code, _, err = ingest(store_url, registry, "wso2", log, capsys=capsys)
    assert code == 0, err
    rows = {r[3]: r for r in stored(store_url)}
    assert rows["wso2:f-1"][5] == "TARGET_CONNECTIVITY 101503: down\\x1b[31m"
