"""`lienthong ingest` under hostile files: each one is a `FILE:LINE` (or `FILE:`) error,
stores nothing, and the files after it in the same command are imported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from intake.files import MAX_LINE
from lienthong.cli import main
from tests.gateway_samples import T0, registry_file, xroad_record
from tests.test_ingest import GOOD, jsonl, stored

# Messages checked word for word in English (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["ingest", *args])
    return code, capsys.readouterr().err


def test_each_hostile_file_is_one_error_and_the_next_file_is_imported(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    year_one = jsonl(
        tmp_path / "year1.jsonl", [GOOD[0], {**GOOD[1], "ts": "0001-01-01T00:00:00+14:00"}]
    )
    fake_gz = tmp_path / "fake.jsonl.gz"
    fake_gz.write_bytes(b"this is not gzip at all\n")
    whole = gzip.compress(json.dumps(GOOD[0]).encode() * 2000)
    cut_gz = tmp_path / "cut.jsonl.gz"
    cut_gz.write_bytes(whole[: len(whole) // 2])
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    long_line = tmp_path / "long.jsonl"
    long_line.write_bytes(
        json.dumps(GOOD[0]).encode() + b"\n" + b'{"detail": "' + b"x" * (MAX_LINE + 10) + b'"}\n'
    )
    long_csv = tmp_path / "long.csv"
    long_csv.write_text(
        "department,system,ts,outcome\nso-khdt,csdl-dkdn,2026-10-05T09:00:00Z,success\n"
        + "so-khdt,"
        + "x" * (MAX_LINE + 10)
        + ",2026-10-05T09:00:00Z,success\n"
    )
    good = jsonl(tmp_path / "good.jsonl", GOOD[2:])
    files = [year_one, fake_gz, cut_gz, deep, long_line, long_csv, good]
    code, err = run(capsys, *map(str, files), "--db", store_url)
    assert code == 1
    assert "Traceback" not in err
    assert f"{year_one}:2: ts: 0001-01-01T00:00:00+14:00 is before 2000-01-01" in err
    assert f"{fake_gz}: cannot be read: " in err
    assert f"{cut_gz}: cannot be read: the compressed file is truncated" in err
    assert f"{deep}:2: " in err
    assert f"{long_line}:2: the line is longer than {MAX_LINE:,} bytes: not read" in err
    assert f"{long_csv}:3: the line is longer than {MAX_LINE:,} bytes" in err
    # Only the last file, whole; nothing of the others (their first lines were valid).
    assert [r[5] for r in stored(store_url)] == [GOOD[2]["detail"]]


def test_an_xroad_time_no_calendar_holds_is_an_error_of_its_file(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fields as X-Road's operational monitoring documents them (see tests/gateway_samples.py).
    registry = registry_file(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"records": [xroad_record("m1", "Client", T0, requestInTs=10**20)]}),
        encoding="utf-8",
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"records": [xroad_record("m2", "Client", T0)]}), encoding="utf-8")
    args = ["--format", "xroad-opmon", "--registry", str(registry), "--db", store_url]
    code, err = run(capsys, *args, str(bad), str(good))
    assert code == 1
    assert "Traceback" not in err
    assert f"{bad}:" in err and "nothing stored" in err
    assert len(stored(store_url)) == 1


@pytest.mark.parametrize("fmt", ["wso2", "xroad-opmon"])
def test_an_overlong_gateway_line_is_refused_before_it_is_held(
    fmt: str, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One line far longer than any event or record: refused at its line, the next file read.
    registry = registry_file(tmp_path)
    long_file = tmp_path / f"long-{fmt}.jsonl"
    long_file.write_bytes(b'{"x": "' + b"x" * (20 << 20) + b'"}\n')
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"records": [xroad_record("m2", "Client", T0)]}), encoding="utf-8")
    files = [str(long_file)] + ([str(good)] if fmt == "xroad-opmon" else [])
    args = ["--format", fmt, "--registry", str(registry), "--db", store_url]
    code, err = run(capsys, *args, *files)
    assert code == 1
    assert "Traceback" not in err
    assert f"{long_file}:1: the line is longer than" in err
    if fmt == "xroad-opmon":
        assert len(stored(store_url)) == 1
