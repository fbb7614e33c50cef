"""`lienthong ingest`: validated, atomic per file, idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

GOOD = [
    {
        "department": "so-khdt",
        "system": "csdl-dkdn",
        "ts": "2026-10-05T09:00:00+07:00",
        "outcome": "success",
        "id": "k1",
    },
    {
        "department": "so-khdt",
        "system": "csdl-dkdn",
        "ts": "2026-10-04T17:30:00Z",
        "outcome": "failure",
        "id": "k2",
        "latency_ms": 12.5,
    },
    {
        "department": "so-tuphap",
        "system": "ho-tich",
        "ts": "2026-10-06T08:00:00.123456+07:00",
        "outcome": "success",
        "detail": "Đăng ký khai sinh — đã tiếp nhận",
    },
]


def jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def stored(url: str) -> list[tuple[str, str, bool, str | None, str, str | None]]:
    engine = open_store(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT department, system, success, record_id, source, detail FROM transactions ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_jsonl_is_stored_once_however_often_imported(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = jsonl(tmp_path / "oct.jsonl", GOOD)
    assert main(["ingest", str(f), "--db", store_url]) == 0
    first = capsys.readouterr()
    assert "3 records: 3 stored, 0 duplicates" in first.out
    assert "1 record without an id" in first.err
    assert main(["ingest", str(f), "--db", store_url]) == 0
    assert "3 records: 1 stored, 2 duplicates" in capsys.readouterr().out
    rows = stored(store_url)
    assert len(rows) == 4
    assert rows[2][5] == "Đăng ký khai sinh — đã tiếp nhận"
    assert {r[4] for r in rows} == {"import"}


def test_any_invalid_record_stores_nothing_and_names_line_and_field(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        *GOOD,
        {
            "department": "so-khdt",
            "system": "csdl-dkdn",
            "ts": "2026-10-05T09:00:00",
            "outcome": "success",
        },
        {
            "department": "so-xyz",
            "system": "csdl-dkdn",
            "ts": "2026-10-05T09:00:00Z",
            "outcome": "maybe",
        },
        {
            "department": "so-khdt",
            "system": "csdl-gia",
            "ts": "2026-10-05T09:00:00Z",
            "outcome": "success",
        },
    ]
    f = jsonl(tmp_path / "bad.jsonl", bad)
    with f.open("a") as out:
        out.write("\n{not json\n")  # a blank line (skipped, but counted) and a broken one
    assert main(["ingest", str(f), "--db", store_url]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{f}:4: ts: 2026-10-05T09:00:00 has no offset: add one, like +07:00 or Z" in err
    assert f"{f}:5: outcome: Input should be 'success' or 'failure'" in err
    assert f"{f}:5: department: unknown department code 'so-xyz'" in err
    assert f"{f}:6: system: so-khdt has no obligation towards csdl-gia in the registry" in err
    assert any(line.startswith(f"{f}:8: not valid JSON") for line in err)
    assert err[-1] == f"{f}: 7 records, 4 invalid: nothing stored"
    assert stored(store_url) == []


def test_csv_with_the_contract_columns(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "oct.csv"
    f.write_text(
        "department,system,ts,outcome,latency_ms,id,source,detail\n"
        "so-khdt,csdl-dkdn,2026-10-05T09:00:00+07:00,success,35,c1,gateway,\n"
        'so-tuphap,ho-tich,2026-10-05T10:00:00+07:00,failure,,c2,,"Lỗi: mã 100, AUTHEN_ERROR"\n',
        encoding="utf-8",
    )
    assert main(["ingest", str(f), "--db", store_url]) == 0
    assert stored(store_url) == [
        ("so-khdt", "csdl-dkdn", True, "c1", "gateway", None),
        ("so-tuphap", "ho-tich", False, "c2", "import", "Lỗi: mã 100, AUTHEN_ERROR"),
    ]


def test_csv_header_is_checked_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "x.csv"
    f.write_text("department,system,when,outcome\nso-khdt,csdl-dkdn,2026-10-05T09:00:00Z,success\n")
    assert main(["ingest", str(f), "--db", f"sqlite:///{tmp_path / 's.db'}"]) == 1
    err = capsys.readouterr().err
    assert f"{f}:1: unknown columns 'when'; missing columns 'ts'" in err
    assert "Traceback" not in err


def test_a_bad_file_does_not_undo_a_good_one(store_url: str, tmp_path: Path) -> None:
    good = jsonl(tmp_path / "good.jsonl", GOOD[:1])
    bad = jsonl(tmp_path / "bad.jsonl", [{"department": "so-khdt"}])
    assert main(["ingest", str(good), str(bad), "--db", store_url]) == 1
    assert len(stored(store_url)) == 1


def test_gzip_and_large_files_stream_in_batches(store_url: str, tmp_path: Path) -> None:
    # More records than one write batch, with one invalid record at the very end.
    records = [
        {
            "department": "so-khdt",
            "system": "csdl-dkdn",
            "ts": "2026-10-05T09:00:00Z",
            "outcome": "success",
            "id": f"r{i}",
        }
        for i in range(5000)
    ]
    f = tmp_path / "big.jsonl.gz"
    with gzip.open(f, "wt", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r) + "\n")
        out.write('{"department": "so-khdt"}\n')
    assert main(["ingest", str(f), "--db", store_url]) == 1
    assert stored(store_url) == []  # batches already written were rolled back
    with gzip.open(f, "wt", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r) + "\n")
    assert main(["ingest", str(f), "--db", store_url]) == 0
    assert len(stored(store_url)) == 5000


def test_unknown_extension_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    (tmp_path / "data.txt").write_text("x")
    assert main(["ingest", str(tmp_path / "data.txt"), "--db", db]) == 1
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "none.jsonl"), "--db", db]) == 1
    assert "none.jsonl: no such file" in capsys.readouterr().err


def test_records_from_the_future_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = jsonl(
        tmp_path / "future.jsonl",
        [
            {
                "department": "so-khdt",
                "system": "csdl-dkdn",
                "ts": "2999-01-01T00:00:00Z",
                "outcome": "success",
            }
        ],
    )
    assert main(["ingest", str(f), "--db", f"sqlite:///{tmp_path / 's.db'}"]) == 1
    assert "ts: 2999-01-01T00:00:00+00:00 is in the future" in capsys.readouterr().err


def test_progress_is_reported_up_to_the_whole_file(tmp_path: Path, bac_ninh: object) -> None:
    from intake import ingest_file
    from registry import load_registry

    records = [{**GOOD[0], "id": f"p{i}"} for i in range(10_000)]
    f = jsonl(tmp_path / "p.jsonl", records)
    seen: list[tuple[int, int]] = []
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = ingest_file(
        engine, load_registry(), f, "jsonl", progress=lambda b, n: seen.append((b, n))
    )
    engine.dispose()
    assert result.ok
    assert len(seen) > 1
    assert seen == sorted(seen)
    assert seen[-1] == (f.stat().st_size, 10_000)
