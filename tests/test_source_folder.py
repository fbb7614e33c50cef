"""`folder`: each dropped file imported once, then moved to done/ or failed/ with the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import Engine, text

from intake.sources.common import SourceStatus
from intake.sources.folder import Folder, FolderConfig
from registry import Registry


def inbox(tmp_path: Path, bac_ninh: Registry, engine: Engine, **extra: str) -> Folder:
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)
    config = FolderConfig(name="inbox", kind="folder", path=str(folder), **extra)  # type: ignore[arg-type]
    return Folder(config, bac_ninh, engine, SourceStatus("inbox", "folder", config.interval))


def record(n: int, **fields: object) -> str:
    value = {
        "department": "so-khdt",
        "system": "csdl-dkdn",
        "ts": f"2026-10-05T09:{n % 60:02d}:00+07:00",
        "outcome": "success",
        "detail": "Tra cứu doanh nghiệp",
        **fields,
    }
    return json.dumps(value, ensure_ascii=False) + "\n"


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM transactions")).scalar_one())


def test_a_broken_file_among_good_ones_goes_to_failed_with_its_reasons(
    tmp_path: Path, bac_ninh: Registry, engine: Engine
) -> None:
    source = inbox(tmp_path, bac_ninh, engine)
    folder = source.path
    (folder / "a.jsonl").write_text("".join(record(n) for n in range(3)), encoding="utf-8")
    (folder / "b.jsonl").write_text(
        record(10) + record(11, outcome="maybe") + record(12), encoding="utf-8"
    )
    (folder / "c.csv").write_text(
        "department,system,ts,outcome\nso-khdt,csdl-dkdn,2026-10-05T10:00:00+07:00,failure\n",
        encoding="utf-8",
    )
    (folder / "d.txt").write_text("hello\n", encoding="utf-8")  # no format in its name
    source.read()  # first look: sizes noted, nothing imported yet
    assert stored(engine) == 0
    source.read()
    assert stored(engine) == 4  # a.jsonl and c.csv; nothing of b.jsonl
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.jsonl", "c.csv"]
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "b.jsonl",
        "b.jsonl.err",
        "d.txt",
        "d.txt.err",
    ]
    reasons = (folder / "failed" / "b.jsonl.err").read_text(encoding="utf-8")
    assert "b.jsonl:2: outcome: giá trị phải là 'success' hoặc 'failure'" in reasons
    assert "1 trên 3 bản ghi không hợp lệ: không lưu bản ghi nào của tệp" in reasons
    unknown = (folder / "failed" / "d.txt.err").read_text(encoding="utf-8")
    assert "không nhận ra định dạng từ tên tệp" in unknown
    assert [p.name for p in folder.iterdir() if p.is_file()] == []
    assert source.status.records == {"stored": 4, "invalid": 2}


def test_a_file_still_being_written_waits(
    tmp_path: Path, bac_ninh: Registry, engine: Engine
) -> None:
    source = inbox(tmp_path, bac_ninh, engine)
    folder = source.path
    part = folder / "big.jsonl.part"
    part.write_text(record(1), encoding="utf-8")
    growing = folder / "growing.jsonl"
    growing.write_text(record(2), encoding="utf-8")
    source.read()
    with growing.open("a", encoding="utf-8") as f:
        f.write(record(3))  # grew between two looks: not imported yet
    source.read()
    assert stored(engine) == 0
    source.read()
    assert stored(engine) == 2
    assert part.exists()  # `.part`: never touched
    part.rename(folder / "big.jsonl")
    source.read()
    source.read()
    assert stored(engine) == 3


def test_a_file_imported_before_a_crash_is_moved_without_a_second_import(
    tmp_path: Path, bac_ninh: Registry, engine: Engine
) -> None:
    source = inbox(tmp_path, bac_ninh, engine)
    folder = source.path
    (folder / "a.jsonl").write_text(record(1) + record(2), encoding="utf-8")  # no ids
    source.read()
    source.read()
    assert stored(engine) == 2
    # As if the service died after the commit, before the move: the file is still there.
    shutil.copy(folder / "done" / "a.jsonl", folder / "a.jsonl")
    again = inbox(tmp_path, bac_ninh, engine)
    again.read()
    again.read()
    assert stored(engine) == 2
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.jsonl", "a.jsonl.1"]


def test_the_configured_format_reads_wso2_logs(
    tmp_path: Path, bac_ninh: Registry, engine: Engine
) -> None:
    from tests.gateway_samples import PIZZASHACK_LOG_LINE

    source = inbox(tmp_path, bac_ninh, engine, format="wso2")
    (source.path / "apim_metrics.log").write_text(PIZZASHACK_LOG_LINE + "\n", encoding="utf-8")
    source.read()
    source.read()
    # The bundled registry maps no WSO2 application: an event of no obligation, the file done.
    assert (source.path / "done" / "apim_metrics.log").exists()
    assert source.status.records == {"no_obligation": 1}
