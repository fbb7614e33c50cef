"""The sources as people and Prometheus see them: a line each on the Sở's status page (in
Chromium), and the lienthong_source_* series (`promtool check metrics` clean)."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from exporter.app import SERVICE, create_app
from intake.sources.common import SourceStatus
from registry import Registry, load_registry
from store import open_store
from tests.harness import serving
from tests.test_status_pages import NOW, TZ, chromium, options


@pytest.fixture
def hue() -> Registry:
    return load_registry("hue")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def statuses() -> list[SourceStatus]:
    read = datetime(2026, 12, 2, 9, 58, 30, tzinfo=TZ).timestamp()
    return [
        SourceStatus(
            "lgsp-wso2", "wso2-log", 2.0, up=True, last_read=read,
            records=Counter(stored=1200, duplicate=3, no_obligation=40, invalid=1),
        ),
        SourceStatus(
            "vdxp-ss1", "xroad-opmon", 300.0, up=False, last_read=read - 3600,
            last_error="no answer within 60 s", unread_since=read - 7200, retention=7 * 86_400,
        ),
        SourceStatus("inbox", "folder", 10.0),
    ]  # fmt: skip


async def test_each_source_has_a_line_on_the_status_page(hue: Registry, store: Engine) -> None:
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    app[SERVICE].sources = statuses()
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        await page.goto(url + "/")
        lines = await page.locator("ul.sources li").all_inner_texts()
    assert lines == [
        "inbox (folder): chưa đọc",
        "lgsp-wso2 (wso2-log): đọc lúc 09:58:30 02/12/2026, đã lưu 1200 bản ghi từ khi khởi động",
        "vdxp-ss1 (xroad-opmon): KHÔNG ĐỌC ĐƯỢC: no answer within 60 s"
        " (lần đọc cuối: 08:58:30 02/12/2026)",
    ]


async def test_without_sources_the_page_has_no_such_section(hue: Registry, store: Engine) -> None:
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        async with client.get(url + "/") as answer:
            assert "sources" not in await answer.text()
        async with client.get(url + "/metrics") as answer:
            assert "lienthong_source" not in await answer.text()


async def test_the_source_series_pass_promtool(
    hue: Registry, store: Engine, tmp_path: Path
) -> None:
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    app[SERVICE].sources = statuses()
    async with (
        serving(app) as url,
        aiohttp.ClientSession() as client,
        client.get(url + "/metrics") as answer,
    ):
        exposition = await answer.text()
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert check.returncode == 0 and check.stdout + check.stderr == "", check.stdout + check.stderr
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(exposition)
        if f.name.startswith("lienthong_source")
        for s in f.samples
    }
    assert samples[("lienthong_source_up", (("source", "lgsp-wso2"),))] == 1
    assert samples[("lienthong_source_up", (("source", "vdxp-ss1"),))] == 0
    assert ("lienthong_source_up", (("source", "inbox"),)) not in samples  # not read yet
    for result, n in (("stored", 1200), ("duplicate", 3), ("no_obligation", 40), ("invalid", 1)):
        key = ("lienthong_source_records_total", (("result", result), ("source", "lgsp-wso2")))
        assert samples[key] == n
    assert (
        samples[("lienthong_source_records_total", (("result", "stored"), ("source", "inbox")))]
        == 0
    )
    read = datetime(2026, 12, 2, 9, 58, 30, tzinfo=TZ).timestamp()
    assert (
        samples[("lienthong_source_last_read_timestamp_seconds", (("source", "lgsp-wso2"),))]
        == read
    )
    assert samples[("lienthong_source_retention_seconds", (("source", "vdxp-ss1"),))] == 604_800
    assert samples[("lienthong_source_interval_seconds", (("source", "vdxp-ss1"),))] == 300
