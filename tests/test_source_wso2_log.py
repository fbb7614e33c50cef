"""`wso2-log`: a followed WSO2 API-M analytics log, across rotation, each line stored once.

The lines are `apim_metrics.log` lines as WSO2 documents them (tests/gateway_samples.py:
wso2/docs-apim, en/docs/api-analytics/on-prem/datadog-installation-guide.md, the
Grok parser's samples), with the API-M 4.x response event's fields. Most lines here
carry no correlationId, so no id: only the committed position keeps them from being
stored twice.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from intake.sources.common import SourceStatus
from intake.sources.wso2_log import Wso2Log, Wso2LogConfig
from registry import Registry, load_registry
from store.sources import read_sources
from tests.gateway_samples import (
    PIZZASHACK_LOG_LINE,
    PIZZASHACK_REGISTRY,
    metrics_log_line,
    registry_file,
    wso2_event,
)


@pytest.fixture
def gateway_registry(tmp_path: Path) -> Registry:
    return load_registry(str(registry_file(tmp_path)))


def line(n: int, **fields: object) -> str:
    """A response event of so-khdt towards csdl-dkdn, without a correlationId."""
    event = wso2_event(n, correlationId=None, **fields)
    event["userIp"] = f"192.0.2.{n % 250}"
    event["requestTimestamp"] = f"2026-10-05T02:{n % 60:02d}:{n // 60 % 60:02d}.{n % 1000:03d}Z"
    return metrics_log_line(event)


def follower(path: Path, registry: Registry, engine: Engine, name: str = "lgsp-wso2") -> Wso2Log:
    config = Wso2LogConfig(name=name, kind="wso2-log", path=str(path), platform="lgsp")
    return Wso2Log(config, registry, engine, SourceStatus(name, "wso2-log", config.interval))


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM transactions")).scalar_one())


def append(path: Path, first: int, last: int) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.writelines(line(n) for n in range(first, last))


def test_the_documented_line_is_stored_with_its_platform_and_position(
    tmp_path: Path, engine: Engine
) -> None:
    (tmp_path / "r.yml").write_text(PIZZASHACK_REGISTRY, encoding="utf-8")
    registry = load_registry(str(tmp_path / "r.yml"))
    log = tmp_path / "apim_metrics.log"
    log.write_text(PIZZASHACK_LOG_LINE + "\n", encoding="utf-8")
    source = follower(log, registry, engine)
    source.read()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT department, system, success, record_id FROM transactions"))
        assert [tuple(r) for r in rows] == [
            ("so-khdt", "csdl-dkdn", True, "wso2:02951f10-5934-456d-b608-7cd85b3f7c9d")
        ]
    position = read_sources(engine)["lgsp-wso2"].position
    assert position is not None
    assert position["offset"] == log.stat().st_size and position["line"] == 1
    assert source.status.records["stored"] == 1


def test_a_line_still_being_written_waits_until_it_is_complete(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    log = tmp_path / "apim_metrics.log"
    whole = line(1)
    log.write_text(line(0) + whole[:40], encoding="utf-8")
    source = follower(log, gateway_registry, engine)
    source.read()
    assert stored(engine) == 1
    with log.open("a", encoding="utf-8") as f:
        f.write(whole[40:])
    source.read()
    assert stored(engine) == 2


def test_a_restarted_follower_goes_on_from_the_committed_position(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    log = tmp_path / "apim_metrics.log"
    append(log, 0, 30)
    follower(log, gateway_registry, engine).read()
    append(log, 30, 50)
    again = follower(log, gateway_registry, engine)  # a new process: position from the store
    again.read()
    again.read()
    assert stored(engine) == 50
    assert again.status.records["stored"] == 20


def test_renamed_rotation_reads_the_old_file_to_its_end_before_the_new_one(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    log = tmp_path / "apim_metrics.log"
    append(log, 0, 10)
    source = follower(log, gateway_registry, engine)
    source.read()
    append(log, 10, 15)  # written after the last read, before the rotation
    os.rename(log, tmp_path / "apim_metrics.log.1")
    append(log, 15, 20)
    source.read()
    assert stored(engine) == 20
    with engine.connect() as conn:
        order = [r for (r,) in conn.execute(text("SELECT ts_us FROM transactions ORDER BY id"))]
    assert order == sorted(order)  # in the order written: the old file's rest first
    append(log, 20, 25)
    source.read()
    assert stored(engine) == 25


def test_copy_and_truncate_rotation_reads_the_rest_from_the_copy(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    log = tmp_path / "apim_metrics.log"
    append(log, 0, 10)
    source = follower(log, gateway_registry, engine)
    source.read()
    append(log, 10, 14)
    shutil.copyfile(log, tmp_path / "apim_metrics.log.1")  # logrotate's copytruncate
    with log.open("r+b") as f:
        f.truncate(0)
    append(log, 14, 40)  # longer than before: only its beginning tells it is new
    source.read()
    assert stored(engine) == 40


def test_a_rotated_file_gone_is_said_once_and_the_new_file_is_read(
    tmp_path: Path, engine: Engine, gateway_registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "apim_metrics.log"
    append(log, 0, 5)
    source = follower(log, gateway_registry, engine)
    source.read()
    append(log, 5, 8)
    log.unlink()  # rotated and compressed before it was read again
    append(log, 8, 12)
    with caplog.at_level(logging.WARNING, "lienthong.sources"):
        source.read()
        source.read()
    assert stored(engine) == 9
    said = [r.getMessage() for r in caplog.records if "sau dòng 5" in r.getMessage()]
    assert said == [
        "lgsp-wso2: tệp đã xoay vòng không còn nữa; các dòng sau dòng 5 của tệp đó chưa được đọc"
    ]


def test_a_malformed_line_is_counted_invalid_reported_once_and_reading_goes_on(
    tmp_path: Path, engine: Engine, gateway_registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "apim_metrics.log"
    append(log, 0, 3)
    with log.open("a", encoding="utf-8") as f:
        # The log4j prefix and marker of an analytics event, its JSON cut short.
        f.write(metrics_log_line(wso2_event(3))[:150] + "\n")
        f.write("08:23:35,001 [-] [main]  INFO Gateway started\n")  # not an event: skipped
    append(log, 4, 6)
    source = follower(log, gateway_registry, engine)
    with caplog.at_level(logging.WARNING, "lienthong.sources"):
        source.read()
        source.read()
    assert stored(engine) == 5
    assert source.status.records["invalid"] == 1
    reports = [r.getMessage() for r in caplog.records if "không phải JSON hợp lệ" in r.getMessage()]
    assert len(reports) == 1
    assert reports[0].startswith(f"lgsp-wso2: {log}:4: không phải JSON hợp lệ (chuỗi chưa đóng")


def test_events_of_no_obligation_are_counted_not_stored(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    log = tmp_path / "apim_metrics.log"
    log.write_text(
        metrics_log_line(wso2_event(1, application="unknown-app")) + line(2), encoding="utf-8"
    )
    source = follower(log, gateway_registry, engine)
    source.read()
    assert stored(engine) == 1
    assert dict(source.status.records) == {"stored": 1, "no_obligation": 1}


def test_a_missing_log_marks_the_source_down_with_the_path(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    from intake.sources.common import SourceDown

    source = follower(tmp_path / "nowhere.log", gateway_registry, engine)
    with pytest.raises(SourceDown, match=r"nowhere\.log"):
        source.read()


def test_a_log_gone_and_not_recreated_marks_the_source_down(
    tmp_path: Path, engine: Engine, gateway_registry: Registry
) -> None:
    from intake.sources.common import SourceDown

    log = tmp_path / "apim_metrics.log"
    append(log, 0, 3)
    source = follower(log, gateway_registry, engine)
    source.read()
    log.unlink()
    with pytest.raises(SourceDown, match=r"apim_metrics\.log"):
        source.read()
    append(log, 3, 5)  # the gateway writes again: the new file from its start
    source.read()
    assert stored(engine) == 5
