"""`lienthong sources status`: each configured source's kind, position, last read and error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from intake.sources.common import SourceStatus
from intake.sources.wso2_log import Wso2Log, Wso2LogConfig
from lienthong.cli import main
from registry import load_registry
from store.sources import save_status
from tests.gateway_samples import registry_file
from tests.test_source_wso2_log import line


def test_status_shows_position_last_read_and_last_error(
    tmp_path: Path, engine: Engine, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "apim_metrics.log"
    log.write_text(line(1) + line(2), encoding="utf-8")
    config = tmp_path / "serve.toml"
    config.write_text(
        f'[[sources]]\nname = "lgsp-wso2"\nkind = "wso2-log"\npath = "{log}"\n'
        '[[sources]]\nname = "inbox"\nkind = "folder"\npath = "/srv/inbox"\n',
        encoding="utf-8",
    )
    registry = load_registry(str(registry_file(tmp_path)))
    cfg = Wso2LogConfig(name="lgsp-wso2", kind="wso2-log", path=str(log))
    Wso2Log(cfg, registry, engine, SourceStatus("lgsp-wso2", "wso2-log", 2.0)).read()
    save_status(engine, "inbox", "folder", None, "/srv/inbox: No such file or directory", 1)
    argv = ["sources", "status", "--config", str(config), "--db", store_url]
    assert main([*argv, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["kind"]) for r in rows] == [
        ("lgsp-wso2", "wso2-log"),
        ("inbox", "folder"),
    ]
    assert rows[0]["position"]["line"] == 2
    assert rows[1]["last_error"] == "/srv/inbox: No such file or directory"
    assert main(argv) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["nguồn", "loại", "vị", "trí", "đã", "đọc", "lần", "đọc", "cuối",
                                "(UTC)", "lỗi", "gần", "nhất"]  # fmt: skip
    assert "dòng 2, byte" in table[1]
    assert table[2].endswith("/srv/inbox: No such file or directory")


def test_status_of_a_missing_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main(["sources", "status", "--db", f"sqlite:///{missing}"]) == 1
    assert str(missing) in capsys.readouterr().err
    assert not missing.exists()
