"""The first hour of a new operator (issue 17): no silent wrong answers, no traps."""

from __future__ import annotations

import argparse
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from i18n import use_lang
from lienthong.cli import build_parser
from registry.loader import BUNDLED

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lienthong", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


# 1. A read-only command never creates a database, and says when it read nothing.


@pytest.mark.parametrize(
    "command",
    [
        ("report", "--month", "2026-10"),
        ("tokens", "list"),
        ("tokens", "revoke", "lt_abc"),
        ("exports", "run-due", "--now", "2026-11-01T07:00:00+07:00"),
    ],
)
def test_read_only_commands_refuse_a_missing_sqlite_file(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = run(*command, cwd=tmp_path)  # the default, relative sqlite:///lienthong.db
    assert result.returncode == 1
    assert result.stderr == (
        f"lienthong: no database at {tmp_path / 'lienthong.db'}: give the service's with"
        " --config or --db (`lienthong db upgrade` creates one)\n"
    )
    assert not (tmp_path / "lienthong.db").exists()


def test_a_report_of_an_empty_store_warns_and_names_the_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    result = run("report", "--month", "2026-10", "--as-of", "2026-10-31", "--db", db)
    assert result.returncode == 0
    # In the user's language (Vietnamese by default; English with LIENTHONG_LANG=en).
    assert result.stderr == (
        f"lienthong: warning: database {db} holds no transaction in 2026-10: every"
        " obligation reads as non-compliant (is --db the right database?)\n"
    )
    assert '"status": "non_compliant"' in result.stdout  # the report itself is still written


def test_a_report_with_records_does_not_warn(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("ingest", str(ROOT / "examples" / "2026-10.jsonl"), "--db", db).returncode == 0
    result = run("report", "--month", "2026-10", "--as-of", "2026-10-31", "--db", db)
    assert (result.returncode, result.stderr) == (0, "")


# 4. Binary formats never go to a terminal.


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_binary_report_to_a_terminal_is_refused(tmp_path: Path, fmt: str) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "lienthong",
                "report",
                "--month",
                "2026-10",
                "--db",
                db,
                "--format",
                fmt,
            ],
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 1
    assert result.stderr == f"lienthong: {fmt} is a binary format: give --out PATH\n"


# 6. A bad simulator fault names the key and why.


def test_a_bad_fault_flag_names_the_key() -> None:
    result = run("simulate", "--fault", "csdl-dkdn:foo=1,latency=slow")
    assert result.returncode == 2  # a malformed option value is bad usage
    assert result.stderr.startswith(
        "lienthong simulate: error: --fault 'csdl-dkdn:foo=1,latency=slow': "
    )
    assert "foo: unknown key (known: error_rate, latency, outage," in result.stderr
    assert "latency: Input should be a valid number" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "validation error" not in result.stderr


# 7. `registry validate` lists every problem, with every file's name.


def test_registry_validate_lists_every_unreadable_date(tmp_path: Path) -> None:
    text = (BUNDLED / "bac-ninh" / "province.yml").read_text(encoding="utf-8")
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if "since: 2024-10-14" in line]
    bad = tmp_path / "province.yml"
    bad.write_text(text.replace("since: 2024-10-14", "since: 2026-02-30"), encoding="utf-8")
    result = run("registry", "validate", "national", str(bad))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:{n}: cannot read '2026-02-30': day is out of range for month" for n in lines
    ]
    assert len(lines) == 18


def test_registry_validate_names_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    result = run("registry", "validate", str(empty))
    assert result.returncode == 1
    assert result.stderr == f"{empty}:1: a registry file must be a mapping with version: 1\n"


def test_a_province_file_alone_is_told_to_bring_the_national_catalogue(tmp_path: Path) -> None:
    province = tmp_path / "province.yml"
    province.write_bytes((BUNDLED / "bac-ninh" / "province.yml").read_bytes())
    result = run("registry", "validate", str(province))
    assert result.returncode == 1
    first, *rest = result.stderr.splitlines()
    assert re.fullmatch(
        rf"{province}:\d+: no file lists the national systems: validate the province file"
        rf" together with the national catalogue, e.g. `lienthong registry validate national"
        rf" {province}`",
        first,
    ), first
    assert all("unknown system code" in line for line in rest)
    ok = run("registry", "validate", "national", str(province))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 26 obligations")  # 18, and 8 successors


# 9. --version.


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert result.returncode == 0
    assert re.fullmatch(r"lienthong \d+\.\d+\.\d+\S*\n", result.stdout), result.stdout


# 10. Help states each default once, never on a required option; durations say their unit.


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_help_states_every_default_once() -> None:
    with use_lang("en"):  # the words checked are English ones
        for parser in _parsers(build_parser()):
            assert "(default: None)" not in parser.format_help(), parser.prog
            formatter = parser._get_formatter()
            for action in parser._actions:
                if not action.option_strings or action.help == argparse.SUPPRESS:
                    continue
                # What argparse prints: an option without help text shows no default at all.
                entry = formatter._expand_help(action) if action.help else ""
                where = (parser.prog, action.option_strings[-1], entry)
                assert entry.count("default") <= 1, where
                if action.required:
                    assert "default" not in entry, where
                elif action.default not in (None, False, [], argparse.SUPPRESS):
                    assert "default" in entry, where
                if action.metavar == "DURATION":
                    assert "30s, 5m, 4h" in entry, where
                if action.metavar == "SECONDS":
                    assert "seconds" in entry, where


# 3. An id reused for a different transaction is not a silent duplicate.


def test_an_id_reused_with_different_content_is_counted_and_warned(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lienthong.cli import main
    from tests.test_ingest import GOOD, jsonl

    assert main(["ingest", str(jsonl(tmp_path / "a.jsonl", GOOD)), "--db", store_url]) == 0
    capsys.readouterr()
    k1, k2 = GOOD[0], GOOD[1]
    again = [
        k1,  # the same record: a retry, a plain duplicate
        {**k2, "outcome": "success"},  # id k2, another outcome
        {**k1, "id": "k2", "ts": k2["ts"], "outcome": "failure", "system": "csdl-dkdn"},  # same
        {**k1, "ts": "2026-10-05T09:00:01+07:00"},  # id k1, another time
        {**k1, "id": "k3"},  # new
    ]
    assert main(["ingest", str(jsonl(tmp_path / "b.jsonl", again)), "--db", store_url]) == 0
    out, err = capsys.readouterr()
    assert "5 records: 1 stored, 4 duplicates (2 of them with different content)," in out
    assert err == (
        f"{tmp_path / 'b.jsonl'}: warning: 2 records reuse an id with different content"
        " (another system, time or outcome): the stored record was kept\n"
    )


# 12. Times shown to people are in the registry's timezone.


def test_tokens_list_shows_local_times(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from lienthong.cli import main

    assert main(["db", "upgrade", "--db", store_url]) == 0
    assert main(["tokens", "issue", "--department", "so-khdt", "--db", store_url]) == 0
    capsys.readouterr()
    assert main(["tokens", "list", "--format", "json", "--db", store_url]) == 0
    issued = datetime.fromisoformat(json.loads(capsys.readouterr().out)[0]["issued"])
    assert main(["tokens", "list", "--db", store_url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "times in Asia/Ho_Chi_Minh"
    local = issued.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"{local:%Y-%m-%d %H:%M}" in table[2]


def test_the_demo_table_shows_the_last_success_in_local_time() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from exporter.status import ObligationStatus
    from exporter.words import COLUMNS
    from i18n import _, use_lang
    from lienthong.cli_demo import _table

    at = datetime(2026, 10, 5, 9, 15, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    row = ObligationStatus("so-khdt", "Sở KH&ĐT", "csdl-dkdn", "ĐKDN", "up", at, None, at, 3, 1.0)
    console = Console(width=200, record=True)
    with use_lang("vi"):  # the demo's default language, whatever this module's tests read
        console.print(_table([row]))
        heading = _(COLUMNS["last_success"])
    text = console.export_text()
    assert heading in text and "09:15:30" in text
    assert "Giao dịch thành công gần nhất" in text  # Vietnamese by default


# 11. CSV for people: Excel's flavour out, Excel's flavours in.


def test_report_csv_for_excel(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("ingest", str(ROOT / "examples" / "2026-10.jsonl"), "--db", db).returncode == 0
    for lang, separator, ratio in (("vi", ";", "0,6364"), ("en", ",", "0.6364")):
        out = tmp_path / f"2026-10-{lang}.csv"
        month = ("report", "--month", "2026-10", "--db", db, "--format", "csv")
        result = run(*month, "--excel", "--lang", lang, "--out", str(out))
        assert result.returncode == 0, result.stderr
        data = out.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
        lines = data[3:].decode("utf-8").split("\r\n")
        assert lines[0].split(separator)[:3] == ["department", "department_name", "system"]
        land = next(line for line in lines if "csdl-dat-dai" in line)
        assert f"{separator}{ratio}{separator}" in land
        assert "Sở Tài nguyên và Môi trường" in land
    plain = run("report", "--month", "2026-10", "--db", db, "--format", "csv")
    assert plain.stdout.startswith("department,") and "0.6364" in plain.stdout  # unchanged
    wrong = run("report", "--month", "2026-10", "--db", db, "--format", "pdf", "--excel")
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "lienthong report: error: --excel is for --format csv (XLSX opens in Excel as it is)\n",
    )


CSV_HEADER = "department,system,ts,outcome,id,detail\n"


def _csv_row(n: int, detail: str = "Tra cứu") -> str:
    return f"so-khdt,csdl-dkdn,2026-10-05T09:00:00+07:00,success,r{n},{detail} {n}\n"


def test_a_semicolon_csv_from_excel_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    rows = [CSV_HEADER, *(_csv_row(n) for n in range(3))]
    path.write_bytes(b"\xef\xbb\xbf" + "".join(rows).replace(",", ";").encode("utf-8"))
    result = run("ingest", str(path), "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert result.returncode == 0, result.stderr
    assert "3 records: 3 stored" in result.stdout
    assert f"{path}: read as ';'-separated CSV" in result.stdout


def test_a_csv_that_is_not_utf8_is_named_at_its_line(tmp_path: Path) -> None:
    """Windows' Vietnamese code page (cp1258), past the first 8 KB a decoder reads at once."""
    path = tmp_path / "cp1258.csv"
    good = "".join(_csv_row(n) for n in range(400)).encode("utf-8")
    assert len(good) > 8192
    bad = _csv_row(400, "Đăng ký").encode("cp1258", errors="replace")
    column = bad.index(b"\xd0") + 1  # Đ in cp1258
    path.write_bytes(CSV_HEADER.encode() + good + bad)
    result = run("ingest", str(path), "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert result.returncode == 1
    assert result.stderr == (
        f"lienthong: {path}:402: not UTF-8 text (byte 0xd0 at column {column}): save the file as"
        " UTF-8 — in Excel, 'CSV UTF-8'\n"
    )


def test_run_due_with_the_service_config_reads_its_database(tmp_path: Path) -> None:
    """`--config` brings the service's database too: not ./lienthong.db of wherever cron runs."""
    db = tmp_path / "service" / "store.db"
    db.parent.mkdir()
    assert (
        run(
            "ingest", str(ROOT / "examples" / "2026-10.jsonl"), "--db", f"sqlite:///{db}"
        ).returncode
        == 0
    )
    config = tmp_path / "lienthong.toml"
    exports = tmp_path / "exports"
    config.write_text(f'database = "sqlite:///{db}"\n\n[exports]\ndir = "{exports}"\n')
    cron = tmp_path / "cron"
    cron.mkdir()
    result = run(
        "exports",
        "run-due",
        "--config",
        str(config),
        "--now",
        "2026-11-01T07:00:00+07:00",
        cwd=cron,
    )
    assert result.returncode == 0, result.stderr
    assert f"{exports / '2026-10'}: wrote 2026-10 as of 2026-10-31" in result.stdout
    written = (exports / "2026-10" / "lienthong-2026-10.csv").read_text(encoding="utf-8")
    assert ",compliant" in written
    assert not (cron / "lienthong.db").exists()
