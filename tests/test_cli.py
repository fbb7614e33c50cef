"""The command line as users and scripts meet it: output, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.cli import main
from reports import FIELDS
from tests.test_ingest import GOOD, jsonl

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lienthong", *args], capture_output=True, text=True, cwd=cwd
    )


def test_registry_show_lists_the_18_obligations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "--on", "2026-10-05"]) == 0
    out = capsys.readouterr().out
    assert "Bắc Ninh (24): 18 obligations in force on 2026-10-05" in out
    assert "Sở Khoa học và Công nghệ" in out
    assert "Sở Lao động-Thương binh và Xã hội" not in out  # merged away on 2025-03-01
    assert main(["registry", "show"]) == 0
    out = capsys.readouterr().out
    assert "Bắc Ninh (24): 26 obligations" in out  # the 18 of the seed and 8 successors
    assert "Sở Lao động-Thương binh và Xã hội" in out
    assert "Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp" in out


def test_registry_show_json_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["obligations"]) == 26
    first = document["obligations"][0]
    assert first["department_name"] == "Sở Thông tin và Truyền thông"
    assert first["since"] == "2024-10-14"


def test_registry_show_on_a_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "--format", "json", "--on", "2024-01-01"]) == 0
    assert json.loads(capsys.readouterr().out)["obligations"] == []


def test_registry_validate_reports_file_line_and_exit_1(tmp_path: Path) -> None:
    f = tmp_path / "r.yml"
    f.write_text('version: 1\nprovince: {code: "24", name: X}\ntimezone: Mars/Olympus\n')
    result = run("registry", "validate", str(f))
    assert result.returncode == 1
    assert result.stderr == f"{f}:3: timezone: unknown timezone 'Mars/Olympus'\n"
    ok = run("registry", "validate")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 26 obligations")


def test_bad_usage_exits_2() -> None:
    result = run("report", "--format", "json")  # no --month
    assert result.returncode == 2
    assert "--month" in result.stderr


def test_report_json_and_csv_carry_the_contract_fields(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    # Sở Tài chính owes csdl-dkdn since Sở Kế hoạch và Đầu tư merged into it (2025-03-01).
    records = [
        {**r, "department": "so-taichinh"} if r["department"] == "so-khdt" else r for r in GOOD
    ]
    assert run("ingest", str(jsonl(tmp_path / "oct.jsonl", records)), "--db", db).returncode == 0
    out_json, out_csv = tmp_path / "oct.json", tmp_path / "oct.csv"
    for fmt, out in (("json", out_json), ("csv", out_csv)):
        result = run(
            "report",
            "--month",
            "2026-10",
            "--as-of",
            "2026-10-31",
            "--format",
            fmt,
            "--out",
            str(out),
            "--db",
            db,
        )
        assert result.returncode == 0, result.stderr
        assert "2026-10 as of 2026-10-31: 18 obligations" in result.stdout
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert {"province", "month", "as_of", "generated_at", "rows"} <= set(report)
    assert (report["month"], report["as_of"]) == ("2026-10", "2026-10-31")
    assert report["province"]["name"] == "Bắc Ninh"
    assert all(tuple(row) == FIELDS for row in report["rows"])
    khdt = next(r for r in report["rows"] if r["system"] == "csdl-dkdn")
    assert (khdt["required_days"], khdt["met_days"], khdt["ratio"]) == (22, 1, 0.0455)
    assert (khdt["successes"], khdt["failures"], khdt["status"]) == (1, 1, "partial")
    assert khdt["first_success"] == "2026-10-05T09:00:00+07:00"
    with out_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == FIELDS
    # The CSV carries the JSON's figures, row for row.
    for from_csv, from_json in zip(rows, report["rows"], strict=True):
        for field in FIELDS:
            value = from_json[field]
            assert from_csv[field] == ("" if value is None else str(value)), field


def test_malformed_option_values_are_bad_usage_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    for args, message in (
        (("--month", "2026-13"), "argument --month: month '2026-13' is not YYYY-MM"),
        (("--quarter", "2026Q5"), "argument --quarter: quarter '2026Q5' is not YYYYQn"),
        (("--month", "2026-10", "--as-of", "31/10"), "argument --as-of: date '31/10' is not"),
    ):
        result = run("report", *args, "--db", db)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("usage: lienthong report")
        assert f"lienthong report: error: {message}" in result.stderr
    result = run("registry", "show", "--on", "2026-02-30")
    assert result.returncode == 2 and "argument --on: date '2026-02-30'" in result.stderr
    assert not (tmp_path / "store.db").exists()


def test_report_errors_are_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    for args, message in (
        (
            ("--month", "2026-10", "--out", str(tmp_path / "no" / "r.json")),
            f"lienthong: cannot write {tmp_path / 'no' / 'r.json'}: folder {tmp_path / 'no'} does not exist\n",
        ),
    ):
        result = run("report", *args, "--db", db)
        assert (result.returncode, result.stderr) == (1, message)


def test_environment_chooses_database_and_registry(tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "LIENTHONG_DB": f"sqlite:///{tmp_path / 'env.db'}",
        "LIENTHONG_REGISTRY": "hue",
    }
    assert (
        subprocess.run([sys.executable, "-m", "lienthong", "db", "upgrade"], env=env).returncode
        == 0
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lienthong",
            "report",
            "--month",
            "2026-10",
            "--as-of",
            "2026-10-31",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["province"]["name"] == "Huế"  # Thừa Thiên Huế until 2025
    assert (tmp_path / "env.db").exists()


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    first = run("db", "upgrade", "--db", db)
    assert first.returncode == 0 and "upgraded from empty" in first.stdout
    # Said before the work starts: a migration that copies a table takes minutes.
    assert "upgrading the schema from empty to" in first.stderr
    again = run("db", "upgrade", "--db", db)
    assert again.returncode == 0 and "already at" in again.stdout
    assert again.stderr == ""


def test_unreachable_database_is_one_line_without_password() -> None:
    result = run("db", "upgrade", "--db", "postgresql://u:hunter2@127.0.0.1:1/x")
    assert result.returncode == 1
    assert result.stderr.startswith("lienthong: cannot open database")
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.stderr
